import type { EngagementEvent } from './ses-event';
import { addCounters, type Counters } from './recipient';
import { DELTAS_PER_READ, type CountedDeltas } from './deltas';
import type { EngagementListener, ListenerOutcome } from './listeners';
import type { MachineRules } from './machine-activity';
import { planRecipientWrite, type Plan } from './plan-recipient-write';
import type { Clock } from '../common/ports';
import type { EngagementStore, StoredRecipient } from './ports';
import { mapWithConcurrency } from '../common/concurrency';
import { isRetryable } from '../common/errors';

const keyOf = (r: { campaignId: string; contactId: string }) => `${r.campaignId}|${r.contactId}`;

export interface RecordEngagementDeps {
  store: EngagementStore;
  clock: Clock;
  rules: MachineRules;
  /** A pending delta older than this belongs to a writer that has certainly stopped. */
  inFlightGraceMs: number;
  newDeltaId: () => string;
  listener?: EngagementListener;
  /** The pipeline's own links (unsubscribe, preferences): a click on one is never counted, whatever its tags. */
  isOwnLink?: (url: string) => boolean;
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

export interface IncomingEvent {
  /** The queue message this event came in (for partial batch failure). */
  messageId: string;
  event: EngagementEvent;
}

const MAX_WRITE_ATTEMPTS = 8;

/** One batch being recorded: its events by recipient, what is known of them, and what the writes gave. */
interface Batch {
  deps: RecordEngagementDeps;
  /** `campaignId|contactId` → that recipient's events. */
  groups: Map<string, IncomingEvent[]>;
  stored: Map<string, StoredRecipient>;
  /** This batch's delta id in a campaign (one per campaign per batch). */
  deltaIdFor: (campaignId: string) => string;
  /** Messages that come back. */
  failed: Set<string>;
  /** Per campaign: the sum of the recipients' written deltas, and the messages it carries. */
  campaignDeltas: Map<string, { counters: Counters; linkUrls: Record<string, string>; messageIds: string[] }>;
  /**
   * Recipients whose write got no answer (a timeout, a lost response) that even a read-back could
   * not settle: the write may have landed, leaving this batch's delta id pending on the recipient.
   * The campaign delta names them as not counted, so such an entry is taken over, once abandoned, by
   * a later batch instead of being dropped as counted; their messages come back.
   */
  uncertain: Map<string, string[]>; // campaignId → contact ids
}

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
  for (const item of incoming) groups.set(keyOf(item.event), [...(groups.get(keyOf(item.event)) ?? []), item]);
  const everything = { failedMessageIds: incoming.map((i) => i.messageId) }; // nothing written yet: all come back
  let stored: Map<string, StoredRecipient>;
  try {
    // Eventually consistent: every write below is conditional on the version read, so a stale read
    // costs a lost race (re-planned on the current item in writeRecipient), never a wrong count.
    stored = await deps.store.getRecipients(
      [...groups.values()].map((g) => g[0]!.event),
      { consistent: false },
    );
  } catch (error) {
    if (!isRetryable(error)) throw error;
    return everything;
  }
  const batch: Batch = {
    deps,
    groups,
    stored,
    deltaIdFor: oneIdPerCampaign(deps.newDeltaId),
    failed: new Set(),
    campaignDeltas: new Map(),
    uncertain: new Map(),
  };
  // Plan every recipient, hand all changes to the listeners at once (one look-up of contacts and
  // campaigns per batch), then write. A recipient whose write loses a race is planned, heard and
  // written again on its own.
  const plans = await planRecipients(batch);
  if (!(await hearPlannedChanges(batch, plans))) return everything;
  await mapWithConcurrency([...groups.entries()], 8, ([groupKey, items]) => writeRecipient(batch, groupKey, items, plans.get(groupKey)!));
  await putCampaignDeltas(batch);
  return { failedMessageIds: [...batch.failed] };
}

function oneIdPerCampaign(newDeltaId: () => string): (campaignId: string) => string {
  const deltaIds = new Map<string, string>();
  return (campaignId) => {
    if (!deltaIds.has(campaignId)) deltaIds.set(campaignId, newDeltaId());
    return deltaIds.get(campaignId)!;
  };
}

async function planRecipients(batch: Batch): Promise<Map<string, Plan>> {
  const plans = new Map<string, Plan>();
  await mapWithConcurrency([...batch.groups.entries()], 8, async ([groupKey, items]) => {
    const { campaignId, contactId } = items[0]!.event;
    try {
      plans.set(
        groupKey,
        await planRecipientWrite(
          batch.deps,
          batch.stored.get(groupKey),
          campaignId,
          contactId,
          items.map((i) => i.event),
          batch.deltaIdFor(campaignId),
        ),
      );
    } catch (error) {
      if (!isRetryable(error)) throw error;
      plans.set(groupKey, { kind: 'retry-later' }); // this recipient's messages come back; the others go on
    }
  });
  return plans;
}

