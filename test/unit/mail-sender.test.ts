import {
  SESv2Client,
  SendBulkEmailCommand,
  SendEmailCommand,
  TooManyRequestsException,
  MessageRejected,
  BadRequestException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PermanentSendError, SesMailSender, classifyBulkEntry, classifySesError } from '../../adapters/ses/mail-sender';
import { SendOutcomeUnknownError, SendingBlockedError, TransientDependencyError } from '../../lib/common/errors';

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
      EmailTags: [
        { Name: 'campaignId', Value: 'cmp_1' },
        { Name: 'contactId', Value: 'ct_1' },
      ],
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
    await expect(
      new SesMailSender(new SESv2Client({}), 'cs').send({ ...message, tags: { campaignId: 'has space' } }),
    ).rejects.toBeInstanceOf(PermanentSendError);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('hands throttling back as retryable', async () => {
    ses.on(SendEmailCommand).rejects(new TooManyRequestsException({ message: 'slow down', $metadata: { httpStatusCode: 429 } }));
    await expect(new SesMailSender(new SESv2Client({ maxAttempts: 1 }), 'cs').send(message)).rejects.toBeInstanceOf(
      TransientDependencyError,
    );
  });

  it('marks a message SES rejected as a permanent failure', async () => {
    ses.on(SendEmailCommand).rejects(new MessageRejected({ message: 'bad content', $metadata: { httpStatusCode: 400 } }));
    await expect(new SesMailSender(new SESv2Client({ maxAttempts: 1 }), 'cs').send(message)).rejects.toBeInstanceOf(PermanentSendError);
  });

  it.each([
    ['TooManyRequestsException', 429, TransientDependencyError],
    ['LimitExceededException', 400, TransientDependencyError],
    ['InternalServiceErrorException', 500, TransientDependencyError],
    ['SendingPausedException', 400, SendingBlockedError],
    ['AccountSuspendedException', 400, SendingBlockedError],
    ['MailFromDomainNotVerifiedException', 400, SendingBlockedError],
    ['NotFoundException', 404, SendingBlockedError],
    ['MessageRejected', 400, PermanentSendError],
    ['BadRequestException', 400, PermanentSendError],
    ['TimeoutError', undefined, SendOutcomeUnknownError],
  ])('classifies %s (HTTP %s) as %o', (name, status, kind) => {
    expect(classifySesError({ name, message: 'x', $metadata: { httpStatusCode: status } })).toBeInstanceOf(kind);
  });

  it('treats a connection reset after the request was written as an unknown outcome, and a refused connection as retryable', () => {
    expect(classifySesError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBeInstanceOf(SendOutcomeUnknownError);
    expect(classifySesError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeInstanceOf(
      TransientDependencyError,
    );
  });
});

