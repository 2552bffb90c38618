import { describe, expect, it } from 'vitest';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import type { EngagementEvent } from '../../lib/engagement/ses-event';
import type { EngagementStore, StoredRecipient } from '../../lib/engagement/ports';
import { generateEventLog, prng, shuffle } from '../support/event-log';
import { MemoryEngagementStore } from '../support/memory-engagement-store';
import { bound, crashing, deliverRound, FakeClock, GRACE_MS, replay } from '../support/engagement-replay';
import { figures, recount } from '../support/recount';

// The replay helpers: test/support/engagement-replay.ts (shared with record-engagement.test.ts).
// A log of 2,000 recipients (about 21,000 events), not 5,000: every fault below still strikes
// hundreds of times in a replay, and the suite stays within its time on two cores.
const log = generateEventLog({ recipients: 2_000, campaigns: 2, seed: 11, ownLinkClicks: true });
const expected = recount(log, 'cmp_0', defaultMachineRules);
describe('recordEngagement: exact when writes crash, lose their answer or read stale', () => {
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
        const write = await memory.putRecipient(recipient, expectedVersion);
        if (write.written) previous.set(key, before);
        // As from dynalite, a refusal without the winning item: the loser reads again, consistently.
        return write.written ? write : { written: false };
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
});
