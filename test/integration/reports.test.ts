import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../demo/demo';
import { logger } from '../../functions/observability';
import { makeApiHandler } from '../../functions/api/handler';
import { makeReportHandler } from '../../functions/report/handler';
import { buildApp } from '../../lib/app';
import type { CampaignMetrics } from '../../lib/engagement/metrics';
import type { Report } from '../../lib/reports/report';
import type { RequestedReport, WrittenReport } from '../../lib/reports/write-reports';
import { callApi, fetchText, giveFeedback, parseCsv } from '../support/reports';

logger.setLogLevel('ERROR');

/**
 * Reports on the embedded stack: the demo's campaign (real sends, opens, clicks, MQLs through the
 * same handlers as on AWS), then reports through the API, read back from the local S3.
 */
let demo: DemoResult;
let campaignId: string;
let second: { campaignId: string; contactIds: string[] };
let written: WrittenReport;
let files: {
  json: Report;
  jsonText: string;
  html: string;
  recipients: Record<string, string>[];
  recipientsRaw: string;
  leads: Record<string, string>[];
  leadsRaw: string;
};
const today = new Date().toISOString().slice(0, 10);

async function read(w: Pick<WrittenReport, 'urls'>) {
  const [json, html, recipients, leads] = await Promise.all(
    [w.urls.json, w.urls.html, w.urls.recipientsCsv, w.urls.leadsCsv].map(fetchText),
  );
  return {
    json: JSON.parse(json!.text) as Report,
    jsonText: json!.text,
    html: html!.text,
    htmlType: html!.contentType,
    csvType: recipients!.contentType,
    recipientsRaw: recipients!.text,
    recipients: parseCsv(recipients!.text),
    leadsRaw: leads!.text,
    leads: parseCsv(leads!.text),
  };
}

beforeAll(async () => {
  // Seed 3 gives 7 MQLs at this size (seed 7 gives 1 since contact ids are keyed: who engages follows the ids).
  demo = await runDemo({ size: 300, seed: 3, keepRunning: true });
  campaignId = demo.summary.campaignId;
  const runtime = demo.runtime;
  // Sales feedback on the first leads: one accepted and on to a meeting, one rejected.
  const leads = (await callApi<{ items: { contactId: string }[] }>(runtime, 'GET', `/campaigns/${campaignId}/leads`)).body.items;
  expect(leads.length).toBeGreaterThanOrEqual(2);
  await giveFeedback(runtime, leads[0]!.contactId, { action: 'accept' });
  await giveFeedback(runtime, leads[0]!.contactId, { action: 'qualify' });
  await giveFeedback(runtime, leads[0]!.contactId, { action: 'stage', stage: 'meeting' });
  await giveFeedback(runtime, leads[1]!.contactId, { action: 'reject', reason: 'no-budget' });
  // A second, smaller campaign sent the same day, for the period report.
  const first = (
    await callApi<{ profileId: string; htmlTemplate: string; textTemplate: string; fromAddress: string }>(
      runtime,
      'GET',
      `/campaigns/${campaignId}`,
    )
  ).body;
  const contactIds = (await callApi<{ items: { contactId: string }[] }>(runtime, 'GET', `/campaigns/${campaignId}/leads`)).body.items
    .slice(0, 1)
    .map((l) => l.contactId);
  const recipients = (await runtime.app.adapters.engagement.listRecipients(campaignId)).items.slice(0, 12).map((r) => r.contactId);
  const created = await callApi<{ campaignId: string }>(runtime, 'POST', '/campaigns', {
    name: 'Follow-up: "=cost" <review>',
    subject: 'Still thinking about cloud costs?',
    fromAddress: first.fromAddress,
    htmlTemplate: first.htmlTemplate,
    textTemplate: first.textTemplate,
    profileId: first.profileId,
    contactIds: [...new Set([...contactIds, ...recipients])],
  });
  expect(created.status).toBe(201);
  await callApi(runtime, 'POST', `/campaigns/${created.body.campaignId}/send`);
  await runtime.settle();
  second = { campaignId: created.body.campaignId, contactIds: [...new Set([...contactIds, ...recipients])] };

  const response = await callApi<WrittenReport>(runtime, 'POST', `/campaigns/${campaignId}/reports`);
  expect(response.status).toBe(201);
  written = response.body;
  files = await read(written);
}, 120_000);

