import {
  GetAccountCommand,
  SendBulkEmailCommand,
  SendEmailCommand,
  type BulkEmailEntryResult,
  type SESv2Client,
} from '@aws-sdk/client-sesv2';
import {
  DomainError,
  PermanentSendError,
  SendOutcomeUnknownError,
  SendingBlockedError,
  TransientDependencyError,
} from '../../lib/common/errors';
import type { CampaignMailSender, MailSender, OutgoingMessage, SendOutcome } from '../../lib/sending/ports';

export { PermanentSendError };

/**
 * SES's answers in three classes (SES v2 API reference, SendEmail and SendBulkEmail errors):
 * - retryable: nothing is wrong with the message or the account's setup; throttling and service
 *   trouble pass. Retried with backoff, never dropped.
 * - blocked: nothing can be sent until a person acts (sending paused, account suspended, identity
 *   or configuration set missing, daily quota spent). The campaign pauses with the reason.
 * - permanent: this message to this recipient will never be accepted. The recipient is marked failed.
 */
const retryableNames = new Set([
  'TooManyRequestsException',
  'Throttling',
  'ThrottlingException',
  'LimitExceededException',
  'InternalServiceErrorException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);
/** The request may have reached SES before the answer was lost. */
const unknownOutcomeNames = new Set(['TimeoutError', 'RequestTimeout', 'AbortError']);
const unknownOutcomeCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
const blockedNames = new Set([
  'SendingPausedException',
  'AccountSuspendedException',
  'MailFromDomainNotVerifiedException',
  'NotFoundException',
]);
const permanentNames = new Set(['MessageRejected', 'BadRequestException']);

const TAG = /^[A-Za-z0-9_-]{1,256}$/;

export function classifySesError(error: unknown): Error {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const name = e?.name ?? 'Error';
  const status = e?.$metadata?.httpStatusCode;
  const message = `SES ${name}: ${e?.message ?? 'unknown error'}`;
  if (blockedNames.has(name)) return new SendingBlockedError(message);
  if (permanentNames.has(name)) return new PermanentSendError(message);
  if (retryableNames.has(name) || (status !== undefined && (status >= 500 || status === 429))) return new TransientDependencyError(message);
  if (status !== undefined && status >= 400) return new PermanentSendError(message);
  if (unknownOutcomeNames.has(name) || unknownOutcomeCodes.has(e?.code ?? '')) return new SendOutcomeUnknownError(message);
  return new TransientDependencyError(message); // refused before sending (ECONNREFUSED, DNS): safe to retry
}

/** SendBulkEmail's per-destination statuses, in the same three classes. */
const bulkRetryable = new Set(['ACCOUNT_THROTTLED', 'TRANSIENT_FAILURE', 'FAILED']);
const bulkBlocked = new Set([
  'ACCOUNT_SUSPENDED',
  'ACCOUNT_DAILY_QUOTA_EXCEEDED',
  'ACCOUNT_SENDING_PAUSED',
  'CONFIGURATION_SET_SENDING_PAUSED',
  'MAIL_FROM_DOMAIN_NOT_VERIFIED',
  'CONFIGURATION_SET_DOES_NOT_EXIST',
  'TEMPLATE_DOES_NOT_EXIST',
  'INVALID_SENDING_POOL_NAME',
]);

export function classifyBulkEntry(result: BulkEmailEntryResult | undefined): SendOutcome {
  if (result?.Status === 'SUCCESS' && result.MessageId) return { ok: true, messageId: result.MessageId };
  const status = result?.Status ?? 'NO_RESULT';
  const message = `SES ${status}: ${result?.Error ?? 'no detail'}`;
  if (status === 'NO_RESULT' || status === 'SUCCESS' || bulkRetryable.has(status))
    return { ok: false, error: new TransientDependencyError(message) };
  if (bulkBlocked.has(status)) return { ok: false, error: new SendingBlockedError(message) };
  return { ok: false, error: new PermanentSendError(message) }; // MESSAGE_REJECTED, INVALID_PARAMETER
}

/** SES's limit on one entry's replacement data (ReplacementTemplate.ReplacementTemplateData). */
const MAX_REPLACEMENT_CHARS = 262_144;
/** Inline template requests stay under SES's 1 MB; above this a batch is split into several calls. */
const MAX_REQUEST_CHARS = 900_000;

/**
 * Sends through SES v2 with the configuration set that publishes events and tags that attribute
 * them without a look-up. `send` uses SendEmail (Simple content, so RFC 8058 headers can be set —
 * SES v1 cannot); `sendBatch` uses SendBulkEmail, up to 50 recipients per call.
 *
 * Bulk sends carry each recipient's message pre-rendered (escaped by our renderer) as the
 * replacement data of an inline template that only inserts it (`{{subject}}`, `{{html}}`,
 * `{{text}}`): SES does not HTML-escape template values, so what we rendered is what is sent, and
 * SES's template language never sees the marketer's template. A message too large for replacement
 * data goes alone through SendEmail.
 */
export class SesMailSender implements MailSender, CampaignMailSender {
  readonly maxBatch = 50;

  constructor(
    private readonly client: SESv2Client,
    private readonly configurationSetName: string | undefined,
  ) {}

  private checkTags(message: OutgoingMessage) {
    for (const [name, value] of Object.entries(message.tags)) {
      if (!TAG.test(name) || !TAG.test(value)) throw new PermanentSendError(`SES tag ${name}=${value} must be 1–256 of A–Z a–z 0–9 _ -`);
    }
  }

  async send(message: OutgoingMessage) {
    this.checkTags(message);
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

  async sendBatch(messages: OutgoingMessage[]): Promise<SendOutcome[]> {
    const outcomes: SendOutcome[] = new Array(messages.length);
    const data = messages.map((m) => JSON.stringify({ subject: m.subject, html: m.html, text: m.text }));
    let group: number[] = [];
    let groupChars = 0;
    const groups: number[][] = [];
    messages.forEach((m, i) => {
      try {
        this.checkTags(m);
      } catch (error) {
        outcomes[i] = { ok: false, error: error as Error };
        return;
      }
      if (data[i]!.length > MAX_REPLACEMENT_CHARS) return; // sent alone below
      if (
        group.length &&
        (groupChars + data[i]!.length > MAX_REQUEST_CHARS || messages[group[0]!]!.from !== m.from || group.length >= this.maxBatch)
      ) {
        groups.push(group);
        group = [];
        groupChars = 0;
      }
      group.push(i);
      groupChars += data[i]!.length;
    });
    if (group.length) groups.push(group);
    // Never throws once anything may have been sent: each message gets its own outcome.
    for (const g of groups) {
      try {
        const results = await this.bulk(
          g.map((i) => messages[i]!),
          g.map((i) => data[i]!),
        );
        g.forEach((i, k) => {
          outcomes[i] = results[k]!;
        });
      } catch (error) {
        for (const i of g) outcomes[i] = { ok: false, error: error as Error };
      }
    }
    for (let i = 0; i < messages.length; i++) {
      if (outcomes[i]) continue;
      try {
        outcomes[i] = { ok: true, ...(await this.send(messages[i]!)) };
      } catch (error) {
        outcomes[i] = { ok: false, error: error as Error };
      }
    }
    return outcomes;
  }

  private async bulk(messages: OutgoingMessage[], data: string[]): Promise<SendOutcome[]> {
    const first = messages[0]!;
    // Headers common to every message (List-Unsubscribe-Post) go on the template; per-recipient
    // ones (the List-Unsubscribe URL) replace them per entry.
    const common = Object.entries(first.headers).filter(([name, value]) => messages.every((m) => m.headers[name] === value));
    const commonNames = new Set(common.map(([name]) => name));
    try {
      const result = await this.client.send(
        new SendBulkEmailCommand({
          FromEmailAddress: first.from,
          ConfigurationSetName: this.configurationSetName,
          DefaultContent: {
            Template: {
              TemplateContent: { Subject: '{{subject}}', Html: '{{html}}', Text: '{{text}}' },
              TemplateData: '{}',
              Headers: common.map(([Name, Value]) => ({ Name, Value })),
            },
          },
          BulkEmailEntries: messages.map((m, i) => ({
            Destination: { ToAddresses: [m.to] },
            ReplacementEmailContent: { ReplacementTemplate: { ReplacementTemplateData: data[i] } },
            ReplacementHeaders: Object.entries(m.headers)
              .filter(([name]) => !commonNames.has(name))
              .map(([Name, Value]) => ({ Name, Value })),
            ReplacementTags: Object.entries(m.tags).map(([Name, Value]) => ({ Name, Value })),
          })),
        }),
      );
      return messages.map((_, i) => classifyBulkEntry(result.BulkEmailEntryResults?.[i]));
    } catch (error) {
      if (error instanceof DomainError) throw error;
      const classified = classifySesError(error);
      // A whole bulk call refused for good is about the request or the content, not one recipient:
      // pause for a person rather than fail everyone in it.
      if (classified instanceof PermanentSendError)
        throw new SendingBlockedError(`the whole SendBulkEmail call was refused: ${classified.message}`);
      throw classified;
    }
  }
}

/** The account's maximum send rate, or undefined when it cannot be read (no permission, no network, a stand-in without it). */
export async function getMaxSendRate(client: SESv2Client, timeoutMs = 2_000): Promise<number | undefined> {
  try {
    const result = await client.send(new GetAccountCommand({}), { abortSignal: AbortSignal.timeout(timeoutMs) as never });
    return result.SendQuota?.MaxSendRate;
  } catch {
    return undefined;
  }
}
