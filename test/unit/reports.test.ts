import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { Campaign } from '../../lib/sending/campaign';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import { emptyRecipient, project, type Counters, type RecipientEngagement } from '../../lib/engagement/recipient';
import { ValidationError } from '../../lib/common/errors';
import type { LeadStage } from '../../lib/qualification/lead';
import { leadStages } from '../../lib/qualification/lead';
import { criteriaVersionOf, isAcceptedBySales, stageLabels } from '../../lib/reports/lead-stages';
import { parsePeriod, periodBounds, previousDays } from '../../lib/reports/period';
import { activitySeries } from '../../lib/reports/activity-series';
import { buildReport } from '../../lib/reports/build-report';
import type { ReportCampaignInput } from '../../lib/reports/report';
import { csvChunks, leadColumns, leadRow, recipientColumns, recipientRow } from '../../lib/reports/render-csv';
import { HTML_LEAD_ROWS, renderReportHtml } from '../../lib/reports/render-html';
import { reportKeys } from '../../lib/reports/write-reports';
import { makeLead } from '../support/reports';

const campaign = (id: string, over: Partial<Campaign> = {}): Campaign => ({
  campaignId: id,
  name: `Campaign ${id}`,
  subject: 'Hello',
  fromAddress: 'news@acme.example',
  htmlTemplate: 'h',
  textTemplate: 't',
  profileId: 'icp_a',
  profileVersion: 1,
  status: 'sent',
  createdAt: '2026-03-01T09:00:00.000Z',
  sendRequestedAt: '2026-03-02T09:00:00.000Z',
  links: { l1: 'https://acme.example/pricing' },
  ...over,
});
const lead = makeLead;
const counters = (c: Counters) => c;

const inputA: ReportCampaignInput = {
  campaign: campaign('cmp_a'),
  counters: counters({
    sent: 100,
    delivered: 95,
    bounced: 5,
    bouncedPermanent: 5,
    opened: 40,
    humanOpened: 30,
    clicked: 6,
    humanClicked: 4,
    opens: 60,
    humanOpens: 40,
    clicks: 8,
    humanClicks: 5,
    'flag:privacy-proxy': 12,
    'hour:2026-03-02T09:opens': 30,
    'hour:2026-03-02T11:opens': 30,
    'link:l1:clicked': 6,
    'link:l1:clicks': 8,
  }),
  linkUrls: {},
  leads: [
    lead('ct_1', 'cmp_a', { stage: 'sql' }),
    lead('ct_2', 'cmp_a', { stage: 'rejected', qualifiedAt: '2026-03-02T11:00:00.000Z' }),
    lead('ct_3', 'cmp_a'),
  ],
};
const inputB: ReportCampaignInput = {
  campaign: campaign('cmp_b', { profileVersion: 2, sendRequestedAt: '2026-03-05T09:00:00.000Z' }),
  counters: counters({
    sent: 50,
    delivered: 50,
    opened: 10,
    humanOpened: 10,
    clicked: 2,
    humanClicked: 2,
    complained: 1,
    'flag:scanner-agent': 2,
  }),
  linkUrls: {},
  leads: [lead('ct_4', 'cmp_b', { profileVersion: 2, stage: 'sql' })],
};
const period = { kind: 'period' as const, from: '2026-03-01', to: '2026-03-07' };