afterAll(async () => {
  await demo?.runtime.stop();
});

const yes = (rows: Record<string, string>[], column: string) => rows.filter((r) => r[column] === 'yes').length;
const sum = (rows: Record<string, string>[], column: string) => rows.reduce((n, r) => n + Number(r[column]), 0);

describe('campaign report', () => {
  it('agrees with the stats API in every figure', async () => {
    const stats = (await callApi<{ metrics: CampaignMetrics }>(demo.runtime, 'GET', `/campaigns/${campaignId}/stats`)).body.metrics;
    expect(files.json.metrics).toEqual(stats);
    expect(files.json.metrics.sent).toBeGreaterThan(150);
    expect(files.json.metrics.human.uniqueClicks).toBeGreaterThan(0);
  });

  it('has one CSV row per recipient, and the rows add up to the JSON figures', () => {
    const m = files.json.metrics;
    const rows = files.recipients;
    expect(rows).toHaveLength(m.sent);
    expect({
      sent: yes(rows, 'sent'),
      delivered: yes(rows, 'delivered'),
      bounced: rows.filter((r) => r.bounce).length,
      uniqueOpens: yes(rows, 'opened'),
      humanUniqueOpens: yes(rows, 'humanOpened'),
      uniqueClicks: yes(rows, 'clicked'),
      humanUniqueClicks: yes(rows, 'humanClicked'),
      totalOpens: sum(rows, 'opens'),
      humanTotalOpens: sum(rows, 'humanOpens'),
      totalClicks: sum(rows, 'clicks'),
      humanTotalClicks: sum(rows, 'humanClicks'),
      mqls: yes(rows, 'mql'),
    }).toEqual({
      sent: m.sent,
      delivered: m.delivered,
      bounced: m.bounced,
      uniqueOpens: m.uniqueOpens,
      humanUniqueOpens: m.human.uniqueOpens,
      uniqueClicks: m.uniqueClicks,
      humanUniqueClicks: m.human.uniqueClicks,
      totalOpens: m.totalOpens,
      humanTotalOpens: m.human.totalOpens,
      totalClicks: m.totalClicks,
      humanTotalClicks: m.human.totalClicks,
      mqls: files.json.mqls.count,
    });
    expect(rows.every((r) => r.campaignId === campaignId && /@/.test(r.email!))).toBe(true);
  });

  it('has one leads CSV row per MQL with its stage and reasons, in the JSON order', () => {
    const j = files.json.mqls;
    expect(files.leads).toHaveLength(j.count);
    expect(files.leads.map((l) => l.contactId)).toEqual(j.leads.map((l) => l.contactId));
    expect(files.leads.filter((l) => l.stage === 'meeting')).toHaveLength(1);
    expect(files.leads.filter((l) => l.stage === 'rejected').map((l) => l.rejectionReason)).toEqual(['no-budget']);
    expect(files.leads.filter((l) => l.acceptedBySales === 'yes')).toHaveLength(j.acceptedBySales);
    expect(j.acceptedBySales).toBe(1);
    expect(j.rejectedBySales).toBe(1);
    expect(files.leads[0]!.reasons).toMatch(/Fit: /);
    expect(j.byCriteria).toEqual([
      {
        criteria: files.json.campaigns[0]!.criteria,
        mqls: j.count,
        acceptedBySales: 1,
        rejectedBySales: 1,
        awaitingSales: j.count - 2,
        // The accepted lead was also qualified (it is at meeting): one SAL and one SQL of the MQLs.
        qualifiedBySales: 1,
        salRate: 1 / j.count,
        sqlRate: 1 / j.count,
      },
    ]);
    expect(files.json.funnel.map((s) => s.count)).toEqual([
      files.json.metrics.sent,
      files.json.metrics.delivered,
      files.json.metrics.uniqueOpens,
      files.json.metrics.uniqueClicks,
      j.count,
      1, // SAL: the accepted lead
      1, // SQL: the same lead, qualified (now at meeting)
    ]);
  });

  it('agrees with the qualification rates the API gives (MQL → SQL per criteria version)', async () => {
    const rates = await demo.runtime.app.qualificationRates([campaignId]);
    expect(
      files.json.mqls.byCriteria.map((c) => [c.criteria, c.mqls, c.acceptedBySales, c.rejectedBySales, c.awaitingSales, c.sqlRate]),
    ).toEqual(rates.byCriteriaVersion.map((v) => [`${v.criteriaId} v${v.version}`, v.mqls, v.accepted, v.rejected, v.open, v.rate]));
    expect([files.json.mqls.count, files.json.mqls.acceptedBySales]).toEqual([rates.total.mqls, rates.total.accepted]);
  });

  it('shows the same figures in the HTML', () => {
    const m = files.json.metrics;
    const pct = (v: number | null, d = 1) => `${((v ?? 0) * 100).toFixed(d)} %`;
    expect(files.html).toContain(`<b>${m.delivered}</b><span>delivered of ${m.sent} sent</span>`);
    expect(files.html).toContain(`<b>${pct(m.rates.openRate)}</b><span>open rate (human ${pct(m.rates.human.openRate)})</span>`);
    expect(files.html).toContain(`<b>${files.json.mqls.count}</b><span>MQLs`);
    expect(files.html).toContain(`<td>Unique clicks</td><td class="n">${m.uniqueClicks}</td><td class="n">${m.human.uniqueClicks}</td>`);
    expect(files.html).toContain(`${pct(files.json.mqls.sqlRate)} of ${files.json.mqls.count} accepted`);
  });

  it('writes the CSV as UTF-8 with a byte-order mark and the JSON with definitions and the schema version', async () => {
    expect(files.recipientsRaw.charCodeAt(0)).toBe(0xfeff);
    expect(files.leadsRaw.charCodeAt(0)).toBe(0xfeff);
    expect(files.json.schemaVersion).toBe(1);
    expect(Object.keys(files.json.definitions)).toEqual(
      expect.arrayContaining(['openRate', 'clickRate', 'clickToOpenRate', 'mqlToSqlRate', 'human']),
    );
  });

  it('keys reports by date so none is overwritten, and points latest.json at the newest', async () => {
    expect(written.keys.json).toMatch(new RegExp(`^reports/campaigns/${campaignId}/${today}/\\d{9}Z-[0-9a-f]{6}/report\\.json$`));
    const again = (await callApi<WrittenReport>(demo.runtime, 'POST', `/campaigns/${campaignId}/reports`)).body;
    expect(again.keys.json).not.toBe(written.keys.json);
    expect((await fetchText(written.urls.json)).status).toBe(200);
    const latest = JSON.parse((await fetchText(again.urls.latest)).text) as { json: string; generatedAt: string };
    expect(latest).toMatchObject({ json: again.keys.json, generatedAt: again.generatedAt });
  });

  it('writes the same bytes for the same data, apart from the generation time', async () => {
    const again = (await callApi<WrittenReport>(demo.runtime, 'POST', `/campaigns/${campaignId}/reports`)).body;
    const b = await read(again);
    const strip = (text: string, at: string) => text.split(at).join('<generatedAt>');
    expect(again.generatedAt).not.toBe(written.generatedAt);
    expect(strip(b.jsonText, again.generatedAt)).toBe(strip(files.jsonText, written.generatedAt));
    expect(strip(b.html, again.generatedAt)).toBe(strip(files.html, written.generatedAt));
    expect(b.recipientsRaw).toBe(files.recipientsRaw);
    expect(b.leadsRaw).toBe(files.leadsRaw);
  });

  it('serves the HTML as text/html and the CSV as text/csv, both UTF-8', async () => {
    const r = await read(written);
    expect(r.htmlType).toBe('text/html; charset=utf-8');
    expect(r.csvType).toBe('text/csv; charset=utf-8');
  });
});

