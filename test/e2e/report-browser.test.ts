import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../demo/demo';
import { logger } from '../../functions/observability';
import { buildReport } from '../../lib/reports/build-report';
import { renderReportHtml } from '../../lib/reports/render-html';
import type { WrittenReport } from '../../lib/reports/write-reports';
import { callApi, giveFeedback, makeLead } from '../support/reports';
import { reviewCriteria } from '../../lib/review/review';
import { renderReviewHtml } from '../../lib/review/render-review';
import { CRITERIA_ID, Q1, syntheticHistory } from '../support/review-history';

logger.setLogLevel('ERROR');

/**
 * The HTML report in a real browser: Debian's Chromium (never a downloaded one), driven by
 * playwright-core. Installed by `.ci/run` (apt-get); see the README's "Tests".
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = 'test-output';

let browser: Browser;
let demo: DemoResult;
let campaignReport: WrittenReport;
let periodReport: WrittenReport;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The HTML report test needs Debian's chromium: run \`apt-get update && apt-get install -y chromium\` (as .ci/run does), or set CHROMIUM_PATH.`,
    );
  }
  mkdirSync(OUT, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  // Seed 3 gives 7 MQLs at this size (seed 7 gives 1 since contact ids are keyed: who engages follows the ids).
  demo = await runDemo({ size: 300, seed: 3, keepRunning: true });
  // Sales answers two MQLs: one accepted (SAL), one accepted and qualified (SQL).
  const leads = (await callApi<{ items: { contactId: string }[] }>(demo.runtime, 'GET', `/campaigns/${demo.summary.campaignId}/leads`)).body
    .items;
  await giveFeedback(demo.runtime, leads[0]!.contactId, { action: 'accept' });
  await giveFeedback(demo.runtime, leads[1]!.contactId, { action: 'accept' });
  await giveFeedback(demo.runtime, leads[1]!.contactId, { action: 'qualify' });
  campaignReport = (await callApi<WrittenReport>(demo.runtime, 'POST', `/campaigns/${demo.summary.campaignId}/reports`)).body;
  const today = new Date().toISOString().slice(0, 10);
  periodReport = (await callApi<WrittenReport>(demo.runtime, 'POST', '/reports', { from: today, to: today })).body;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.runtime.stop();
});

/** Opens a page recording every request, console error, page error and dialog. */
async function open(viewport: { width: number; height: number }, mobile = false) {
  const context = await browser.newContext({ viewport, isMobile: mobile, deviceScaleFactor: mobile ? 2 : 1, hasTouch: mobile });
  const page = await context.newPage();
  const seen = { requests: [] as string[], errors: [] as string[], dialogs: [] as string[] };
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('console', (m) => m.type() === 'error' && seen.errors.push(m.text()));
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('dialog', async (d) => {
    seen.dialogs.push(d.message());
    await d.dismiss();
  });
  return { page, seen, close: () => context.close() };
}

const chartsDrawn = (page: Page) =>
  page.$$eval('svg', (svgs) =>
    svgs.map((s) => ({
      w: s.getBoundingClientRect().width,
      h: s.getBoundingClientRect().height,
      shapes: s.querySelectorAll('rect,line').length,
    })),
  );

describe('the HTML report in headless Chromium', () => {
  it('loads from S3 with no console error and no request but its own, draws its charts, and is screenshotted on a laptop', async () => {
    const { page, seen, close } = await open({ width: 1280, height: 800 });
    const response = await page.goto(campaignReport.urls.html, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(await page.textContent('h1')).toBe('Q3 cloud cost review');
    const charts = await chartsDrawn(page);
    expect(charts.length).toBeGreaterThanOrEqual(8); // funnel, 2 bands, all vs human, activity, 2 reputation, criteria
    for (const c of charts) {
      expect(c.w).toBeGreaterThan(200);
      expect(c.h).toBeGreaterThan(20);
      expect(c.shapes).toBeGreaterThan(0);
    }
    // The MQL → SAL → SQL funnel: three bars, drawn, with the counts sales gave.
    const sales = await page.$eval('svg[data-funnel="sales"]', (svg) => ({
      bars: [...svg.querySelectorAll('rect')].map((r) => r.getBoundingClientRect().width),
      text: [...svg.querySelectorAll('text.val')].map((t) => t.textContent),
    }));
    expect(sales.bars).toHaveLength(3);
    expect(sales.bars[0]!).toBeGreaterThan(sales.bars[1]!);
    expect(sales.bars[1]!).toBeGreaterThan(sales.bars[2]!);
    expect(sales.text[1]).toMatch(/^2 \(.* of MQL\)$/);
    expect(sales.text[2]).toBe('1 (50.0 % of SAL)');
    // Speed to lead per owner: a row per owner, the two accepted leads within the 24 h target.
    const speed = await page.$$eval('#speed-to-lead + p + .scroll tr', (rows) =>
      rows.slice(1).map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)),
    );
    expect(speed.length).toBeGreaterThan(0);
    expect(speed.reduce((n, r) => n + Number(r[2]), 0)).toBe(2);
    expect(speed.every((r) => /%$/.test(r[3]!))).toBe(true);
    writeFileSync(`${OUT}/report-laptop.png`, await page.screenshot({ fullPage: true }));
    expect(seen.errors).toEqual([]);
    expect(seen.requests).toEqual([campaignReport.urls.html]);
    await close();
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const { page, seen, close } = await open({ width: 390, height: 844 }, true);
    await page.goto(periodReport.urls.html, { waitUntil: 'load' });
    const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
      '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
    );
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    writeFileSync(`${OUT}/report-phone.png`, await page.screenshot({ fullPage: true }));
    expect(seen.errors).toEqual([]);
    expect(seen.requests).toEqual([periodReport.urls.html]);
    await close();
  });

  it('prints: the print stylesheet gives a PDF of a few pages', async () => {
    const { page, seen, close } = await open({ width: 1280, height: 800 });
    await page.goto(campaignReport.urls.html, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    writeFileSync(`${OUT}/report.pdf`, pdf);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(pages).toBeLessThanOrEqual(12);
    expect(seen.errors).toEqual([]);
    await close();
  });

  it('shows hostile names as text: no script runs, no dialog opens, nothing is fetched', async () => {
    const evil = `<script>alert(1)</script><img src="http://127.0.0.1:9/x.png" onerror="alert(2)"><style>@import url(http://127.0.0.1:9/a.css)</style>`;
    const report = buildReport({
      scope: { kind: 'campaign', campaignId: 'cmp_x' },
      generatedAt: '2026-03-08T06:00:00.000Z',
      campaigns: [
        {
          campaign: {
            campaignId: 'cmp_x',
            name: evil,
            subject: evil,
            fromAddress: 'a@acme.example',
            htmlTemplate: 'h',
            textTemplate: 't',
            profileId: evil,
            profileVersion: 1,
            status: 'sent',
            createdAt: '2026-03-01T00:00:00.000Z',
            links: { l1: evil },
          },
          counters: {
            sent: 10,
            delivered: 10,
            opened: 5,
            humanOpened: 4,
            clicked: 1,
            humanClicked: 1,
            'link:l1:clicked': 1,
            'link:l1:clicks': 1,
          },
          linkUrls: {},
          leads: [makeLead('ct_1', 'cmp_x', { criteriaId: evil, reasons: [evil], qualifiedAt: '2026-03-01T01:00:00.000Z' })],
        },
      ],
      contacts: new Map([['ct_1', { name: evil, company: evil }]]),
    });
    const { page, seen, close } = await open({ width: 1280, height: 800 });
    await page.setContent(renderReportHtml(report), { waitUntil: 'load' });
    expect(await page.textContent('h1')).toBe(evil);
    expect(await page.$$('body script, body img')).toHaveLength(0);
    writeFileSync(`${OUT}/report-hostile.png`, await page.screenshot({ fullPage: true }));
    expect(seen.dialogs).toEqual([]);
    expect(seen.requests).toEqual([]);
    expect(seen.errors).toEqual([]);
    await close();
  });
});