describe('report model', () => {
  const r = buildReport({ scope: period, generatedAt: '2026-03-08T06:00:00.000Z', campaigns: [inputA, inputB] });

  it('sums the campaigns counters and computes the rates from the sums', () => {
    expect(r.metrics.sent).toBe(150);
    expect(r.metrics.delivered).toBe(145);
    expect(r.metrics.rates.openRate).toBeCloseTo(50 / 145);
    expect(r.metrics.rates.bounceRate).toBeCloseTo(5 / 150);
    expect(r.campaigns.map((c) => [c.campaignId, c.mqls, c.acceptedBySales])).toEqual([
      ['cmp_a', 3, 1],
      ['cmp_b', 1, 1],
    ]);
  });

  it('builds the funnel sent → delivered → opened → clicked → MQL → SQL with each step’s conversion', () => {
    expect(r.funnel.map((s) => [s.stage, s.count])).toEqual([
      ['sent', 150],
      ['delivered', 145],
      ['opened', 50],
      ['clicked', 8],
      ['MQL', 4],
      ['SAL', 2],
      ['SQL', 2],
    ]);
    expect(r.funnel[5]!.ofPrevious).toBe(0.5);
    expect(r.funnel[6]!.ofPrevious).toBe(1);
  });

  it('reports MQL → SQL per criteria version', () => {
    expect(r.mqls.byCriteria).toEqual([
      {
        criteria: 'icp_a v1',
        mqls: 3,
        acceptedBySales: 1,
        qualifiedBySales: 1,
        rejectedBySales: 1,
        awaitingSales: 1,
        salRate: 1 / 3,
        sqlRate: 1 / 3,
      },
      {
        criteria: 'icp_a v2',
        mqls: 1,
        acceptedBySales: 1,
        qualifiedBySales: 1,
        rejectedBySales: 0,
        awaitingSales: 0,
        salRate: 1,
        sqlRate: 1,
      },
    ]);
    expect(r.mqls.sqlRate).toBe(0.5);
  });

  it('places rates against the bands and bounce/complaint rates against the SES levels', () => {
    expect(r.benchmarks.openRate).toMatchObject({ low: 0.161, high: 0.3615, placement: 'within' });
    expect(r.benchmarks.clickRate.placement).toBe('within');
    expect(r.reputation.bounceRate).toMatchObject({ review: 0.05, pause: 0.1, status: 'healthy' });
    expect(r.reputation.complaintRate.status).toBe('pause-level'); // 1 of 145 delivered ≈ 0.69 % ≥ 0.5 %
    const one = buildReport({
      scope: period,
      generatedAt: 'x',
      campaigns: [{ ...inputB, counters: { sent: 500, delivered: 500, complained: 1 } }],
    });
    expect(one.reputation.complaintRate.status).toBe('review-level'); // 0.2 %
  });

  it('uses configured bands', () => {
    const custom = buildReport({
      scope: period,
      generatedAt: 'x',
      campaigns: [inputA],
      bands: { source: 'Our own', openRate: { low: 0.5, high: 0.6 }, clickRate: { low: 0, high: 1 } },
    });
    expect(custom.benchmarks).toMatchObject({ source: 'Our own', openRate: { placement: 'below', low: 0.5 } });
  });

  it('is the same object whatever order campaigns, leads and counters arrive in', () => {
    const shuffled = buildReport({
      scope: period,
      generatedAt: '2026-03-08T06:00:00.000Z',
      campaigns: [
        { ...inputB, counters: Object.fromEntries(Object.entries(inputB.counters).reverse()) },
        { ...inputA, leads: [...inputA.leads].reverse(), counters: Object.fromEntries(Object.entries(inputA.counters).reverse()) },
      ],
    });
    expect(JSON.stringify(shuffled)).toBe(JSON.stringify(r));
    expect(renderReportHtml(shuffled)).toBe(renderReportHtml(r));
  });

  it('groups activity by hour, filling gaps, and by day when it spans more than four days', () => {
    expect(
      activitySeries([
        { hour: '2026-03-02T09', opens: 1, humanOpens: 1, clicks: 0, humanClicks: 0 },
        { hour: '2026-03-02T11', opens: 2, humanOpens: 0, clicks: 1, humanClicks: 1 },
      ]),
    ).toEqual({
      unit: 'hour',
      points: [
        { at: '2026-03-02T09', opens: 1, humanOpens: 1, clicks: 0, humanClicks: 0 },
        { at: '2026-03-02T10', opens: 0, humanOpens: 0, clicks: 0, humanClicks: 0 },
        { at: '2026-03-02T11', opens: 2, humanOpens: 0, clicks: 1, humanClicks: 1 },
      ],
    });
    const long = activitySeries([
      { hour: '2026-03-02T09', opens: 1, humanOpens: 1, clicks: 0, humanClicks: 0 },
      { hour: '2026-03-02T20', opens: 1, humanOpens: 1, clicks: 0, humanClicks: 0 },
      { hour: '2026-03-08T01', opens: 3, humanOpens: 0, clicks: 0, humanClicks: 0 },
    ]);
    expect(long.unit).toBe('day');
    expect(long.points.map((p) => [p.at, p.opens])).toEqual([
      ['2026-03-02', 2],
      ['2026-03-03', 0],
      ['2026-03-04', 0],
      ['2026-03-05', 0],
      ['2026-03-06', 0],
      ['2026-03-07', 0],
      ['2026-03-08', 3],
    ]);
  });
});