describe('period report', () => {
  it('sums every campaign sent in the period and lists each, agreeing with the stats API', async () => {
    const response = await callApi<WrittenReport>(demo.runtime, 'POST', '/reports', { from: today, to: today });
    expect(response.status).toBe(201);
    const w = response.body;
    expect(w.keys.json).toMatch(new RegExp(`^reports/periods/${today}_${today}/${today}/`));
    const r = await read(w);
    expect(r.json.campaigns.map((c) => c.campaignId).sort()).toEqual([campaignId, second.campaignId].sort());
    const stats = await Promise.all(
      [campaignId, second.campaignId].map(
        async (id) => (await callApi<{ metrics: CampaignMetrics }>(demo.runtime, 'GET', `/campaigns/${id}/stats`)).body.metrics,
      ),
    );
    expect(r.json.metrics.sent).toBe(stats[0]!.sent + stats[1]!.sent);
    expect(r.json.metrics.delivered).toBe(stats[0]!.delivered + stats[1]!.delivered);
    expect(r.json.metrics.uniqueOpens).toBe(stats[0]!.uniqueOpens + stats[1]!.uniqueOpens);
    for (const [i, id] of [campaignId, second.campaignId].entries()) {
      const row = r.json.campaigns.find((c) => c.campaignId === id)!;
      expect(row).toMatchObject({ sent: stats[i]!.sent, delivered: stats[i]!.delivered, openRate: stats[i]!.rates.openRate });
    }
    expect(r.recipients).toHaveLength(r.json.metrics.sent);
    // Suppressed contacts (bounced in the first campaign) are not sent to, so not recipients.
    expect(r.recipients.filter((row) => row.campaignId === second.campaignId)).toHaveLength(stats[1]!.sent);
    expect(stats[1]!.sent).toBeGreaterThan(0);
    expect(stats[1]!.sent).toBeLessThanOrEqual(second.contactIds.length);
    // A user-provided name that looks like a formula stays text, and HTML shows it escaped.
    expect(r.html).toContain('Follow-up: &quot;=cost&quot; &lt;review&gt;');
  });

  it('is empty, not an error, for a period with no campaign sent', async () => {
    const response = await callApi<WrittenReport>(demo.runtime, 'POST', '/reports', { from: '2020-01-01', to: '2020-01-31' });
    expect(response.status).toBe(201);
    const r = await read(response.body);
    expect(r.json.campaigns).toEqual([]);
    expect(r.json.metrics.sent).toBe(0);
    expect(r.recipients).toEqual([]);
    expect(r.html).toContain('No campaign was sent in this period.');
  });
});

