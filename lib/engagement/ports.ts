/**
 * What engagement recording needs from storage. Each port speaks the domain; its AWS adapter lives in
 * adapters/, and the local runtime uses the same adapter pointed at the embedded stand-ins.
 */
import type { Counters, RecipientEngagement } from './recipient';
import type { Page } from '../common/ports';

/** A stored recipient with the optimistic-concurrency version and the deltas not yet known counted. */
export interface StoredRecipient {
  state: RecipientEngagement;
  version: number;
  /** deltaId → { counters, at (epoch ms) }: this recipient's contribution assigned to a campaign delta. */
  pending: Record<string, { counters: Counters; at: number }>;
}

export interface CampaignDelta {
  campaignId: string;
  deltaId: string;
  counters: Counters;
  linkUrls: Record<string, string>;
  at: string;
  /**
   * Recipients (contact ids) whose write in this batch got no answer: their pending entry under this
   * delta id, if the write landed, is not in these counters and is taken over later.
   */
  excluded?: string[];
}

/** What a conditional recipient write did: written, or refused, with the winning item when known. */
export type RecipientWrite = { written: true } | { written: false; current?: StoredRecipient };

export interface EngagementStore {
  /**
   * Strongly consistent unless `consistent: false`: a batch's first read may be stale (half the read
   * units), because its write is conditional on the version read and a stale read only loses a race,
   * which is read again consistently. A read that decides something on its own stays consistent.
   */
  getRecipients(
    keys: { campaignId: string; contactId: string }[],
    options?: { consistent?: boolean },
  ): Promise<Map<string, StoredRecipient>>;
  /**
   * Writes only if the stored version is still `expectedVersion` (0 = absent). On a conflict,
   * `current` is the item that won, when the store could hand it back with the refusal (DynamoDB's
   * ReturnValuesOnConditionCheckFailure); without it the caller reads the recipient again.
   */
  putRecipient(recipient: StoredRecipient, expectedVersion: number): Promise<RecipientWrite>;
  /**
   * Which of these campaign deltas were written and, given `contactId`, count that recipient's
   * pending entry under their id (a delta does not count the recipients it names in `excluded`).
   */
  existingDeltas(refs: { campaignId: string; deltaId: string }[], contactId?: string): Promise<Set<string>>;
  /** Idempotent: writing the same delta id twice keeps the first. */
  putDelta(delta: CampaignDelta): Promise<void>;
  /**
   * The campaign's counters: its checkpoint plus the deltas written after it. With `compactBefore`,
   * deltas whose id sorts before it (no writer can still be writing one) are folded into the
   * checkpoint, so the next read has less to sum. With `maxDeltas`, at most that many deltas are
   * read: when more wait, `complete` is false and the counters are those of the oldest deltas only
   * (a lower bound of every figure); what was read and settled is folded, so each read reaches further.
   */
  campaignCounters(
    campaignId: string,
    options?: { compactBefore?: string; maxDeltas?: number },
  ): Promise<{ counters: Counters; linkUrls: Record<string, string>; complete: boolean }>;
  /** Every recipient of a campaign, for reports (a page at a time). */
  listRecipients(campaignId: string, cursor?: string): Promise<Page<RecipientEngagement>>;
}

export interface DeadLetter {
  reason: string;
  source: string;
  eventId?: string;
  /** The raw body, truncated; kept for diagnosis and expired. */
  body: string;
  at: string;
}

export interface DeadLetterSink {
  put(letters: DeadLetter[]): Promise<void>;
  /**
   * Right to erasure: rewrites the body and reason of every dead letter still stored (expired ones
   * included, until DynamoDB's TTL has deleted them) where `redact` answers new text; answers how many.
   */
  redactBodies(redact: (body: string) => string | undefined): Promise<number>;
}

/** What was sent, as the sender recorded it: what every SES event is checked against. */
export interface SentFacts {
  /** campaignId → its status and when sending was asked for; absent when the campaign does not exist. */
  campaigns: Map<string, { status: string; createdAt: string; sendRequestedAt?: string }>;
  /** `campaignId|contactId` → the recorded outcome; absent while none is recorded. */
  sends: Map<string, { messageId?: string; sentAt?: string; failed: boolean }>;
}

export interface SentRecords {
  /** One batched read (BatchGetItem) of the campaigns and send records these events name. */
  factsFor(keys: { campaignId: string; contactId: string }[]): Promise<SentFacts>;
}