describe('bulk sending with SendBulkEmail', () => {
  const to = (n: number) => ({
    ...message,
    to: `r${n}@northwind.example`,
    subject: `Hi R${n} & co`,
    html: `<p>Hi R${n} &lt;b&gt;</p>`,
    text: `Hi R${n} <b>`,
    headers: {
      'List-Unsubscribe': `<https://u.example/t${n}>, <mailto:u@acme.example?subject=unsubscribe>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    tags: { campaignId: 'cmp_1', contactId: `ct_${n}` },
  });

  it('sends pre-rendered messages through an inline template that only inserts them, with per-recipient headers and tags', async () => {
    ses.on(SendBulkEmailCommand).resolves({
      BulkEmailEntryResults: [
        { Status: 'SUCCESS', MessageId: 'm-0' },
        { Status: 'SUCCESS', MessageId: 'm-1' },
      ],
    });
    expect(await new SesMailSender(new SESv2Client({}), 'mql-pipeline-events').sendBatch([to(0), to(1)])).toEqual([
      { ok: true, messageId: 'm-0' },
      { ok: true, messageId: 'm-1' },
    ]);
    const input = ses.commandCalls(SendBulkEmailCommand)[0]!.args[0].input;
    expect(input.ConfigurationSetName).toBe('mql-pipeline-events');
    expect(input.DefaultContent).toEqual({
      Template: {
        TemplateContent: { Subject: '{{subject}}', Html: '{{html}}', Text: '{{text}}' },
        TemplateData: '{}',
        Headers: [{ Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' }],
      },
    });
    expect(input.BulkEmailEntries![1]).toEqual({
      Destination: { ToAddresses: ['r1@northwind.example'] },
      ReplacementEmailContent: {
        ReplacementTemplate: {
          ReplacementTemplateData: JSON.stringify({ subject: 'Hi R1 & co', html: '<p>Hi R1 &lt;b&gt;</p>', text: 'Hi R1 <b>' }),
        },
      },
      ReplacementHeaders: [{ Name: 'List-Unsubscribe', Value: '<https://u.example/t1>, <mailto:u@acme.example?subject=unsubscribe>' }],
      ReplacementTags: [
        { Name: 'campaignId', Value: 'cmp_1' },
        { Name: 'contactId', Value: 'ct_1' },
      ],
    });
  });

  it('gives each entry its own outcome: rejected for good, throttled, blocked', async () => {
    ses.on(SendBulkEmailCommand).resolves({
      BulkEmailEntryResults: [
        { Status: 'SUCCESS', MessageId: 'm-0' },
        { Status: 'MESSAGE_REJECTED', Error: 'suppressed address' },
        { Status: 'ACCOUNT_THROTTLED', Error: 'slow down' },
        { Status: 'ACCOUNT_DAILY_QUOTA_EXCEEDED', Error: 'quota' },
      ],
    });
    const outcomes = await new SesMailSender(new SESv2Client({}), 'cs').sendBatch([to(0), to(1), to(2), to(3)]);
    expect(outcomes[0]).toEqual({ ok: true, messageId: 'm-0' });
    expect(outcomes.slice(1).map((o) => (o.ok ? 'ok' : o.error.constructor.name))).toEqual([
      'PermanentSendError',
      'TransientDependencyError',
      'SendingBlockedError',
    ]);
    expect(classifyBulkEntry(undefined)).toMatchObject({ ok: false, error: expect.any(TransientDependencyError) });
  });

  it('splits at 50 recipients a call, and sends a message too large for replacement data alone with SendEmail', async () => {
    ses.on(SendBulkEmailCommand).callsFake((input: { BulkEmailEntries: unknown[] }) => ({
      BulkEmailEntryResults: input.BulkEmailEntries.map((_, i) => ({ Status: 'SUCCESS', MessageId: `b-${i}` })),
    }));
    ses.on(SendEmailCommand).resolves({ MessageId: 'big' });
    const big = { ...to(99), html: `<p>${'x'.repeat(300_000)}</p>` };
    const outcomes = await new SesMailSender(new SESv2Client({}), 'cs').sendBatch([...Array.from({ length: 60 }, (_, i) => to(i)), big]);
    expect(ses.commandCalls(SendBulkEmailCommand).map((c) => c.args[0].input.BulkEmailEntries!.length)).toEqual([50, 10]);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(outcomes.every((o) => o.ok)).toBe(true);
  });

  it('pauses for a person rather than failing everyone when SES refuses the whole call for good, and never throws after a partial send', async () => {
    ses.on(SendBulkEmailCommand).rejects(new BadRequestException({ message: 'bad request', $metadata: { httpStatusCode: 400 } }));
    const [outcome] = await new SesMailSender(new SESv2Client({ maxAttempts: 1 }), 'cs').sendBatch([to(0)]);
    expect(outcome).toMatchObject({ ok: false, error: expect.any(SendingBlockedError) });
    ses.reset();
    ses
      .on(SendBulkEmailCommand)
      .resolvesOnce({ BulkEmailEntryResults: Array.from({ length: 50 }, (_, i) => ({ Status: 'SUCCESS', MessageId: `b-${i}` })) })
      .rejects(new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: { httpStatusCode: 429 } }));
    const outcomes = await new SesMailSender(new SESv2Client({ maxAttempts: 1 }), 'cs').sendBatch(
      Array.from({ length: 51 }, (_, i) => to(i)),
    );
    expect(outcomes.filter((o) => o.ok)).toHaveLength(50);
    expect(outcomes[50]).toMatchObject({ ok: false, error: expect.any(TransientDependencyError) });
  });
});
