import { describe, expect, it } from 'vitest';
import { reviewCriteria } from '../../lib/review/review';
import { draftSuggestion } from '../../lib/review/use-cases';
import { previousQuarter, runQuarterlyReviews } from '../../lib/review/write-review';
import { evidenceHolds, liftOf, wilson } from '../../lib/review/statistics';
import { CRITERIA_ID, Q1, syntheticHistory } from '../support/review-history';

describe('Wilson interval', () => {
  it('matches published values and stays inside [0, 1]', () => {
    // Brown, Cai & DasGupta (2001): 0 of 30 → [0, 0.1135]; 15 of 30 → [0.3315, 0.6685].
    expect(wilson(0, 30)!.low).toBe(0);
    expect(wilson(0, 30)!.high).toBeCloseTo(0.1135, 4);
    expect(wilson(15, 30)!.low).toBeCloseTo(0.3315, 4);
    expect(wilson(15, 30)!.high).toBeCloseTo(0.6685, 4);
    expect(wilson(30, 30)!.high).toBe(1);
    expect(wilson(0, 0)).toBeNull();
  });
  it('needs the minimum sample and an interval that excludes 1', () => {
    expect(evidenceHolds(29, liftOf(0, 29, 0.5))).toBeNull();
    expect(evidenceHolds(30, liftOf(0, 30, 0.5))).toBe('lower');
    expect(evidenceHolds(40, liftOf(20, 40, 0.5))).toBeNull();
    expect(evidenceHolds(100, liftOf(90, 100, 0.5))).toBe('higher');
  });
});

describe('the quarterly criteria review on a synthetic history', () => {
  it('finds the industry sales rejects and the pricing click sales accepts, with intervals', async () => {
    const { deps, truth } = await syntheticHistory(400);
    const review = await reviewCriteria(deps, CRITERIA_ID, Q1);
    expect(review.versions).toHaveLength(1);
    const v1 = review.versions[0]!;
    expect(v1.mqls).toBe(400);
    expect(v1.decided + v1.open).toBe(400);
    expect(v1.rejectionReasons[0]!.reason).toMatch(/not-a-fit|no-need/);
    const retail = v1.groups.find((g) => g.dimension === 'industry' && g.value === 'Retail')!;
    expect(retail.leads).toBe(truth.retail.length);
    expect(retail.accepted).toBe(0);
    expect(retail.decided).toBeGreaterThanOrEqual(30);
    expect(retail.liftInterval!.high).toBeLessThan(0.5);
    expect(retail.evidence).toBe('lower');
    const pricing = v1.groups.find((g) => g.dimension === 'intent' && g.value === 'pricing')!;
    expect(pricing.leads).toBe(truth.pricing.length);
    expect(pricing.acceptanceRate!).toBeGreaterThan(0.6);
    expect(pricing.liftInterval!.low).toBeGreaterThan(1);
    expect(pricing.evidence).toBe('higher');
    // The acceptance rate's interval holds the rate; the lift's is the same interval over the average.
    expect(pricing.interval!.low).toBeLessThan(pricing.acceptanceRate!);
    expect(pricing.liftInterval!.low).toBeCloseTo(pricing.interval!.low / v1.acceptanceRate!, 10);
  });

  it('suggests excluding the industry and raising the pricing weight; each backtest: fewer MQLs, higher acceptance', async () => {
    const { deps } = await syntheticHistory(400);
    const { suggestions } = await reviewCriteria(deps, CRITERIA_ID, Q1);
    const exclude = suggestions.find((s) => s.edit.kind === 'exclude')!;
    expect(exclude.edit).toEqual({ kind: 'exclude', attribute: 'industry', value: 'Retail' });
    const raise = suggestions.find((s) => s.edit.kind === 'weight')!;
    expect(raise.edit).toMatchObject({ kind: 'weight', on: 'intent', name: 'pricing', from: 0, to: 10, threshold: { from: 10, to: 20 } });
    expect(suggestions.map((s) => s.n)).toEqual(suggestions.map((_, i) => i + 1));
    for (const s of [exclude, raise]) {
      const b = s.backtest;
      expect(b.before.mqls).toBe(400);
      expect(b.after.mqls).toBeLessThan(b.before.mqls);
      expect(b.after.mqlsPerMonth).toBeLessThan(b.before.mqlsPerMonth);
      expect(b.after.acceptanceRate!).toBeGreaterThan(b.before.acceptanceRate!);
      expect(s.evidence.n).toBeGreaterThanOrEqual(30);
      expect(s.evidence.liftInterval).not.toBeNull();
    }
    // Excluding Retail keeps every accepted lead (sales accepted none there) and drops every Retail rejection.
    expect(exclude.backtest.acceptedKept.share).toBe(1);
    expect(exclude.backtest.rejectedDropped.share!).toBeGreaterThan(0.3);
    expect(raise.backtest.acceptedKept.share!).toBeGreaterThan(0.6);
    expect(raise.backtest.rejectedDropped.share!).toBeGreaterThan(0.5);
  });

  it('suggests nothing with too few leads', async () => {
    const { deps } = await syntheticHistory(60);
    const review = await reviewCriteria(deps, CRITERIA_ID, Q1);
    expect(review.versions[0]!.mqls).toBe(60);
    expect(review.versions[0]!.groups.every((g) => g.evidence === null || g.decided >= 30)).toBe(true);
    expect(review.suggestions).toEqual([]);
  });

  it('is the same whatever order the leads are read in (a replay changes nothing)', async () => {
    const { deps, leads } = await syntheticHistory(200, 9);
    const first = await reviewCriteria(deps, CRITERIA_ID, Q1);
    const entries = [...leads.leads.entries()].reverse();
    leads.leads.clear();
    for (const [k, v] of entries) leads.leads.set(k, v);
    const again = await reviewCriteria(deps, CRITERIA_ID, Q1);
    expect(again.versions).toEqual(first.versions);
    expect(again.suggestions).toEqual(first.suggestions);
  });

  it('--draft N applies suggestion N to the draft, which stays unpublished', async () => {
    const { deps, criteria } = await syntheticHistory(400);
    const { suggestions } = await reviewCriteria(deps, CRITERIA_ID, Q1);
    const n = suggestions.find((s) => s.edit.kind === 'exclude')!.n;
    const { draft } = await draftSuggestion(deps, CRITERIA_ID, Q1, n);
    expect(draft.revision).toBe(2);
    expect(draft.document.exclusions).toEqual([
      { name: 'review: exclude industry Retail', when: { attribute: 'industry', op: 'equals', value: 'Retail' } },
    ]);
    expect(await criteria.listVersions(CRITERIA_ID)).toHaveLength(1);
    await expect(draftSuggestion(deps, CRITERIA_ID, Q1, 99)).rejects.toThrow(/no suggestion 99/);
  });
});