describe('lead stages in reports', () => {
  it('labels every stage, and counts as SQL exactly the stages sales accepted (later ones included)', () => {
    expect(Object.keys(stageLabels).sort()).toEqual([...leadStages].sort());
    // Accepted = reached SAL in its history; an old `sql` without a SAL entry counts, accepted then.
    const h = (...stages: LeadStage[]) => stages.map((stage, i) => ({ stage, at: `t${i}` }));
    expect(leadStages.filter((stage) => isAcceptedBySales({ stage, stageHistory: h('mql') }))).toEqual([
      'sal',
      'sql',
      'meeting',
      'proposal',
      'won',
      'lost',
    ]);
    expect(isAcceptedBySales({ stage: 'sql', stageHistory: h('mql', 'sql') })).toBe(true);
    expect(isAcceptedBySales({ stage: 'rejected', stageHistory: h('mql', 'sal', 'rejected') })).toBe(true);
    expect(isAcceptedBySales({ stage: 'rejected', stageHistory: h('mql', 'rejected') })).toBe(false);
    expect(criteriaVersionOf({ criteriaId: 'crit_x', criteriaVersion: 3, profileId: 'crit_x', profileVersion: 3 })).toBe('crit_x v3');
  });

  it('counts a lead that went on to a meeting or was won as accepted in MQL → SQL', () => {
    const r = buildReport({
      scope: period,
      generatedAt: 'x',
      campaigns: [
        {
          ...inputA,
          leads: [
            lead('ct_1', 'cmp_a', { stage: 'meeting' }),
            lead('ct_2', 'cmp_a', { stage: 'won' }),
            lead('ct_3', 'cmp_a', { stage: 'rejected', rejectionReason: 'no-budget' }),
          ],
        },
      ],
    });
    expect(r.mqls).toMatchObject({ count: 3, acceptedBySales: 2, rejectedBySales: 1, awaitingSales: 0 });
  });
});

describe('period', () => {
  it('takes whole UTC days with "to" included', () => {
    expect(parsePeriod({ from: '2026-03-01', to: '2026-03-07' })).toEqual({ from: '2026-03-01', to: '2026-03-07' });
    expect(periodBounds({ from: '2026-03-01', to: '2026-03-07' })).toEqual({
      start: '2026-03-01T00:00:00.000Z',
      end: '2026-03-08T00:00:00.000Z',
    });
    expect(previousDays(new Date('2026-03-09T06:00:00Z'), 7)).toEqual({ from: '2026-03-02', to: '2026-03-08' });
  });

  it.each([
    [{ from: '2026-02-30', to: '2026-03-01' }, /invalid period/],
    [{ from: '01/03/2026', to: '2026-03-01' }, /invalid period/],
    [{ from: '2026-03-02', to: '2026-03-01' }, /"to" \(2026-03-01\) is before "from"/],
    [{ from: '2025-01-01', to: '2026-01-02' }, /367 days; at most 366/],
    [null, /invalid period/],
  ])('refuses %j naming the problem', (input, message) => {
    expect(() => parsePeriod(input)).toThrow(ValidationError);
    expect(() => parsePeriod(input)).toThrow(message);
  });
});

describe('report keys', () => {
  it('date-stamps every report and keeps one latest pointer per campaign', () => {
    expect(reportKeys('reports/campaigns/cmp_a', '2026-03-08T06:00:01.234Z', 'abc123')).toEqual({
      json: 'reports/campaigns/cmp_a/2026-03-08/060001234Z-abc123/report.json',
      html: 'reports/campaigns/cmp_a/2026-03-08/060001234Z-abc123/report.html',
      recipientsCsv: 'reports/campaigns/cmp_a/2026-03-08/060001234Z-abc123/recipients.csv',
      leadsCsv: 'reports/campaigns/cmp_a/2026-03-08/060001234Z-abc123/leads.csv',
      latest: 'reports/campaigns/cmp_a/latest.json',
    });
  });
});

const collect = async (chunks: AsyncIterable<string>) => {
  let s = '';
  for await (const c of chunks) s += c;
  return s;
};