/** The listeners hear every planned change at once. False when they failed for a passing reason: the whole batch comes back. */
async function hearPlannedChanges(batch: Batch, plans: Map<string, Plan>): Promise<boolean> {
  const heard = [...plans.values()].flatMap((p) => (p.kind === 'write' && p.change.newEvents.length ? [p.change] : []));
  if (!heard.length || !batch.deps.listener) return true;
  // biome-ignore lint/suspicious/noConfusingVoidType: what a listener returns (listeners.ts)
  let outcome: ListenerOutcome | void;
  try {
    outcome = await batch.deps.listener.recipientsChanged(heard);
  } catch (error) {
    if (!isRetryable(error)) throw error;
    return false;
  }
  // A recipient the listeners could not finish is not written, so that it is heard again.
  for (const change of outcome?.retry ?? []) plans.set(keyOf(change.after), { kind: 'retry-later' });
  return true;
}

/** Writes one recipient's plan; on a lost race, reads again, re-plans and lets the listeners hear the new plan. */
async function writeRecipient(batch: Batch, groupKey: string, items: IncomingEvent[], plan: Plan): Promise<void> {
  const { campaignId, contactId } = items[0]!.event;
  const failGroup = () => {
    for (const i of items) batch.failed.add(i.messageId);
  };
  try {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      if (plan.kind === 'retry-later') return failGroup();
      if (plan.kind === 'nothing') return;
      const written = await putPlanned(batch, groupKey, plan, { campaignId, contactId });
      if (written.kind === 'unsettled') return failGroup();
      if (written.kind === 'written') return addToCampaignDelta(batch, campaignId, plan, items);
      // Another writer got there first: take the item that won (handed back with the refusal, or
      // read again), re-plan, let the listeners hear the new plan.
      const current = written.current ?? (await batch.deps.store.getRecipients([{ campaignId, contactId }])).get(groupKey);
      if (current) batch.stored = new Map([...batch.stored, [groupKey, current]]);
      plan = await planRecipientWrite(
        batch.deps,
        batch.stored.get(groupKey),
        campaignId,
        contactId,
        items.map((i) => i.event),
        batch.deltaIdFor(campaignId),
      );
      if (
        plan.kind === 'write' &&
        plan.change.newEvents.length &&
        (await batch.deps.listener?.recipientsChanged([plan.change]))?.retry.length
      ) {
        return failGroup();
      }
    }
    failGroup();
  } catch (error) {
    if (!isRetryable(error)) throw error;
    failGroup();
  }
}

/** The conditional write of a plan. A write that got no answer is read back; `unsettled` when it did not land or nobody can tell. */
async function putPlanned(
  batch: Batch,
  groupKey: string,
  plan: Extract<Plan, { kind: 'write' }>,
  { campaignId, contactId }: { campaignId: string; contactId: string },
): Promise<{ kind: 'written' } | { kind: 'unsettled' } | { kind: 'conflict'; current?: StoredRecipient }> {
  const expectedVersion = batch.stored.get(groupKey)?.version ?? 0;
  try {
    const write = await batch.deps.store.putRecipient(plan.next, expectedVersion);
    return write.written ? { kind: 'written' } : { kind: 'conflict', current: write.current };
  } catch (error) {
    if (!isRetryable(error)) throw error;
    // No answer: the write may have landed. Read it back to find out.
    const outcome = await writeOutcome(batch.deps.store, plan.next, expectedVersion, batch.deltaIdFor(campaignId));
    if (outcome === 'unknown') batch.uncertain.set(campaignId, [...(batch.uncertain.get(campaignId) ?? []), contactId]);
    return outcome === 'landed' ? { kind: 'written' } : { kind: 'unsettled' };
  }
}

function addToCampaignDelta(batch: Batch, campaignId: string, plan: Extract<Plan, { kind: 'write' }>, items: IncomingEvent[]): void {
  const acc = batch.campaignDeltas.get(campaignId) ?? { counters: {}, linkUrls: {}, messageIds: [] };
  addCounters(acc.counters, plan.delta);
  Object.assign(acc.linkUrls, plan.linkUrls);
  acc.messageIds.push(...items.map((i) => i.messageId));
  batch.campaignDeltas.set(campaignId, acc);
}

/** One delta item per campaign carries the sum of the batch's written recipients (step 3); now and then it also compacts. */
async function putCampaignDeltas(batch: Batch): Promise<void> {
  const { deps } = batch;
  for (const [campaignId, acc] of batch.campaignDeltas) {
    // No delta item at all leaves every pending entry of this batch to be taken over: fine as well.
    if (!Object.keys(acc.counters).length) continue;
    const excluded = batch.uncertain.get(campaignId);
    try {
      await deps.store.putDelta({
        campaignId,
        deltaId: batch.deltaIdFor(campaignId),
        counters: acc.counters,
        linkUrls: acc.linkUrls,
        at: deps.clock.now().toISOString(),
        ...(excluded ? { excluded } : {}),
      });
      // The container's memory of counted deltas holds only those that count every entry of their id.
      if (!excluded) deps.countedDeltas?.add(batch.deltaIdFor(campaignId));
      if (deps.compactBefore && Math.random() * (deps.compactEvery ?? 32) < 1) {
        await deps.store.campaignCounters(campaignId, { compactBefore: deps.compactBefore(), maxDeltas: DELTAS_PER_READ });
      }
    } catch (error) {
      if (!isRetryable(error)) throw error;
      // Pending entries stay on the recipients; the redelivered messages recover them.
      for (const id of acc.messageIds) batch.failed.add(id);
    }
  }
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
