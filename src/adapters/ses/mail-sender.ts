import { GetAccountCommand, SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { DomainError, TransientDependencyError } from '../../lib/errors';
import type { MailSender, OutgoingMessage } from '../../lib/ports';

/** SES refused this message for this recipient; retrying will not help. */
export class PermanentSendError extends DomainError {
  readonly code = 'PERMANENT_SEND_FAILURE';
}

/** Nothing is wrong with the recipient here: the account or service must recover, so we retry. */
const retryableNames = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
  'ThrottlingException',
  'InternalServiceErrorException',
  'ServiceUnavailable',
  'SendingPausedException',
  'AccountSuspendedException',
  'TimeoutError',
  'AbortError',
]);
const permanentNames = new Set(['MessageRejected', 'BadRequestException', 'MailFromDomainNotVerifiedException', 'NotFoundException']);

const TAG = /^[A-Za-z0-9_-]{1,256}$/;

export function classifySesError(error: unknown): Error {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const name = e?.name ?? 'Error';
  const status = e?.$metadata?.httpStatusCode;
  const message = `SES ${name}: ${e?.message ?? 'unknown error'}`;
  if (permanentNames.has(name)) return new PermanentSendError(message);
  if (retryableNames.has(name) || (status !== undefined && (status >= 500 || status === 429)) || e?.code === 'ECONNRESET' || e?.code === 'ECONNREFUSED') {
    return new TransientDependencyError(message);
  }
  if (status !== undefined && status >= 400) return new PermanentSendError(message);
  return new TransientDependencyError(message); // network trouble without a status: never drop, retry
}

/**
 * Sends through SES v2 `SendEmail` (Simple content, so custom headers such as RFC 8058
 * List-Unsubscribe can be set — SES v1 cannot), with the configuration set that publishes events
 * and tags that attribute them without a look-up.
 */
export class SesMailSender implements MailSender {
  constructor(private readonly client: SESv2Client, private readonly configurationSetName: string | undefined) {}

  async send(message: OutgoingMessage) {
    for (const [name, value] of Object.entries(message.tags)) {
      if (!TAG.test(name) || !TAG.test(value)) throw new PermanentSendError(`SES tag ${name}=${value} must be 1–256 of A–Z a–z 0–9 _ -`);
    }
    try {
      const result = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: message.from,
          Destination: { ToAddresses: [message.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: 'UTF-8' },
              Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
              Headers: Object.entries(message.headers).map(([Name, Value]) => ({ Name, Value })),
            },
          },
          ConfigurationSetName: this.configurationSetName,
          EmailTags: Object.entries(message.tags).map(([Name, Value]) => ({ Name, Value })),
        }),
      );
      if (!result.MessageId) throw new TransientDependencyError('SES returned no MessageId');
      return { messageId: result.MessageId };
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw classifySesError(error);
    }
  }
}

/** The account's maximum send rate, or undefined when it cannot be read (the local stand-in lacks it). */
export async function getMaxSendRate(client: SESv2Client, timeoutMs = 2_000): Promise<number | undefined> {
  try {
    const result = await client.send(new GetAccountCommand({}), { abortSignal: AbortSignal.timeout(timeoutMs) as never });
    return result.SendQuota?.MaxSendRate;
  } catch {
    return undefined;
  }
}
