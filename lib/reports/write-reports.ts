import type { Campaign } from '../sending/campaign';
import { displayName, type Contact } from '../contacts/contact';
import { chunk, mapWithConcurrency } from '../common/concurrency';
import type { MachineRules } from '../engagement/machine-activity';
import { NotFoundError } from '../common/errors';
import type { Lead } from '../qualification/lead';
import type { CampaignStore } from '../sending/ports';
import type { Clock, Page } from '../common/ports';
import type { ContactStore } from '../contacts/ports';
import type { EngagementStore } from '../engagement/ports';
import type { LeadStore } from '../qualification/ports';
import type { ReportJobs, ReportStore } from './ports';
import type { ReportJob, ReportRequest, ReportStamp } from './job';
import { parsePeriod, periodBounds, previousDays, type ReportPeriod } from './period';
import { buildReport } from './build-report';
import type { BenchmarkBands, LeadContact, Report, ReportCampaignInput, ReportScope } from './report';
import { csvChunks, leadColumns, leadRow, recipientColumns } from './render-csv';
import { recipientPages } from './recipient-pages';
import { renderReportHtml } from './render-html';
import { allOrNothing } from './all-or-nothing';

export interface ReportDeps {
  campaigns: CampaignStore;
  engagement: EngagementStore;
  leads: LeadStore;
  contacts: ContactStore;
  reports: ReportStore;
  clock: Clock;
  rules: MachineRules;
  bands?: BenchmarkBands;
  /** A short random tag that keeps two reports written in the same millisecond apart. */
  uniqueSuffix: () => string;
}

/**
 * A campaign belongs to the period in which it was sent; it is found through the campaigns index
 * (by creation time), looking this far back before the period for campaigns created earlier.
 */
export const SEND_LOOKBACK_DAYS = 90;
/** The daily run's period report covers the previous whole days. @default 7 */
export const DAILY_PERIOD_DAYS = 7;
/** The daily run also reports each campaign sent within this many days (engagement still arrives). @default 7 */
export const DAILY_ACTIVE_DAYS = 7;

export interface ReportKeys {
  json: string;
  html: string;
  recipientsCsv: string;
  leadsCsv: string;
  /** Overwritten each time: points at the newest report of this campaign or period. */
  latest: string;
}

/** Date-stamped keys, so an old report is never overwritten; `latest.json` points at the newest. */
export function reportKeys(prefix: string, generatedAt: string, suffix: string): ReportKeys {
  const day = generatedAt.slice(0, 10);
  const time = generatedAt.slice(11, 23).replace(/[:.]/g, '');
  const base = `${prefix}/${day}/${time}Z-${suffix}`;
  return {
    json: `${base}/report.json`,
    html: `${base}/report.html`,
    recipientsCsv: `${base}/recipients.csv`,
    leadsCsv: `${base}/leads.csv`,
    latest: `${prefix}/latest.json`,
  };
}

export const keyPrefix = (scope: ReportScope) =>
  scope.kind === 'campaign' ? `reports/campaigns/${scope.campaignId}` : `reports/periods/${scope.from}_${scope.to}`;

export interface WrittenReport {
  kind: ReportScope['kind'];
  scope: ReportScope;
  generatedAt: string;
  keys: ReportKeys;
  urls: Record<keyof ReportKeys, string>;
  /** When the URLs stop working (presigned on AWS); null when they do not expire (local). */
  urlsExpireAt: string | null;
  report: Report;
}

async function collect<T>(page: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    out.push(...p.items);
    cursor = p.cursor;
  } while (cursor);
  return out;
}

async function contactsOf(deps: ReportDeps, contactIds: string[]): Promise<Map<string, Contact>> {
  const out = new Map<string, Contact>();
  for (const ids of chunk([...new Set(contactIds)], 1000)) for (const c of await deps.contacts.getMany(ids)) out.set(c.contactId, c);
  return out;
}

async function urlsOf(deps: ReportDeps, keys: ReportKeys) {
  const urls = Object.fromEntries(
    await Promise.all(Object.entries(keys).map(async ([k, key]) => [k, await deps.reports.urlFor(key)])),
  ) as WrittenReport['urls'];
  const lifetime = deps.reports.urlLifetimeSeconds;
  const urlsExpireAt = lifetime === undefined ? null : new Date(deps.clock.now().getTime() + lifetime * 1000).toISOString();
  return { urls, urlsExpireAt };
}

