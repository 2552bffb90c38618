import type { EngagementEvent } from './ses-event';
import {
  addCounters,
  applyEvent,
  emptyRecipient,
  linkIdFor,
  project,
  subtractCounters,
  type Counters,
  type RecipientEngagement,
} from './recipient';
import type { MachineRules } from './machine-activity';
import type { Clock } from '../shared/ports';
import type { EngagementStore, StoredRecipient } from './ports';
import { mapWithConcurrency } from '../shared/concurrency';
import { isRetryable } from '../shared/errors';

/**
 * What a recorded batch changed for one recipient, handed to qualification and suppression
 * *before* the change is written, so a crash anywhere means the whole step runs again; listeners
 * are therefore idempotent.
 */
export interface RecipientChange {
  before: RecipientEngagement;
  after: RecipientEngagement;
  newEvents: EngagementEvent[];
}
export interface EngagementListener {
  /**
   * Hears a batch's planned changes. Changes it could not finish for a passing reason (throttling)
   * are returned in `retry`: those recipients are not written and their messages come back, while
   * the rest of the batch goes on. Throwing fails the whole batch.
   */
  recipientsChanged(changes: RecipientChange[]): Promise<ListenerOutcome | void>;
}
export interface ListenerOutcome {
  retry: RecipientChange[];
}
const keyOf = (r: { campaignId: string; contactId: string }) => `${r.campaignId}|${r.contactId}`;

export interface RecordEngagementDeps {
  store: EngagementStore;
  clock: Clock;
  rules: MachineRules;
  /** A pending delta older than this belongs to a writer that has certainly stopped. */
  inFlightGraceMs: number;
  newDeltaId: () => string;
  listener?: EngagementListener;
  /**
   * Delta ids this container has written, so their pending entries are dropped without asking
   * DynamoDB. Only an optimisation: an id it does not know is checked as before.
   */
  countedDeltas?: CountedDeltas;
  /**
   * The id before which deltas can no longer be in flight (see compactionCutoff). When given, about
   * one delta write in `compactEvery` also folds the campaign's settled deltas into its checkpoint,
   * so a stats read never has a long backlog to sum, whether or not anyone reads stats.
   */
  compactBefore?: () => string;
  /** @default 32 */
  compactEvery?: number;
}

/** A bounded memory of delta ids known to be written (per container; lost on a cold start, harmlessly). */
export class CountedDeltas {
  private ids = new Set<string>();
  constructor(private readonly capacity = 20_000) {}
  has(id: string) {
    return this.ids.has(id);
  }
  add(id: string) {
    if (this.ids.size >= this.capacity) this.ids = new Set([...this.ids].slice(this.capacity / 2));
    this.ids.add(id);
  }
}

export interface IncomingEvent {
  /** The queue message this event came in (for partial batch failure). */
  messageId: string;
  event: EngagementEvent;
}

const MAX_WRITE_ATTEMPTS = 8;

/**
 * Records a batch of SES events exactly once. The protocol (docs/engagement.md):
 * 1. Each recipient item carries its state, a version and `pending` deltas. The state is
 *    read, the batch's events applied in memory, and written back if the version is unchanged
 *    (optimistic concurrency; no transactions). Duplicate events are no-ops by their key.
 * 2. The recipient's contribution to the campaign's counters changes by project(after) −
 *    project(before); that delta is stored on the recipient under this attempt's delta id,
 *    in the same write.
 * 3. One campaign delta item per campaign per batch then carries the sum. A crash between 2 and 3
 *    leaves pending entries without a delta item: once older than the grace period (their writer
 *    has timed out) the next batch touching the recipient takes them over into its own delta.
 *    A batch whose events were all seen before and whose recipient still has uncounted pending
 *    entries fails those messages, so they come back until the entries are counted.
 * Listeners (qualification, suppression) hear every planned change once per batch, before any write.
 * Result: ~1 write per recipient per batch, plus one small delta write per campaign per batch.
 */