describe('CSV', () => {
  it('starts with a UTF-8 BOM, quotes per RFC 4180 and round-trips accents, commas, quotes and newlines', async () => {
    const text = await collect(csvChunks(['name', 'note'], [[['Zoë Ångström', 'says "hi", then\nleaves']]]));
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain('"says ""hi"", then\nleaves"');
    expect(parse(text, { columns: true, bom: true })).toEqual([{ name: 'Zoë Ångström', note: 'says "hi", then\nleaves' }]);
  });

  it.each(['=HYPERLINK("http://evil.example","x")', '+1+2', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '＝1+1'])(
    'neutralises a cell starting a formula: %j',
    async (evil) => {
      const text = await collect(csvChunks(['a'], [[[evil]]]));
      const [row] = parse(text, { columns: true, bom: true, relax_quotes: true }) as { a: string }[];
      expect(row!.a).toBe(`'${evil}`);
    },
  );

  it('leaves numbers as numbers (a negative count is never escaped)', async () => {
    expect(await collect(csvChunks(['n'], [[[-3], [42]]]))).toBe('\uFEFFn\n-3\n42\n');
  });

  it('writes recipient flags from the same projection the counters are summed from', () => {
    let state: RecipientEngagement = emptyRecipient('cmp_a', 'ct_1');
    state = {
      ...state,
      sentAt: '2026-03-02T09:00:00.000Z',
      deliveredAt: '2026-03-02T09:00:01.000Z',
      opens: [
        [1772442000, 'privacy-proxy'],
        [1772445600, ''],
      ],
      clicks: [[1772445700, 'l1', '', '']],
    };
    const row = recipientRow(state, '=evil@acme.example', lead('ct_1', 'cmp_a', { stage: 'sql' }), defaultMachineRules);
    const c = project(state, defaultMachineRules);
    const named = Object.fromEntries(recipientColumns.map((k, i) => [k, row[i]]));
    expect(named).toMatchObject({
      sent: true,
      delivered: true,
      opened: true,
      humanOpened: true,
      clicked: true,
      humanClicked: true,
      opens: c.opens,
      humanOpens: c.humanOpens,
      clicks: c.clicks,
      machineFlags: 'privacy-proxy',
      mql: true,
      stage: 'sql',
    });
    expect(named.email).toBe('=evil@acme.example'); // escaped by the writer, not here
  });

  it('writes one lead row with criteria, acceptance and reasons', () => {
    const row = leadRow(lead('ct_1', 'cmp_a', { stage: 'sql' }), { email: 'a@b.example', name: 'Ann', company: 'Acme' });
    expect(Object.fromEntries(leadColumns.map((k, i) => [k, row[i]]))).toMatchObject({
      criteria: 'icp_a v1',
      acceptedBySales: true,
      reasons: 'Fit: industry is Software; Engagement: clicked pricing',
      company: 'Acme',
    });
  });
});

describe('HTML', () => {
  const evil = (field: string) => `<script>alert("${field}")</script><img src=x onerror=alert('${field}')>&`;
  const escaped = (field: string) =>
    `&lt;script&gt;alert(&quot;${field}&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(&#39;${field}&#39;)&gt;&amp;`;
  const fields = ['name', 'subject', 'profile', 'link', 'reason', 'contactName', 'company', 'source'];
  const hostile = (scope: typeof period | { kind: 'campaign'; campaignId: string }) =>
    buildReport({
      scope,
      generatedAt: '2026-03-08T06:00:00.000Z',
      bands: { source: evil('source'), openRate: { low: 0.1, high: 0.2 }, clickRate: { low: 0.01, high: 0.02 } },
      contacts: new Map([['ct_1', { name: evil('contactName'), company: evil('company') }]]),
      campaigns: [
        {
          ...inputA,
          campaign: campaign('cmp_a', {
            name: evil('name'),
            subject: evil('subject'),
            profileId: evil('profile'),
            links: { l1: `https://acme.example/?q=${evil('link')}` },
          }),
          leads: [lead('ct_1', 'cmp_a', { profileId: evil('profile'), reasons: [evil('reason')] })],
        },
      ],
    });
  const html = renderReportHtml(hostile(period));
  const campaignHtml = renderReportHtml(hostile({ kind: 'campaign', campaignId: 'cmp_a' }));

  it.each(fields)('escapes the user-provided %s wherever it appears', (field) => {
    const page = field === 'subject' ? campaignHtml : html; // the subject is shown on the campaign report
    expect(page).toContain(escaped(field));
    expect(page).not.toContain(evil(field));
  });

  it('has no markup but its own', () => {
    for (const page of [html, campaignHtml]) expect(page).not.toMatch(/<script|<img/i);
  });

  it('is self-contained: no script, no external reference, and a policy that forbids any', () => {
    expect(html).not.toMatch(/<script|<link|<iframe|<object|@import|url\(/i);
    expect(html).not.toMatch(/<[^>]*\s(src|href)=/i);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`,
    );
  });

  it('lists at most HTML_LEAD_ROWS MQLs and points to leads.csv for the rest', () => {
    const many = buildReport({
      scope: period,
      generatedAt: 'x',
      campaigns: [
        { ...inputA, leads: Array.from({ length: HTML_LEAD_ROWS + 3 }, (_, i) => lead(`ct_${String(i).padStart(4, '0')}`, 'cmp_a')) },
      ],
    });
    const page = renderReportHtml(many);
    expect(page).toContain(`The first 500 of 503 MQLs; every one is in leads.csv.`);
  });
});