/**
 * Writes one report (JSON, HTML, recipients CSV, leads CSV), then its `latest` pointer. Its keys
 * come from `stamp` when the report was requested earlier (a job), else from the generation time.
 */
async function writeReport(deps: ReportDeps, scope: ReportScope, campaigns: Campaign[], stamp?: ReportStamp): Promise<WrittenReport> {
  const generatedAt = deps.clock.now().toISOString();
  const inputs: ReportCampaignInput[] = await mapWithConcurrency(campaigns, 4, async (campaign) => {
    const [{ counters, linkUrls }, leads] = await Promise.all([
      deps.engagement.campaignCounters(campaign.campaignId),
      collect<Lead>((c) => deps.leads.listByCampaign(campaign.campaignId, c)),
    ]);
    return { campaign, counters, linkUrls, leads };
  });
  const leads = inputs.flatMap((i) => i.leads);
  const contacts = await contactsOf(
    deps,
    leads.map((l) => l.contactId),
  );
  const shown = new Map<string, LeadContact>(
    [...contacts.values()].map((c) => [
      c.contactId,
      { name: displayName(c) === c.email ? null : displayName(c), company: c.company ?? null },
    ]),
  );
  const report = buildReport({ scope, generatedAt, campaigns: inputs, contacts: shown, bands: deps.bands });

  const keys = reportKeys(keyPrefix(scope), stamp?.at ?? generatedAt, stamp?.suffix ?? deps.uniqueSuffix());
  const leadOf = new Map(leads.map((l) => [l.leadId, l]));
  // In the report's order (by qualification time), so the CSV and the page list MQLs alike.
  const leadRows = report.mqls.leads.map((l) =>
    leadRow({ ...leadOf.get(l.leadId)!, campaignId: l.campaignId }, { email: contacts.get(l.contactId)?.email, ...shown.get(l.contactId) }),
  );
  // Everything rendered before anything is written: a renderer that throws writes nothing.
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const html = renderReportHtml(report);
  await allOrNothing(deps.reports, keys, [
    () => deps.reports.put(keys.json, json, 'application/json'),
    () => deps.reports.put(keys.html, html, 'text/html'),
    () => deps.reports.putStream(keys.recipientsCsv, csvChunks(recipientColumns, recipientPages(deps, inputs)), 'text/csv'),
    () => deps.reports.putStream(keys.leadsCsv, csvChunks(leadColumns, [leadRows]), 'text/csv'),
  ]);
  // Last, so it never points at a report that is not all there.
  await deps.reports.put(keys.latest, `${JSON.stringify({ generatedAt, scope, ...keys }, null, 2)}\n`, 'application/json');

  return { kind: scope.kind, scope, generatedAt, keys, ...(await urlsOf(deps, keys)), report };
}

/** The campaign's report, whatever its status (a draft's is all zeros). */
export async function writeCampaignReport(deps: ReportDeps, campaignId: string, stamp?: ReportStamp): Promise<WrittenReport> {
  const campaign = await deps.campaigns.get(campaignId);
  if (!campaign) throw new NotFoundError(`campaign ${campaignId} does not exist`);
  return writeReport(deps, { kind: 'campaign', campaignId }, [campaign], stamp);
}

/** Campaigns whose send was requested in [start, end): found by creation time, with a look-back. */
export async function campaignsSentBetween(deps: Pick<ReportDeps, 'campaigns'>, start: string, end: string): Promise<Campaign[]> {
  const createdFrom = new Date(Date.parse(start) - SEND_LOOKBACK_DAYS * 86_400_000).toISOString();
  const created = await collect((c) => deps.campaigns.listCreatedBetween(createdFrom, end, c));
  return created.filter((c) => c.sendRequestedAt !== undefined && c.sendRequestedAt >= start && c.sendRequestedAt < end);
}

/** Every campaign sent in the period, in one report. `input` is `{ from, to }` (validated here). */
export async function writePeriodReport(deps: ReportDeps, input: unknown, stamp?: ReportStamp): Promise<WrittenReport> {
  const period: ReportPeriod = parsePeriod(input);
  const { start, end } = periodBounds(period);
  return writeReport(deps, { kind: 'period', ...period }, await campaignsSentBetween(deps, start, end), stamp);
}

