import { SESv2Client, SendEmailCommand, TooManyRequestsException, MessageRejected } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PermanentSendError, SesMailSender, classifySesError } from '../../src/adapters/ses/mail-sender';
import { TransientDependencyError } from '../../src/lib/errors';

const ses = mockClient(SESv2Client);
const message = {
  from: 'news@acme.example',
  to: 'dana@northwind.example',
  subject: 'Hi',
  html: '<p>Hi</p>',
  text: 'Hi',
  headers: { 'List-Unsubscribe': '<https://u.example/t>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  tags: { campaignId: 'cmp_1', contactId: 'ct_1' },
};

beforeEach(() => ses.reset());

describe('the SES v2 mail sender', () => {
  it('sends with the configuration set, attribution tags, UTF-8 parts and the unsubscribe headers', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    expect(await new SesMailSender(new SESv2Client({}), 'mql-pipeline-events').send(message)).toEqual({ messageId: 'm-1' });
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input).toEqual({
      FromEmailAddress: 'news@acme.example',
      Destination: { ToAddresses: ['dana@northwind.example'] },
      ConfigurationSetName: 'mql-pipeline-events',
      EmailTags: [{ Name: 'campaignId', Value: 'cmp_1' }, { Name: 'contactId', Value: 'ct_1' }],
      Content: {
        Simple: {
          Subject: { Data: 'Hi', Charset: 'UTF-8' },
          Body: { Html: { Data: '<p>Hi</p>', Charset: 'UTF-8' }, Text: { Data: 'Hi', Charset: 'UTF-8' } },
          Headers: [
            { Name: 'List-Unsubscribe', Value: '<https://u.example/t>' },
            { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
          ],
        },
      },
    });
  });

  it('refuses a tag value SES would reject, before calling SES', async () => {
    await expect(new SesMailSender(new SESv2Client({}), 'cs').send({ ...message, tags: { campaignId: 'has space' } })).rejects.toBeInstanceOf(PermanentSendError);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('hands throttling back as retryable', async () => {
    ses.on(SendEmailCommand).rejects(new TooManyRequestsException({ message: 'slow down', $metadata: { httpStatusCode: 429 } }));
    await expect(new SesMailSender(new SESv2Client({ maxAttempts: 1 }), 'cs').send(message)).rejects.toBeInstanceOf(TransientDependencyError);
  });

  it('marks a message SES rejected as a permanent failure', async () => {
    ses.on(SendEmailCommand).rejects(new MessageRejected({ message: 'bad content', $metadata: { httpStatusCode: 400 } }));
    await expect(new SesMailSender(new SESv2Client({ maxAttempts: 1 }), 'cs').send(message)).rejects.toBeInstanceOf(PermanentSendError);
  });

  it.each([
    ['TooManyRequestsException', 429, true],
    ['LimitExceededException', 400, true],
    ['SendingPausedException', 400, true],
    ['AccountSuspendedException', 400, true],
    ['InternalServiceErrorException', 500, true],
    ['MessageRejected', 400, false],
    ['BadRequestException', 400, false],
    ['MailFromDomainNotVerifiedException', 400, false],
    ['NotFoundException', 404, false],
  ])('classifies %s (HTTP %i) as retryable: %s', (name, status, retryable) => {
    const error = classifySesError({ name, message: "x", $metadata: { httpStatusCode: status } }) as unknown as { retryable: boolean };
    expect(error.retryable).toBe(retryable);
  });
});
