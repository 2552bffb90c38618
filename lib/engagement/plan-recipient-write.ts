import { impliedSendOf, type EngagementEvent } from './ses-event';
import {
  addCounters,
  applyEvent,
  emptyRecipient,
  isNonClick,
  linkIdFor,
  project,
  subtractCounters,
  type Counters,
  type RecipientEngagement,
} from './recipient';
import type { CountedDeltas } from './deltas';
import type { RecipientChange } from './listeners';
import type { MachineRules } from './machine-activity';
import type { Clock } from '../common/ports';
import type { EngagementStore, StoredRecipient } from './ports';

/** What a batch will do for one recipient: nothing, come back later, or one conditional write. */
export type Plan =
  | { kind: 'nothing' }
  | { kind: 'retry-later' }
  | { kind: 'write'; next: StoredRecipient; delta: Counters; linkUrls: Record<string, string>; change: RecipientChange };

/** What planning reads (a subset of `RecordEngagementDeps`). */
export interface PlanDeps {
  store: Pick<EngagementStore, 'existingDeltas'>;
  clock: Clock;
  rules: MachineRules;
  inFlightGraceMs: number;
  countedDeltas?: Pick<CountedDeltas, 'has'>;
  /** The pipeline's own links (unsubscribe, preferences): a click on one is never counted. */
  isOwnLink?: (url: string) => boolean;
}

/**
 * Plans one recipient's write: the batch's events applied to its stored state, its pending entries
 * settled, and its contribution to the campaign's counters (after − before, plus what it takes over)
 * put under this batch's delta id.
 */
export async function planRecipientWrite(
  deps: PlanDeps,
  current: StoredRecipient | undefined,
  campaignId: string,
  contactId: string,
  events: EngagementEvent[],
  deltaId: string,
): Promise<Plan> {
  const nowMs = deps.clock.now().getTime();
  const before = current?.state ?? emptyRecipient(campaignId, contactId);
  const { after, newEvents } = applyEvents(before, events, deps.rules, deps.isOwnLink);
  const { pending, pruned, takenOver, youngUncounted } = await settlePending(
    deps,
    current,
    campaignId,
    contactId,
    newEvents.length > 0,
    nowMs,
  );
  const delta = addCounters(subtractCounters(project(after, deps.rules), project(before, deps.rules)), takenOver);
  if (!newEvents.length) {
    if (youngUncounted) return { kind: 'retry-later' };
    if (!Object.keys(delta).length && !pruned) return { kind: 'nothing' };
  }
  if (Object.keys(delta).length) pending[deltaId] = { counters: addCounters({ ...(pending[deltaId]?.counters ?? {}) }, delta), at: nowMs };

  const linkUrls: Record<string, string> = {};
  for (const e of newEvents) if (e.link && !isNonClick(e, deps.isOwnLink)) linkUrls[linkIdFor(e.link)] = e.link;
  return {
    kind: 'write',
    next: { state: after, version: (current?.version ?? 0) + 1, pending },
    delta,
    linkUrls,
    // The listeners (qualification, suppression) never hear a click on the way out: it is no interest.
    change: { before, after, newEvents: newEvents.filter((e) => !isNonClick(e, deps.isOwnLink)) },
  };
}

/** The state after the events, and those of them that changed it (the others were seen before). */
function applyEvents(
  before: RecipientEngagement,
  events: EngagementEvent[],
  rules: MachineRules,
  isOwnLink?: (url: string) => boolean,
): { after: RecipientEngagement; newEvents: EngagementEvent[] } {
  let after = before;
  const newEvents: EngagementEvent[] = [];
  for (const event of withImpliedSends(events)) {
    const next = applyEvent(after, event, rules, isOwnLink);
    if (next !== after) newEvents.push(event);
    after = next;
  }
  return { after, newEvents };
}

/**
 * The events with the Send each of them implies (ses-event.ts, impliedSendOf), first: a recipient's
 * first recorded event also records its Send, so a Send event that only confirmed the sender's record
 * could be acknowledged without a write of its own (verify-events.ts) and is still counted once.
 */
function withImpliedSends(events: EngagementEvent[]): EngagementEvent[] {
  const sends = new Map<string, EngagementEvent>();
  for (const e of events) if (e.type !== 'send' && !sends.has(e.messageId)) sends.set(e.messageId, impliedSendOf(e));
  return [...sends.values(), ...events];
}

/**
 * Sorts the recipient's pending entries: counted (a delta item exists) → dropped (`pruned`);
 * abandoned (old, uncounted) → taken over into this batch's delta; young and uncounted → left to the
 * writer that owns them. Without new events every entry is checked; with some, only the old ones.
 */
async function settlePending(
  deps: PlanDeps,
  current: StoredRecipient | undefined,
  campaignId: string,
  contactId: string,
  hasNewEvents: boolean,
  nowMs: number,
) {
  const pending = { ...(current?.pending ?? {}) };
  let pruned = false;
  for (const id of Object.keys(pending)) {
    if (deps.countedDeltas?.has(id)) {
      delete pending[id];
      pruned = true;
    }
  }
  const entries = Object.entries(pending);
  const toCheck = hasNewEvents ? entries.filter(([, p]) => nowMs - p.at >= deps.inFlightGraceMs) : entries;
  const existing = toCheck.length
    ? await deps.store.existingDeltas(
        toCheck.map(([id]) => ({ campaignId, deltaId: id })),
        contactId,
      )
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
  return { pending, pruned, takenOver, youngUncounted };
}
