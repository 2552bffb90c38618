import { describe, expect, it } from 'vitest';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import { computeMetrics } from '../../lib/engagement/metrics';
import type { EngagementEvent } from '../../lib/engagement/ses-event';
import type { EngagementStore, StoredRecipient } from '../../lib/engagement/ports';
import { recordEngagement } from '../../lib/engagement/record-engagement';
import type { RecipientChange } from '../../lib/engagement/listeners';
import { generateEventLog, LOG_UNSUBSCRIBE_BASE_URL, prng, shuffle } from '../support/event-log';
import { pipelineLinks } from '../../lib/common/own-links';
import { isNonClick } from '../../lib/engagement/recipient';
import { MemoryEngagementStore } from '../support/memory-engagement-store';
import { recount } from '../support/recount';

const GRACE_MS = 60_000;

class FakeClock {
  constructor(public ms = Date.parse('2026-03-05T00:00:00Z')) {}
  now = () => new Date(this.ms);
}

type Delivery = { messageId: string; event: EngagementEvent };
interface ReplayOptions {
  clock?: FakeClock;
  onChange?: (c: RecipientChange[]) => void;
}

/** One delivery round: batches of 100 through the use case; returns the messages to deliver again. */
async function deliverRound(queue: Delivery[], store: EngagementStore, clock: FakeClock, options: ReplayOptions = {}) {
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
async function replay(events: EngagementEvent[], store: EngagementStore, options: ReplayOptions = {}) {
  const clock = options.clock ?? new FakeClock();
  let queue: Delivery[] = events.map((event, i) => ({ messageId: `m${i}`, event }));
  for (let round = 0; queue.length; round++) {
    if (round > 50) throw new Error('replay did not converge');
    queue = await deliverRound(queue, store, clock, options);
    clock.ms += GRACE_MS * 6;
  }
}

async function figures(store: EngagementStore, campaignId: string) {
  const m = computeMetrics((await store.campaignCounters(campaignId)).counters);
  return {
    sent: m.sent,
    delivered: m.delivered,
    bounced: m.bounced,
    complained: m.complained,
    unsubscribed: m.unsubscribed,
    uniqueOpens: m.uniqueOpens,
    uniqueClicks: m.uniqueClicks,
    totalOpens: m.totalOpens,
    totalClicks: m.totalClicks,
    humanUniqueOpens: m.human.uniqueOpens,
    humanUniqueClicks: m.human.uniqueClicks,
    humanTotalClicks: m.human.totalClicks,
  };
}

/**
 * Fails every n-th call of a store method: before the write (a crash between two writes) or, with
 * `lostResponse`, after the write was applied (the caller cannot tell whether it happened).
 */
function crashing(store: MemoryEngagementStore, method: 'putDelta' | 'putRecipient', every: number, lostResponse = false): EngagementStore {
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
const bound = (store: MemoryEngagementStore): EngagementStore => ({
  getRecipients: store.getRecipients.bind(store),
  putRecipient: store.putRecipient.bind(store),
  existingDeltas: store.existingDeltas.bind(store),
  putDelta: store.putDelta.bind(store),
  campaignCounters: store.campaignCounters.bind(store),
  listRecipients: store.listRecipients.bind(store),
});

// The log holds clicks on the tracked unsubscribe link too, as AWS reports them: they must count nothing.
const log = generateEventLog({ recipients: 5_000, campaigns: 2, seed: 11, ownLinkClicks: true });
const expected = recount(log, 'cmp_0', defaultMachineRules);

describe('recordEngagement: exact under the conditions AWS delivers', () => {
  it('replays a log of 50,000+ events over 5,000 recipients to the independent recount', async () => {
    expect(log.length).toBeGreaterThanOrEqual(50_000);
    const store = new MemoryEngagementStore();
    await replay(log, store);
    expect(await figures(store, 'cmp_0')).toEqual(expected);
    expect(expected.humanUniqueClicks).toBeGreaterThan(0);
    expect(expected.uniqueClicks).toBeGreaterThan(expected.humanUniqueClicks); // scanners were flagged
  });

  it('counts the same with or without clicks on the unsubscribe link (tracked, untagged, by people and a scanner)', async () => {
    // The first 1,000 recipients of cmp_0 (two replays of the whole log would take minutes on a loaded machine).
    const part = (e: EngagementEvent) => e.campaignId === 'cmp_0' && Number(e.contactId.slice(3)) < 2_000;
    const withOwnClicks = log.filter(part);
    const without = generateEventLog({ recipients: 2_000, campaigns: 2, seed: 11 }).filter(part);
    const ownClicks = withOwnClicks.filter((e) => e.link?.startsWith(`${LOG_UNSUBSCRIBE_BASE_URL}/`));
    expect(ownClicks.length).toBeGreaterThan(100);
    const a = new MemoryEngagementStore();
    const b = new MemoryEngagementStore();
    await replay(shuffle(withOwnClicks, prng(13)), a);
    await replay(without, b);
    const all = async (store: MemoryEngagementStore) => {
      const { counters, linkUrls } = await store.campaignCounters('cmp_0');
      return computeMetrics(counters, linkUrls);
    };
    const [m, baseline] = [await all(a), await all(b)];
    expect(m).toEqual(baseline); // counts (all and human), rates and per-link stats
    expect(m.links.map((l) => l.url).sort()).toEqual([
      'https://acme.example/blog/q3',
      'https://acme.example/demo',
      'https://acme.example/pricing',
    ]);
  });

  it('never shows a total below its unique (a click implies an open, in totals too)', async () => {
    const store = new MemoryEngagementStore();
    await replay(log, store);
    const m = computeMetrics((await store.campaignCounters('cmp_0')).counters);
    expect(m.totalOpens).toBeGreaterThanOrEqual(m.uniqueOpens);
    expect(m.human.totalOpens).toBeGreaterThanOrEqual(m.human.uniqueOpens);
    expect(m.totalClicks).toBeGreaterThanOrEqual(m.uniqueClicks);
    expect(m.human.totalClicks).toBeGreaterThanOrEqual(m.human.uniqueClicks);
    for (const l of m.links) expect(l.totalClicks).toBeGreaterThanOrEqual(l.uniqueClicks);
  });

  it('gives the same figures for a shuffled log', async () => {
    const store = new MemoryEngagementStore();
    await replay(shuffle(log, prng(3)), store);
    expect(await figures(store, 'cmp_0')).toEqual(expected);
  });

  it('counts every event once when each is delivered twice', async () => {
    const store = new MemoryEngagementStore();
    await replay(shuffle([...log, ...log], prng(4)), store);
    expect(await figures(store, 'cmp_0')).toEqual(expected);
  });

  it('recovers a crash between the recipient write and the campaign delta write', async () => {
    const memory = new MemoryEngagementStore();
    await replay(shuffle(log, prng(5)), crashing(memory, 'putDelta', 3));
    expect(await figures(memory, 'cmp_0')).toEqual(expected);
  });

  it('recovers a batch that fails half-way through its recipient writes', async () => {
    const memory = new MemoryEngagementStore();
    await replay(shuffle(log, prng(6)), crashing(memory, 'putRecipient', 97));
    expect(await figures(memory, 'cmp_0')).toEqual(expected);
  });

  it('counts once when a recipient write lands but its answer is lost', async () => {
    const memory = new MemoryEngagementStore();
    await replay(shuffle(log, prng(9)), crashing(memory, 'putRecipient', 89, true));
    expect(await figures(memory, 'cmp_0')).toEqual(expected);
  });

  it('counts once when a recipient write lands unanswered and the read-back fails too', async () => {
    const memory = new MemoryEngagementStore();
    let writes = 0;
    let readBackFails = false;
    const store: EngagementStore = {
      ...bound(memory),
      async putRecipient(recipient, expectedVersion) {
        const written = await memory.putRecipient(recipient, expectedVersion);
        if (++writes % 211 === 0) {
          readBackFails = true;
          throw Object.assign(new Error('injected lost response'), { retryable: true });
        }
        return written;
      },
      async getRecipients(refs) {
        if (readBackFails) {
          readBackFails = false;
          throw Object.assign(new Error('injected read failure'), { retryable: true });
        }
        return memory.getRecipients(refs);
      },
    };
    await replay(shuffle(log, prng(12)), store);
    expect(await figures(memory, 'cmp_0')).toEqual(expected);
  });

  it("stays exact when the batch's first read is eventually consistent and answers an older version", async () => {
    // DynamoDB's eventually consistent read may miss the latest write: here it answers the version
    // before the latest for every other recipient it is asked for (and nothing for a first write).
    const memory = new MemoryEngagementStore();
    const previous = new Map<string, StoredRecipient | undefined>();
    let staleReads = 0;
    let asked = 0;
    const store: EngagementStore = {
      ...bound(memory),
      async putRecipient(recipient, expectedVersion) {
        const key = `${recipient.state.campaignId}|${recipient.state.contactId}`;
        const before = (await memory.getRecipients([recipient.state])).get(key);
        const written = await memory.putRecipient(recipient, expectedVersion);
        if (written) previous.set(key, before);
        return written;
      },
      async getRecipients(refs, options) {
        const fresh = await memory.getRecipients(refs);
        if (options?.consistent !== false) return fresh;
        for (const key of [...fresh.keys()]) {
          if (++asked % 2 || !previous.has(key)) continue;
          staleReads++;
          const old = previous.get(key);
          if (old) fresh.set(key, structuredClone(old));
          else fresh.delete(key);
        }
        return fresh;
      },
    };
    const part = log.slice(0, 15_000);
    await replay(shuffle(part, prng(13)), store);
    expect(staleReads).toBeGreaterThan(500);
    expect(await figures(memory, 'cmp_0')).toEqual(recount(part, 'cmp_0', defaultMachineRules));
  });

  it('counts once when a campaign delta lands but its answer is lost', async () => {
    const memory = new MemoryEngagementStore();
    await replay(shuffle(log, prng(10)), crashing(memory, 'putDelta', 3, true));
    expect(await figures(memory, 'cmp_0')).toEqual(expected);
  });

  it('keeps figures exact when duplicates arrive while the first copy is still in flight', async () => {
    // The same events in two interleaved streams: a recipient's pending delta from one stream is
    // young when the other stream sees the duplicate, which must wait rather than count it.
    const memory = new MemoryEngagementStore();
    const store = crashing(memory, 'putDelta', 2);
    const clock = new FakeClock();
    const part = log.filter((e) => e.campaignId === 'cmp_0').slice(0, 6_000);
    const asDeliveries = (events: EngagementEvent[], prefix: string) => events.map((event, i) => ({ messageId: `${prefix}${i}`, event }));
    // Both copies in flight at once (time stays within the grace period, as within a Lambda timeout) …
    const [failedA, failedB] = await Promise.all([
      deliverRound(asDeliveries(part, 'a'), store, clock),
      deliverRound(asDeliveries(shuffle(part, prng(8)), 'b'), store, clock),
    ]);
    clock.ms += GRACE_MS * 6;
    // … then what failed comes back after the visibility timeout.
    await replay(
      [...failedA, ...failedB].map((d) => d.event),
      store,
      { clock },
    );
    expect(await figures(memory, 'cmp_0')).toEqual(recount(part, 'cmp_0', defaultMachineRules));
  });

  it('hands every human click to the listener, and machine-only clickers never as human', async () => {
    const store = new MemoryEngagementStore();
    const clickers = new Set<string>();
    await replay(log, store, {
      onChange: (changes) => {
        for (const c of changes) if (c.newEvents.some((e) => e.type === 'click')) clickers.add(c.after.contactId);
      },
    });
    // A click on the way out (the unsubscribe link, tagged or not) is no interest: never handed on.
    const isOwnLink = pipelineLinks(LOG_UNSUBSCRIBE_BASE_URL);
    const everyClicker = new Set(log.filter((e) => e.type === 'click' && !isNonClick(e, isOwnLink)).map((e) => e.contactId));
    expect(clickers).toEqual(everyClicker);
  });

  it('writes about one item per recipient touched per batch, not one per counter', async () => {
    const store = new MemoryEngagementStore();
    await replay(log, store);
    const unique = new Set(log.map((e) => e.key)).size;
    expect(store.writes / unique).toBeLessThan(1.1);
  });
});
