/**
 * Replays SES event logs through recordEngagement as the events queue delivers them (batches of 100,
 * failed messages again after the visibility timeout), against in-memory stores that can be made to
 * fail: shared by the record-engagement tests.
 */
import type { EngagementEvent } from '../../lib/engagement/ses-event';
import type { EngagementStore } from '../../lib/engagement/ports';
import { recordEngagement } from '../../lib/engagement/record-engagement';
import type { RecipientChange } from '../../lib/engagement/listeners';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import { pipelineLinks } from '../../lib/common/own-links';
import { generateEventLog, LOG_UNSUBSCRIBE_BASE_URL } from './event-log';
import type { MemoryEngagementStore } from './memory-engagement-store';
import { recount } from './recount';

export const GRACE_MS = 60_000;

export class FakeClock {
  constructor(public ms = Date.parse('2026-03-05T00:00:00Z')) {}
  now = () => new Date(this.ms);
}

export type Delivery = { messageId: string; event: EngagementEvent };
export interface ReplayOptions {
  clock?: FakeClock;
  onChange?: (c: RecipientChange[]) => void;
}

/** One delivery round: batches of 100 through the use case; returns the messages to deliver again. */
export async function deliverRound(queue: Delivery[], store: EngagementStore, clock: FakeClock, options: ReplayOptions = {}) {
  const stream = Math.random().toString(36).slice(2, 8); // delta ids are unique across writers
  let counter = 0;
  const failed: Delivery[] = [];
  for (let i = 0; i < queue.length; i += 100) {
    const batch = queue.slice(i, i + 100);
    try {
      const { failedMessageIds } = await recordEngagement(
        {
          store,
          clock,
          rules: defaultMachineRules,
          inFlightGraceMs: GRACE_MS,
          newDeltaId: () => `d${stream}${++counter}`,
          listener: options.onChange ? { recipientsChanged: async (c) => options.onChange!(c) } : undefined,
          isOwnLink: pipelineLinks(LOG_UNSUBSCRIBE_BASE_URL),
        },
        batch,
      );
      const ids = new Set(failedMessageIds);
      failed.push(...batch.filter((b) => ids.has(b.messageId)));
    } catch {
      failed.push(...batch); // the invocation crashed: the whole batch comes back
    }
    clock.ms += 10;
  }
  return failed;
}

/**
 * Plays the events queue: failed messages are delivered again after the visibility timeout (which
 * exceeds the grace period, as on AWS) until none fail.
 */
export async function replay(events: EngagementEvent[], store: EngagementStore, options: ReplayOptions = {}) {
  const clock = options.clock ?? new FakeClock();
  let queue: Delivery[] = events.map((event, i) => ({ messageId: `m${i}`, event }));
  for (let round = 0; queue.length; round++) {
    if (round > 50) throw new Error('replay did not converge');
    queue = await deliverRound(queue, store, clock, options);
    clock.ms += GRACE_MS * 6;
  }
}

/**
 * Fails every n-th call of a store method: before the write (a crash between two writes) or, with
 * `lostResponse`, after the write was applied (the caller cannot tell whether it happened).
 */
export function crashing(
  store: MemoryEngagementStore,
  method: 'putDelta' | 'putRecipient',
  every: number,
  lostResponse = false,
): EngagementStore {
  let calls = 0;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        const crash = ++calls % every === 0;
        if (crash && !lostResponse) throw Object.assign(new Error('injected crash'), { retryable: true });
        const result = await value.apply(target, args);
        if (crash) throw Object.assign(new Error('injected lost response'), { retryable: true });
        return result;
      };
    },
  });
}

/** The store's methods bound to it, to build a store that overrides some of them. */
export const bound = (store: MemoryEngagementStore): EngagementStore => ({
  getRecipients: store.getRecipients.bind(store),
  putRecipient: store.putRecipient.bind(store),
  existingDeltas: store.existingDeltas.bind(store),
  putDelta: store.putDelta.bind(store),
  campaignCounters: store.campaignCounters.bind(store),
  listRecipients: store.listRecipients.bind(store),
});

// The log holds clicks on the tracked unsubscribe link too, as AWS reports them: they must count nothing.
export const log = generateEventLog({ recipients: 5_000, campaigns: 2, seed: 11, ownLinkClicks: true });
export const expected = recount(log, 'cmp_0', defaultMachineRules);