export async function recordEngagement(deps: RecordEngagementDeps, incoming: IncomingEvent[]): Promise<{ failedMessageIds: string[] }> {
  const groups = new Map<string, IncomingEvent[]>();
  for (const item of incoming) {
    const k = `${item.event.campaignId}|${item.event.contactId}`;
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  const deltaIds = new Map<string, string>();
  const deltaIdFor = (campaignId: string) => {
    if (!deltaIds.has(campaignId)) deltaIds.set(campaignId, deps.newDeltaId());
    return deltaIds.get(campaignId)!;
  };

  const everything = { failedMessageIds: incoming.map((i) => i.messageId) }; // nothing written yet: all come back
  let stored: Map<string, StoredRecipient>;
  try {
    stored = await deps.store.getRecipients([...groups.values()].map((g) => g[0]!.event));
  } catch (error) {
    if (!isRetryable(error)) throw error;
    return everything;
  }
  const failed = new Set<string>();
  const campaignDeltas = new Map<string, { counters: Counters; linkUrls: Record<string, string>; messageIds: string[] }>();
  const failGroup = (items: IncomingEvent[]) => items.forEach((i) => failed.add(i.messageId));

  // Plan every recipient, hand all changes to the listeners at once (one look-up of contacts and
  // campaigns per batch), then write. A recipient whose write loses a race is planned, heard and
  // written again on its own.
  const plans = new Map<string, Plan>();
  await mapWithConcurrency([...groups.entries()], 8, async ([groupKey, items]) => {
    const { campaignId, contactId } = items[0]!.event;
    try {
      plans.set(groupKey, await planRecipientWrite(deps, stored.get(groupKey), campaignId, contactId, items, deltaIdFor(campaignId)));
    } catch (error) {
      if (!isRetryable(error)) throw error;
      plans.set(groupKey, { kind: 'retry-later' }); // this recipient's messages come back; the others go on
    }
  });
  const heard = [...plans.values()].flatMap((p) => (p.kind === 'write' && p.change.newEvents.length ? [p.change] : []));
  if (heard.length && deps.listener) {
    let outcome: ListenerOutcome | void;
    try {
      outcome = await deps.listener.recipientsChanged(heard);
    } catch (error) {
      if (!isRetryable(error)) throw error;
      return everything;
    }
    // A recipient the listeners could not finish is not written, so that it is heard again.
    for (const change of outcome?.retry ?? []) plans.set(keyOf(change.after), { kind: 'retry-later' });
  }

  // Recipients whose write got no answer (a timeout, a lost response) that even a read-back could
  // not settle: the write may have landed, leaving this batch's delta id pending on the recipient.
  // The campaign delta names them as not counted, so such an entry is taken over, once abandoned, by
  // a later batch instead of being dropped as counted; their messages come back.
  const uncertain = new Map<string, string[]>(); // campaignId → contact ids
  await mapWithConcurrency([...groups.entries()], 8, async ([groupKey, items]) => {
    const { campaignId, contactId } = items[0]!.event;
    try {
      let plan = plans.get(groupKey)!;
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
        if (plan.kind === 'retry-later') return failGroup(items);
        if (plan.kind === 'nothing') return;
        const expectedVersion = stored.get(groupKey)?.version ?? 0;
        let written: boolean;
        try {
          written = await deps.store.putRecipient(plan.next, expectedVersion);
        } catch (error) {
          if (!isRetryable(error)) throw error;
          // No answer: the write may have landed. Read it back to find out.
          const outcome = await writeOutcome(deps.store, plan.next, expectedVersion, deltaIdFor(campaignId));
          if (outcome === 'unknown') uncertain.set(campaignId, [...(uncertain.get(campaignId) ?? []), contactId]);
          if (outcome !== 'landed') return failGroup(items);
          written = true;
        }
        if (written) {
          const acc = campaignDeltas.get(campaignId) ?? { counters: {}, linkUrls: {}, messageIds: [] };
          addCounters(acc.counters, plan.delta);
          Object.assign(acc.linkUrls, plan.linkUrls);
          acc.messageIds.push(...items.map((i) => i.messageId));
          campaignDeltas.set(campaignId, acc);
          return;
        }
        // Another writer got there first: read again, re-plan, let the listeners hear the new plan.
        stored = new Map([...stored, ...(await deps.store.getRecipients([{ campaignId, contactId }]))]);
        plan = await planRecipientWrite(deps, stored.get(groupKey), campaignId, contactId, items, deltaIdFor(campaignId));
        if (plan.kind === 'write' && plan.change.newEvents.length && (await deps.listener?.recipientsChanged([plan.change]))?.retry.length) {
          return failGroup(items);
        }
      }
      failGroup(items);
    } catch (error) {
      if (!isRetryable(error)) throw error;
      failGroup(items);
    }
  });

  for (const [campaignId, acc] of campaignDeltas) {
    // No delta item at all leaves every pending entry of this batch to be taken over: fine as well.
    if (!Object.keys(acc.counters).length) continue;
    const excluded = uncertain.get(campaignId);
    try {
      await deps.store.putDelta({
        campaignId,
        deltaId: deltaIdFor(campaignId),
        counters: acc.counters,
        linkUrls: acc.linkUrls,
        at: deps.clock.now().toISOString(),
        ...(excluded ? { excluded } : {}),
      });
      // The container's memory of counted deltas holds only those that count every entry of their id.
      if (!excluded) deps.countedDeltas?.add(deltaIdFor(campaignId));
      if (deps.compactBefore && Math.random() * (deps.compactEvery ?? 32) < 1) {
        await deps.store.campaignCounters(campaignId, { compactBefore: deps.compactBefore() });
      }
    } catch (error) {
      if (!isRetryable(error)) throw error;
      // Pending entries stay on the recipients; the redelivered messages recover them.
      acc.messageIds.forEach((id) => failed.add(id));
    }
  }
  return { failedMessageIds: [...failed] };
}

