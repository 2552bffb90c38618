import { z } from 'zod';
import type { Clock } from '../common/ports';
import type { SentFacts, SentRecords } from './ports';
import type { IncomingEvent } from './record-engagement';
import type { EngagementEvent } from './ses-event';

/**
 * Every SES event is checked against what was sent before it may count: our account, our
 * configuration set, a campaign that exists and was sent, a contact it was sent to under the SES
 * message id recorded for that send, and a time inside the send's window. An event that fails is
 * set aside with its reason and changes nothing. An event whose send has no outcome recorded yet
 * (the job is in flight, or a crashed sender's job waits for its takeover) waits: its message comes
 * back later (bounded by the queue's receive count). A Send event in that state is accepted, since
 * the takeover reads it to learn whom SES accepted (docs/sending.md).
 */

export const eventRulesSchema = z.object({
  /** The AWS account that sends; events naming another are foreign. Unchecked when absent. */
  accountId: z.string().min(1).optional(),
  configurationSet: z.string().min(1),
  /** Events dated more than this long after their send are set aside. @default 90 */
  windowDays: z.number().positive().default(90),
  /** Clock difference tolerated between SES, the sender and this function. @default 5 minutes */
  skewMs: z.number().int().nonnegative().default(300_000),
});
export type EventRules = z.infer<typeof eventRulesSchema>;

/** The message id the sender records for someone it knows SES accepted from a Send event (a takeover). */
export const RECOVERED_MESSAGE_ID = 'recovered-from-ses-send-event';

export interface VerifyDeps {
  sent: SentRecords;
  clock: Clock;
  rules: EventRules;
}

export interface Verified {
  accepted: IncomingEvent[];
  /**
   * Queue messages of Send events that only confirm what the sender recorded (same SES message id):
   * acknowledged without a write. The recipient's next event (SES always publishes one: Delivery,
   * Bounce, Reject, Rendering Failure or DeliveryDelay) records the Send it implies, under the same
   * key, so `sent` still counts each message once (docs/engagement.md).
   */
  confirmed: string[];
  setAside: { messageId: string; reason: string }[];
  /** Queue messages to hand back: their send's outcome is not recorded yet. */
  waiting: string[];
}

type Verdict = { kind: 'accept' | 'confirmed' } | { kind: 'set-aside' | 'wait'; reason: string };

export async function verifyEvents(deps: VerifyDeps, incoming: IncomingEvent[]): Promise<Verified> {
  const out: Verified = { accepted: [], confirmed: [], setAside: [], waiting: [] };
  const pending: IncomingEvent[] = [];
  for (const item of incoming) {
    const reason = intrinsicProblem(deps.rules, item.event);
    if (reason) out.setAside.push({ messageId: item.messageId, reason });
    else pending.push(item);
  }
  if (!pending.length) return out;
  const facts = await deps.sent.factsFor(pending.map((i) => i.event));
  const now = deps.clock.now().getTime();
  for (const item of pending) {
    const verdict = againstFacts(deps.rules, item.event, facts, now);
    if (verdict.kind === 'accept') out.accepted.push(item);
    else if (verdict.kind === 'confirmed') out.confirmed.push(item.messageId);
    else if (verdict.kind === 'wait') out.waiting.push(item.messageId);
    else if (verdict.kind === 'set-aside') out.setAside.push({ messageId: item.messageId, reason: verdict.reason });
  }
  return out;
}

/**
 * What the event alone shows: the account, the configuration set, and its date against its own
 * message's (`mail.timestamp`), which againstFacts then anchors to the recorded send.
 */
function intrinsicProblem(rules: EventRules, e: EngagementEvent): string | undefined {
  if (rules.accountId && e.account !== rules.accountId) return `foreign account: ${e.account ?? 'none'} is not ${rules.accountId}`;
  if (e.configurationSet !== rules.configurationSet) return `foreign configuration set: ${e.configurationSet ?? 'none'}`;
  const at = Date.parse(e.at);
  const sentAt = Date.parse(e.sentAt);
  if (at < sentAt) return `dated before its send: ${e.at} < ${e.sentAt}`;
  if (at > sentAt + rules.windowDays * 86_400_000) return `out of window: more than ${rules.windowDays} days after its send`;
  return undefined;
}

/**
 * What the records show: a campaign that exists and was sent, to this contact, under this message
 * id, at the time recorded (so an event's own dates cannot carry it out of its send's window).
 */
function againstFacts(rules: EventRules, e: EngagementEvent, facts: SentFacts, now: number): Verdict {
  const campaign = facts.campaigns.get(e.campaignId);
  if (!campaign) return { kind: 'set-aside', reason: `unknown campaign ${e.campaignId}` };
  if (campaign.status === 'draft') return { kind: 'set-aside', reason: 'campaign was never sent' };
  const requested = Date.parse(campaign.sendRequestedAt ?? campaign.createdAt);
  if (Date.parse(e.sentAt) < requested - rules.skewMs)
    return { kind: 'set-aside', reason: 'dated before its send: before the campaign was sent' };
  const send = facts.sends.get(`${e.campaignId}|${e.contactId}`);
  if (!send) {
    if (campaign.status === 'sent') return { kind: 'set-aside', reason: 'contact was not sent this campaign' };
    // The takeover needs a Send event to know whom SES accepted; with no record to anchor it, it may not be dated ahead of now.
    if (e.type === 'send' && Date.parse(e.sentAt) <= now + rules.skewMs) return { kind: 'accept' };
    if (e.type === 'send') return { kind: 'set-aside', reason: 'dated in the future' };
    return { kind: 'wait', reason: 'send outcome not recorded yet' };
  }
  if (send.failed) return { kind: 'set-aside', reason: 'send was not accepted by SES (recorded as failed)' };
  if (send.messageId !== RECOVERED_MESSAGE_ID && send.messageId !== e.messageId) {
    return { kind: 'set-aside', reason: 'SES message id does not match the send' };
  }
  if (send.sentAt && Date.parse(e.sentAt) > Date.parse(send.sentAt) + rules.skewMs) {
    return { kind: 'set-aside', reason: 'mail timestamp after the send was recorded' };
  }
  // The sender recorded this very message: its Send event adds nothing the next event does not carry.
  if (e.type === 'send' && send.messageId === e.messageId) return { kind: 'confirmed' };
  return { kind: 'accept' };
}