/**
 * Reports at most this many recipients (SES Send events, summed over the report's campaigns) are
 * written while the API request waits; larger ones go to the report function, so no request comes
 * near API Gateway's 30-second limit (docs/benchmarks.md has the measured times). @default 25000
 */
export const SYNC_REPORT_RECIPIENTS = 25_000;

export type RequestedReport =
  | ({ status: 'written' } & Omit<WrittenReport, 'report'>)
  | {
      status: 'writing';
      kind: ReportScope['kind'];
      scope: ReportScope;
      requestedAt: string;
      keys: ReportKeys;
      urls: WrittenReport['urls'];
      urlsExpireAt: string | null;
    };

/**
 * An on-demand report: validated here (unknown campaign, bad period), then written at once when
 * small, or handed to the report function under keys fixed now, which the answer already names.
 */
export async function requestReport(
  deps: ReportDeps & { jobs: ReportJobs; syncRecipients: number },
  request: { campaignId: string } | { period: unknown },
): Promise<RequestedReport> {
  let scope: ReportScope;
  let campaigns: Campaign[];
  let jobRequest: ReportRequest;
  if ('campaignId' in request) {
    const { campaignId } = request;
    const campaign = await deps.campaigns.get(campaignId);
    if (!campaign) throw new NotFoundError(`campaign ${campaignId} does not exist`);
    scope = { kind: 'campaign', campaignId };
    campaigns = [campaign];
    jobRequest = { campaignId };
  } else {
    const period = parsePeriod(request.period);
    const { start, end } = periodBounds(period);
    scope = { kind: 'period', ...period };
    campaigns = await campaignsSentBetween(deps, start, end);
    jobRequest = period;
  }
  const sizes = await mapWithConcurrency(
    campaigns,
    4,
    async (c) => (await deps.engagement.campaignCounters(c.campaignId)).counters.sent ?? 0,
  );
  if (sizes.reduce((a, b) => a + b, 0) <= deps.syncRecipients) {
    const { report: _report, ...written } = await writeReport(deps, scope, campaigns);
    return { status: 'written', ...written };
  }
  const stamp: ReportStamp = { at: deps.clock.now().toISOString(), suffix: deps.uniqueSuffix() };
  const keys = reportKeys(keyPrefix(scope), stamp.at, stamp.suffix);
  const job: ReportJob = { request: jobRequest, stamp };
  await deps.jobs.start(job);
  return { status: 'writing', kind: scope.kind, scope, requestedAt: stamp.at, keys, ...(await urlsOf(deps, keys)) };
}

/**
 * The scheduled run: the report of the previous `DAILY_PERIOD_DAYS` days, and one per campaign sent
 * in the last `DAILY_ACTIVE_DAYS`, then `reports/daily/latest.json` listing them (the Monday
 * morning entry point). A failing campaign does not stop the others; the run fails at the end,
 * naming them, so the scheduler retries it.
 */
export async function writeDailyReports(deps: ReportDeps) {
  const now = deps.clock.now();
  const period = await writePeriodReport(deps, previousDays(now, DAILY_PERIOD_DAYS));
  const active = await campaignsSentBetween(
    deps,
    new Date(now.getTime() - DAILY_ACTIVE_DAYS * 86_400_000).toISOString(),
    now.toISOString(),
  );
  const campaigns: Record<string, ReportKeys> = {};
  const failed: { campaignId: string; reason: string }[] = [];
  for (const c of active) {
    try {
      campaigns[c.campaignId] = (await writeCampaignReport(deps, c.campaignId)).keys;
    } catch (error) {
      failed.push({ campaignId: c.campaignId, reason: (error as Error).message });
    }
  }
  const index = { generatedAt: now.toISOString(), period: { ...period.scope, ...period.keys }, campaigns };
  await deps.reports.put('reports/daily/latest.json', `${JSON.stringify(index, null, 2)}\n`, 'application/json');
  if (failed.length) throw new DailyReportsIncompleteError(failed);
  return index;
}

export class DailyReportsIncompleteError extends Error {
  constructor(readonly failed: { campaignId: string; reason: string }[]) {
    super(`daily reports: ${failed.length} campaign report(s) failed: ${failed.map((f) => `${f.campaignId} (${f.reason})`).join('; ')}`);
    this.name = 'DailyReportsIncompleteError';
  }
}