describe('the HTML criteria review in headless Chromium', () => {
  it('loads from S3 with no console error and no request but its own, with the version and its groups', async () => {
    const campaign = (
      await callApi<{ criteriaId?: string; profileId: string }>(demo.runtime, 'GET', `/campaigns/${demo.summary.campaignId}`)
    ).body;
    const criteriaId = campaign.criteriaId ?? campaign.profileId;
    const today = new Date().toISOString().slice(0, 10);
    const written = await callApi<{ urls: { html: string } }>(demo.runtime, 'POST', `/criteria/${criteriaId}/reviews`, {
      from: today,
      to: today,
    });
    expect(written.status).toBe(201);
    const { page, seen, close } = await open({ width: 1280, height: 800 });
    const response = await page.goto(written.body.urls.html, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(await page.textContent('h2#versions')).toBe('Criteria versions in use');
    const versionRows = await page.$$eval('#versions + .scroll tr', (rows) => rows.length);
    expect(versionRows).toBe(2); // the header and v1
    expect(await page.$$('table[data-groups="v1"] tr')).not.toHaveLength(0);
    writeFileSync(`${OUT}/review-demo.png`, await page.screenshot({ fullPage: true }));
    expect(seen.errors).toEqual([]);
    expect(seen.requests).toEqual([written.body.urls.html]);
    await close();
  });

  it('draws the lift chart and the backtested suggestions of the synthetic history, fits a phone, and shows hostile values as text', async () => {
    const { deps, contacts } = await syntheticHistory(400);
    const evil = `<script>alert(1)</script><img src="http://127.0.0.1:9/x.png" onerror="alert(2)">`;
    for (const id of ['ct_1', 'ct_3', 'ct_7']) contacts.get(id)!.country = evil;
    const review = await reviewCriteria(deps, CRITERIA_ID, Q1);
    const { page, seen, close } = await open({ width: 390, height: 844 }, true);
    await page.setContent(renderReviewHtml(review), { waitUntil: 'load' });
    const lift = await page.$eval('svg[data-lift="v1"]', (svg) => ({
      w: svg.getBoundingClientRect().width,
      bars: svg.querySelectorAll('rect').length,
      ok: svg.querySelectorAll('rect.okbar').length,
      warn: svg.querySelectorAll('rect.warnbar').length,
    }));
    expect(lift.w).toBeGreaterThan(200);
    expect(lift.ok).toBeGreaterThan(0); // pricing: accepted more
    expect(lift.warn).toBeGreaterThan(0); // Retail: accepted less
    const suggestions = await page.$$eval('table[data-suggestions] tr', (rows) => rows.slice(1).map((r) => r.textContent ?? ''));
    expect(suggestions.some((t) => t.includes('Exclude industry Retail'))).toBe(true);
    expect(suggestions.some((t) => t.includes('intent:pricing'))).toBe(true);
    const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
      '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
    );
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    expect(await page.$$('body script, body img')).toHaveLength(0);
    expect(await page.textContent('table[data-groups="v1"]')).toContain(evil);
    writeFileSync(`${OUT}/review-phone.png`, await page.screenshot({ fullPage: true }));
    expect(seen.dialogs).toEqual([]);
    expect(seen.requests).toEqual([]);
    expect(seen.errors).toEqual([]);
    await close();
  });
});
