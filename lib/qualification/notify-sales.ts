import type { CampaignStore, MailSender } from '../sending/ports';
import type { Campaign } from '../sending/campaign';
import type { Clock } from '../common/ports';
import type { ContactStore } from '../contacts/ports';
import type { LeadStore } from './ports';
import { NotFoundError } from '../common/errors';
import { sleepBackoff } from '../common/backoff';
import { renderSalesEmail } from './sales-email';
import { memoised } from '../common/memoised';

export interface NotifySalesDeps {
  leads: LeadStore;
  contacts: ContactStore;
  /** Read for the campaign's name only: `campaignsReadRecently` serves it for a burst of leads. */
  campaigns: Pick<CampaignStore, 'get'>;
  mail: MailSender;
  clock: Clock;
  from: string;
  /** A claim older than this belongs to a notifier that died; it may be taken over. @default 300000 */
  claimLeaseMs?: number;
}

/**
 * Sends the lead's owner one email per MQL. The claim is taken before SES is called and the lead
 * marked notified after, so duplicates and retries do not send twice; the one window left (SES
 * accepted the message, then the function died before marking) re-sends only after the lease
 * expires. With `leadId`, an event about an earlier lifecycle of the contact sends nothing.
 * `sent-unrecorded`: SES took the email but marking the lead failed even after retries.
 */
export async function notifySales(
  deps: NotifySalesDeps,
  contactId: string,
  leadId?: string,
): Promise<'sent' | 'sent-unrecorded' | 'already-notified' | 'superseded' | 'historical'> {
  const lead = await deps.leads.get(contactId);
  if (!lead) throw new NotFoundError(`no lead for contact ${contactId}`);
  if (leadId && lead.leadId !== leadId) return 'superseded';
  if (lead.notifiedAt) return 'already-notified';
  // Qualified at a moment older than the freshness window (late events, back-dated activity): no alert.
  if (lead.historical) return 'historical';
  const [contact, campaign] = await Promise.all([
    deps.contacts.get(contactId),
    lead.campaignId ? deps.campaigns.get(lead.campaignId) : undefined,
  ]);
  if (!contact) throw new NotFoundError(`lead ${lead.leadId} names a missing contact`);

  if (!(await deps.leads.claimNotification(contactId, deps.clock.now(), deps.claimLeaseMs ?? 300_000))) return 'already-notified';
  const email = renderSalesEmail(lead, contact, campaign);
  let messageId: string;
  try {
    ({ messageId } = await deps.mail.send({
      from: deps.from,
      to: lead.owner,
      ...email,
      headers: {},
      // Never the campaignId/contactId tags SES events are attributed by: should SES ever publish
      // events for this mail (a default configuration set on the identity), they are not ours.
      tags: { ...(lead.campaignId ? { leadCampaignId: lead.campaignId } : {}), leadContactId: contactId, kind: 'mql-notification' },
    }));
  } catch (error) {
    // SES did not take the message: free the claim so that the retry sends it.
    await deps.leads.releaseNotification(contactId);
    throw error;
  }
  return recordNotified(deps, contactId, messageId);
}

/**
 * SES took the email: from here nothing may lead to a second email. A failure to record it is
 * retried here and never handed back to the caller, whose retry would find the claim expired in
 * time and send again; the claim stays, so a duplicate event finds the lead claimed.
 */
async function recordNotified(deps: NotifySalesDeps, contactId: string, messageId: string): Promise<'sent' | 'sent-unrecorded'> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.leads.markNotified(contactId, messageId, deps.clock.now().toISOString());
      return 'sent';
    } catch {
      // Sent, but the lead keeps its claim instead of `notifiedAt`: the caller reports it.
      if (attempt >= MARK_NOTIFIED_ATTEMPTS) return 'sent-unrecorded';
      await sleepBackoff(attempt, MARK_NOTIFIED_BACKOFF);
    }
  }
}

/** Attempts to record a sent notification (each with the SDK's own retries) before giving up. */
const MARK_NOTIFIED_ATTEMPTS = 4;
/** 200 ms, 800 ms, 3.2 s between them (attempt 1 is the first retry's). */
const MARK_NOTIFIED_BACKOFF = { baseMs: 50, factor: 4, jitter: 'none' } as const;

/** How long a notifier keeps a campaign it read (for its name in the email). @default 60000 */
export const CAMPAIGN_NAME_TTL_MS = 60_000;

/**
 * Campaigns as read in the last `ttlMs`, for the sales email's campaign name: the clicks of one send
 * qualify together, and each notification would otherwise read the same campaign again. A rename
 * reaches the emails within `ttlMs`; a failed read is not kept. At most 1,000 campaigns are held.
 */
export function campaignsReadRecently(campaigns: Pick<CampaignStore, 'get'>, clock: Clock, ttlMs = CAMPAIGN_NAME_TTL_MS) {
  const held = new Map<string, () => Promise<Campaign | undefined>>();
  return {
    get(campaignId: string): Promise<Campaign | undefined> {
      let read = held.get(campaignId);
      if (!read) {
        if (held.size >= 1_000) held.clear();
        read = memoised(
          ttlMs,
          () => campaigns.get(campaignId),
          () => clock.now().getTime(),
        );
        held.set(campaignId, read);
      }
      return read();
    },
  };
}