type Plan =
  | { kind: 'nothing' }
  | { kind: 'retry-later' }
  | { kind: 'write'; next: StoredRecipient; delta: Counters; linkUrls: Record<string, string>; change: RecipientChange };

async function planRecipientWrite(
  deps: RecordEngagementDeps,
  current: StoredRecipient | undefined,
  campaignId: string,
  contactId: string,
  items: IncomingEvent[],
  deltaId: string,
): Promise<Plan> {
  const nowMs = deps.clock.now().getTime();
  const before = current?.state ?? emptyRecipient(campaignId, contactId);
  let after = before;
  const newEvents: EngagementEvent[] = [];
  for (const { event } of items) {
    const next = applyEvent(after, event, deps.rules);
    if (next !== after) newEvents.push(event);
    after = next;
  }

  // Sort the pending entries: counted (a delta item exists) → drop; abandoned (old, uncounted) →
  // take over into this batch's delta; young and uncounted → leave to the writer that owns them.
  const pending = { ...(current?.pending ?? {}) };
  let pruned = false;
  for (const id of Object.keys(pending)) {
    if (deps.countedDeltas?.has(id)) {
      delete pending[id];
      pruned = true;
    }
  }
  const entries = Object.entries(pending);
  const toCheck = newEvents.length ? entries.filter(([, p]) => nowMs - p.at >= deps.inFlightGraceMs) : entries;
  const existing = toCheck.length
    ? await deps.store.existingDeltas(toCheck.map(([id]) => ({ campaignId, deltaId: id })), contactId)
    : new Set<string>();
  const takenOver: Counters = {};
  let youngUncounted = false;
  for (const [id, entry] of toCheck) {
    if (existing.has(id)) {
      delete pending[id];
      pruned = true;
    } else if (nowMs - entry.at >= deps.inFlightGraceMs) {
      addCounters(takenOver, entry.counters);
      delete pending[id];
    } else {
      youngUncounted = true;
    }
  }

  const delta = addCounters(subtractCounters(project(after, deps.rules), project(before, deps.rules)), takenOver);
  if (!newEvents.length) {
    if (youngUncounted) return { kind: 'retry-later' };
    if (!Object.keys(delta).length && !pruned) return { kind: 'nothing' };
  }
  if (Object.keys(delta).length) pending[deltaId] = { counters: addCounters({ ...(pending[deltaId]?.counters ?? {}) }, delta), at: nowMs };

  const linkUrls: Record<string, string> = {};
  for (const e of newEvents) if (e.link) linkUrls[linkIdFor(e.link)] = e.link;
  return {
    kind: 'write',
    next: { state: after, version: (current?.version ?? 0) + 1, pending },
    delta,
    linkUrls,
    change: { before, after, newEvents },
  };
}

/**
 * Whether a recipient write that got no answer landed: ours if the item now has the version we
 * wrote and our pending entry under this batch's delta id (no other writer uses that id); not
 * landed if the version is still the one we expected; unknown otherwise (another writer has moved
 * the item on, or the read failed too).
 */
async function writeOutcome(
  store: EngagementStore,
  next: StoredRecipient,
  expectedVersion: number,
  deltaId: string,
): Promise<'landed' | 'not-landed' | 'unknown'> {
  const { campaignId, contactId } = next.state;
  try {
    const now = (await store.getRecipients([{ campaignId, contactId }])).get(keyOf(next.state));
    const version = now?.version ?? 0;
    if (version === expectedVersion) return 'not-landed';
    const ours = next.pending[deltaId];
    if (version === next.version && ours && JSON.stringify(now?.pending[deltaId]) === JSON.stringify(ours)) return 'landed';
    return 'unknown';
  } catch {
    return 'unknown';
  }
}