describe('bad report requests', () => {
  it.each([
    [{ from: '2026-13-01', to: '2026-12-31' }, 422, /invalid request body: from: must be a date as YYYY-MM-DD/],
    [{ from: '2026-02-01', to: '2026-01-01' }, 422, /"to" \(2026-01-01\) is before "from" \(2026-02-01\)/],
    [{ from: '2024-01-01', to: '2025-12-31' }, 422, /731 days; at most 366/],
    [{ from: '2026-01-01' }, 422, /invalid request body: to: /],
    [{ from: '2026-01-01', to: '2026-01-02', campaignId: 'x' }, 422, /Unrecognized key.*campaignId/],
  ])('refuses %j with %i naming the problem', async (body, status, message) => {
    const r = await callApi<{ error: { message: string } }>(demo.runtime, 'POST', '/reports', body);
    expect(r.status).toBe(status);
    expect(r.body.error.message).toMatch(message);
  });

  it('refuses a body that is not JSON with 400, and an unknown campaign with 404', async () => {
    expect((await callApi(demo.runtime, 'POST', '/reports', '{from:')).status).toBe(400);
    const r = await callApi<{ error: { message: string } }>(demo.runtime, 'POST', '/campaigns/cmp_nope/reports');
    expect(r.status).toBe(404);
    expect(r.body.error.message).toBe('campaign cmp_nope does not exist');
  });

  it('makes the report function fail with a clear message on an event it does not understand', async () => {
    const handler = makeReportHandler(demo.runtime.app);
    await expect(handler({ campaign: 'x' })).rejects.toThrow(
      /report request must be \{\} \(daily run\), \{ "review": "quarterly" \} \(criteria reviews\), \{ "campaignId": "…" \} or \{ "from"/,
    );
    await expect(handler({ from: 'yesterday', to: 'today' })).rejects.toThrow(/invalid period/);
  });
});

describe('large on-demand reports (handed to the report function)', () => {
  const post = (app: ReturnType<typeof buildApp>, rawPath: string, body?: unknown) =>
    makeApiHandler(app)({
      rawPath,
      requestContext: { http: { method: 'POST' } },
      body: body === undefined ? undefined : JSON.stringify(body),
      isBase64Encoded: false,
    } as never);

  it('answers 202 with the keys at once, then the job writes exactly those keys, the same report as a direct one', async () => {
    // The same adapters with a lower threshold, so the demo's campaign counts as large.
    const small = buildApp(demo.runtime.app.adapters, { ...demo.runtime.app.config, syncReportRecipients: 10 });
    const response = await post(small, `/campaigns/${campaignId}/reports`);
    expect(response.statusCode).toBe(202);
    const answer = JSON.parse(response.body as string) as Extract<RequestedReport, { status: 'writing' }>;
    expect(answer.status).toBe('writing');
    expect(answer.keys.json).toMatch(
      new RegExp(`^reports/campaigns/${campaignId}/${answer.requestedAt.slice(0, 10)}/\\d{9}Z-[0-9a-f]{6}/report\\.json$`),
    );
    await demo.runtime.reportJobs.drain();
    expect(demo.runtime.reportJobs.failures).toEqual([]);
    const r = await read(answer);
    const strip = (text: string, at: string) => text.split(at).join('<generatedAt>');
    expect(strip(r.jsonText, r.json.generatedAt)).toBe(strip(files.jsonText, files.json.generatedAt));
    expect(r.recipientsRaw).toBe(files.recipientsRaw);
    expect(JSON.parse((await fetchText(answer.urls.latest)).text)).toMatchObject({ json: answer.keys.json });
  });

  it('hands period reports off too, and still refuses bad input before starting anything', async () => {
    const small = buildApp(demo.runtime.app.adapters, { ...demo.runtime.app.config, syncReportRecipients: 10 });
    const accepted = await post(small, '/reports', { from: today, to: today });
    expect(accepted.statusCode).toBe(202);
    const bad = await post(small, '/reports', { from: today, to: '2020-01-01' });
    expect(bad.statusCode).toBe(422);
    await demo.runtime.reportJobs.drain();
    const answer = JSON.parse(accepted.body as string) as RequestedReport;
    expect((await read(answer)).json.campaigns).toHaveLength(2);
  });

  it('refuses a job whose stamp could steer its keys', async () => {
    const handler = makeReportHandler(demo.runtime.app);
    await expect(handler({ campaignId, stamp: { at: '2026-03-01T00:00:00.000Z', suffix: '../../x' } })).rejects.toThrow(
      /report request must be/,
    );
    await expect(handler({ campaignId, stamp: { at: 'yesterday', suffix: 'abcdef' } })).rejects.toThrow(/report request must be/);
  });
});

describe('daily run (the schedule target)', () => {
  it('writes the previous week and every campaign sent in the last week, then the daily index', async () => {
    const index = (await makeReportHandler(demo.runtime.app)({})) as {
      period: { from: string; to: string; json: string };
      campaigns: Record<string, { json: string }>;
    };
    const yesterday = new Date(Date.parse(today) - 86_400_000).toISOString().slice(0, 10);
    expect(index.period).toMatchObject({ to: yesterday });
    expect(Object.keys(index.campaigns).sort()).toEqual([campaignId, second.campaignId].sort());
    const base = written.urls.json.slice(0, written.urls.json.indexOf(written.keys.json));
    const stored = JSON.parse((await fetchText(`${base}reports/daily/latest.json`)).text);
    expect(stored).toEqual(index);
    expect((await fetchText(`${base}${index.campaigns[campaignId]!.json}`)).status).toBe(200);
    expect((await fetchText(`${base}${index.period.json}`)).status).toBe(200);
  });
});
