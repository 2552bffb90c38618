import type { Campaign } from '../campaign';
import type { Contact, SuppressionReason } from '../contact';
import type { Clock, ContactStore, CampaignStore, MailSender, SendJob, SendLedger, SendQueue } from '../ports';
import { chunk } from '../concurrency';
import { renderMessage } from '../render';
import { signUnsubscribeToken, unsubscribeHeaders } from '../unsubscribe-token';

export interface SendDeps {
  campaigns: CampaignStore;
  contacts: ContactStore;
  ledger: SendLedger;
  queue: SendQueue;
  mail: MailSender;
  clock: Clock;
  unsubscribe: { baseUrl: string; mailto: string; secret: string };
  /** Waits as long as the account's send rate requires before the next message. */
  pace: () => Promise<void>;
  /** @default 100 — recipients per send job */
  recipientsPerJob?: number;
  /** @default 500 — contacts read per fan-out page */
  fanoutPageSize?: number;
  /** A claim older than this belongs to a sender that died. @default 900000 (> function timeout) */
  claimLeaseMs?: number;
}

/** Why a contact is not mailed, or undefined when it may be. */
export function exclusionReason(contact: Contact | undefined): SuppressionReason | 'no-consent' | 'unknown' | undefined {
  if (!contact) return 'unknown';
  if (contact.suppressed) return contact.suppressed;
  if (!contact.consent) return 'no-consent';
  return undefined;
}

const stopped = (c: Campaign | undefined) => !c || c.status === 'paused' || c.status === 'cancelled';

export async function handleSendJob(deps: SendDeps, job: SendJob): Promise<{ sent: number; skipped: number; failed: number }> {
  return job.kind === 'fanout' ? fanout(deps, job.campaignId, job.cursor) : sendToRecipients(deps, job.campaignId, job.contactIds);
}

/**
 * Resolves one page of the audience into send jobs and queues the next page. A redelivered fan-out
 * job queues the same recipients again; the send ledger makes the second copy a no-op.
 */
async function fanout(deps: SendDeps, campaignId: string, cursor?: string) {
  const campaign = await deps.campaigns.get(campaignId);
  if (stopped(campaign) || !campaign) return { sent: 0, skipped: 0, failed: 0 };
  const perJob = deps.recipientsPerJob ?? 100;
  let ids: string[];
  let next: string | undefined;
  if (campaign.contactIds) {
    const start = Number(cursor ?? 0);
    const pageSize = deps.fanoutPageSize ?? 500;
    ids = campaign.contactIds.slice(start, start + pageSize);
    next = start + pageSize < campaign.contactIds.length ? String(start + pageSize) : undefined;
  } else {
    const page = await deps.contacts.list(cursor, deps.fanoutPageSize ?? 500);
    ids = page.items.filter((c) => !exclusionReason(c)).map((c) => c.contactId);
    next = page.cursor;
  }
  const jobs: SendJob[] = chunk(ids, perJob).map((contactIds) => ({ kind: 'send', campaignId, contactIds }));
  if (next) jobs.push({ kind: 'fanout', campaignId, cursor: next });
  await deps.queue.enqueue(jobs);
  if (!next) await deps.campaigns.transition(campaignId, ['sending'], 'sent', { fanoutCompletedAt: deps.clock.now().toISOString() });
  return { sent: 0, skipped: 0, failed: 0 };
}

/**
 * Sends to each recipient at most once: claim in the ledger, call SES, record the message id.
 * A permanent SES error marks that recipient failed and goes on; a retryable one releases the claim
 * and fails the job so the queue brings it back (already-sent recipients are skipped then).
 */
async function sendToRecipients(deps: SendDeps, campaignId: string, contactIds: string[]) {
  const campaign = await deps.campaigns.get(campaignId);
  const result = { sent: 0, skipped: 0, failed: 0 };
  if (stopped(campaign) || !campaign) return { ...result, skipped: contactIds.length };
  const contacts = new Map((await deps.contacts.getMany(contactIds)).map((c) => [c.contactId, c]));
  for (const contactId of contactIds) {
    const contact = contacts.get(contactId);
    // Checked again at send time: a contact may have unsubscribed since the fan-out.
    if (exclusionReason(contact) || !contact) {
      result.skipped++;
      continue;
    }
    if (!(await deps.ledger.claim(campaignId, contactId, deps.clock.now(), deps.claimLeaseMs ?? 900_000))) {
      result.skipped++;
      continue;
    }
    const token = signUnsubscribeToken({ campaignId, contactId }, deps.unsubscribe.secret);
    const unsubscribeUrl = `${deps.unsubscribe.baseUrl}/${token}`;
    const rendered = renderMessage(
      { subject: campaign.subject, html: campaign.htmlTemplate, text: campaign.textTemplate },
      contact,
      { unsubscribeUrl },
    );
    try {
      await deps.pace();
      const { messageId } = await deps.mail.send({
        from: campaign.fromAddress,
        to: contact.email,
        ...rendered,
        headers: unsubscribeHeaders(unsubscribeUrl, deps.unsubscribe.mailto),
        tags: { campaignId, contactId },
      });
      await deps.ledger.markSent(campaignId, contactId, messageId, deps.clock.now().toISOString());
      result.sent++;
    } catch (error) {
      if ((error as { retryable?: boolean }).retryable) {
        await deps.ledger.release(campaignId, contactId);
        throw error;
      }
      await deps.ledger.markFailed(campaignId, contactId, (error as Error).message, deps.clock.now().toISOString());
      result.failed++;
    }
  }
  return result;
}

/** Spaces calls to at most `perSecond` on average (a simple evenly-spaced limiter). */
export function pacer(perSecond: number, clock = { now: () => Date.now() }, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))) {
  const interval = 1000 / perSecond;
  let nextSlot = 0;
  return async () => {
    const now = clock.now();
    const slot = Math.max(now, nextSlot);
    nextSlot = slot + interval;
    if (slot > now) await sleep(slot - now);
  };
}
