import { describe, expect, it } from 'vitest';
import { computeMetrics } from '../../lib/engagement/metrics';
import type { EngagementEvent } from '../../lib/engagement/ses-event';
import { generateEventLog, prng, shuffle } from '../support/event-log';
import { isNonClick } from '../../lib/engagement/recipient';
import { pipelineLinks } from '../../lib/common/own-links';
import { LOG_UNSUBSCRIBE_BASE_URL } from '../support/event-log';
import { MemoryEngagementStore } from '../support/memory-engagement-store';
import { expected, log, replay } from '../support/engagement-replay';
import { figures } from '../support/recount';

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