describe('the written review and its email', () => {
  it('writes JSON, HTML and CSV, and mails each inbox once per period under retries and a failed send', async () => {
    const { deps } = await syntheticHistory(100);
    const objects = new Map<string, string>();
    const reports = {
      put: async (key: string, body: string) => void objects.set(key, body),
      putStream: async (key: string, body: AsyncIterable<string>) => {
        let text = '';
        for await (const c of body) text += c;
        objects.set(key, text);
      },
      urlFor: async (key: string) => `https://reports.example/${key}`,
      urlLifetimeSeconds: 900,
      list: async (prefix: string) => [...objects.keys()].filter((k) => k.startsWith(prefix)).sort(),
      get: async (key: string) => objects.get(key),
      remove: async (keys: string[]) => {
        for (const k of keys) objects.delete(k);
      },
      removeEarlierVersions: async () => {},
    };
    const sent: { to: string; subject: string; text: string }[] = [];
    let failNext = true;
    const mail = {
      send: async (m: { to: string; subject: string; text: string }) => {
        if (m.to === 'sales@acme.example' && failNext) {
          failNext = false;
          throw new Error('Throttling');
        }
        sent.push(m);
        return { messageId: `m${sent.length}` };
      },
    };
    const marks = new Map<string, { claimedAt?: number; sentAt?: string }>();
    const mailLog = {
      claim: async (key: string, at: Date, leaseMs: number) => {
        const m = marks.get(key);
        if (m?.sentAt || (m?.claimedAt !== undefined && m.claimedAt >= at.getTime() - leaseMs)) return false;
        marks.set(key, { claimedAt: at.getTime() });
        return true;
      },
      markSent: async (key: string, _id: string, at: string) => void marks.set(key, { sentAt: at }),
      release: async (key: string) => void marks.delete(key),
    };
    const q = {
      ...deps,
      reports,
      uniqueSuffix: () => 'abc123',
      mail,
      mailLog,
      from: 'mql@acme.example',
      inboxes: ['marketing@acme.example', 'sales@acme.example'],
    };
    await expect(runQuarterlyReviews(q)).rejects.toThrow(/1 criteria set\(s\) failed: icp \(Throttling\)/);
    const result = await runQuarterlyReviews(q);
    await runQuarterlyReviews(q);
    expect(result.period).toEqual(Q1);
    expect(sent.map((m) => m.to).sort()).toEqual(['marketing@acme.example', 'sales@acme.example']);
    expect(sent[0]!.subject).toBe('Quarterly criteria review: ICP (2026-01-01 to 2026-03-31)');
    expect(sent[0]!.text).toContain('https://reports.example/reports/reviews/icp/2026-01-01_2026-03-31/');
    expect(sent[0]!.text).toContain('mql criteria review icp --from 2026-01-01 --to 2026-03-31');
    const keys = result.reviews[0]!.keys;
    expect(JSON.parse(objects.get(keys.json)!).versions[0].mqls).toBe(100);
    expect(objects.get(keys.html)).toContain('Content-Security-Policy');
    const csv = objects.get(keys.csv)!;
    expect(csv.startsWith('\uFEFFcriteriaId,version,kind,dimension,value')).toBe(true);
    expect(csv).toContain('icp,1,fit,industry,Retail,');
    expect(JSON.parse(objects.get(keys.latest)!).html).toBe(keys.html);
  });

  it('previousQuarter is the whole calendar quarter before', () => {
    expect(previousQuarter(new Date('2026-04-01T06:00:00Z'))).toEqual({ from: '2026-01-01', to: '2026-03-31' });
    expect(previousQuarter(new Date('2026-01-01T06:00:00Z'))).toEqual({ from: '2025-10-01', to: '2025-12-31' });
    expect(previousQuarter(new Date('2026-08-15T06:00:00Z'))).toEqual({ from: '2026-04-01', to: '2026-06-30' });
  });
});
