import type { MachineRules } from '../engagement/machine-activity';
import { computeMetrics } from '../engagement/metrics';
import { NotFoundError } from '../errors';
import type { Lead } from '../lead';
import type { CampaignStore, Clock, ContactStore, EngagementStore, LeadStore, ReportStore } from '../ports';
import { buildCampaignReport, type BenchmarkBands } from '../report/campaign-report';
import { csv, leadsCsv, recipientColumns, recipientRow } from '../report/render-csv';
import { renderCampaignHtml } from '../report/render-html';

export interface ReportDeps {
  campaigns: CampaignStore;
  engagement: EngagementStore;
  leads: LeadStore;
  contacts: ContactStore;
  reports: ReportStore;
  clock: Clock;
  rules: MachineRules;
  bands?: BenchmarkBands;
}

/** Date-stamped keys, so an old report is never overwritten; `latest.json` points at the newest. */
export function reportKeys(campaignId: string, generatedAt: string) {
  const day = generatedAt.slice(0, 10);
  const time = generatedAt.slice(11, 19).replace(/:/g, '');
  const base = `reports/campaigns/${campaignId}/${day}/${time}Z`;
  return {
    json: `${base}/report.json`,
    html: `${base}/report.html`,
    recipientsCsv: `${base}/recipients.csv`,
    leadsCsv: `${base}/leads.csv`,
    latest: `reports/campaigns/${campaignId}/latest.json`,
  };
}

async function collect<T>(page: (cursor?: string) => Promise<{ items: T[]; cursor?: string }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    out.push(...p.items);
    cursor = p.cursor;
  } while (cursor);
  return out;
}

/** Writes the campaign's report in JSON, HTML and CSV and answers with the keys and URLs. */
export async function writeCampaignReport(deps: ReportDeps, campaignId: string) {
  const campaign = await deps.campaigns.get(campaignId);
  if (!campaign) throw new NotFoundError(`campaign ${campaignId} does not exist`);
  const generatedAt = deps.clock.now().toISOString();
  const [{ counters, linkUrls }, leads] = await Promise.all([
    deps.engagement.campaignCounters(campaignId),
    collect<Lead>((c) => deps.leads.listByCampaign(campaignId, c)),
  ]);
  const metrics = computeMetrics(counters, { ...campaign.links, ...linkUrls });
  const report = buildCampaignReport({
    campaign: {
      campaignId, name: campaign.name, subject: campaign.subject, createdAt: campaign.createdAt,
      profileId: campaign.profileId, profileVersion: campaign.profileVersion, status: campaign.status,
    },
    metrics,
    leads,
    generatedAt,
    bands: deps.bands,
  });

  // Recipient rows a page at a time (emails looked up per page), so memory follows the page size.
  const leadByContact = new Map(leads.map((l) => [l.contactId, l]));
  const rows: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.engagement.listRecipients(campaignId, cursor);
    const emails = new Map((await deps.contacts.getMany(page.items.map((r) => r.contactId))).map((c) => [c.contactId, c.email]));
    for (const r of page.items) rows.push(recipientRow(r, emails.get(r.contactId), leadByContact.get(r.contactId), deps.rules));
    cursor = page.cursor;
  } while (cursor);

  const keys = reportKeys(campaignId, generatedAt);
  await Promise.all([
    deps.reports.put(keys.json, JSON.stringify(report, null, 2), 'application/json'),
    deps.reports.put(keys.html, renderCampaignHtml(report), 'text/html'),
    deps.reports.put(keys.recipientsCsv, csv(recipientColumns, rows), 'text/csv'),
    deps.reports.put(keys.leadsCsv, leadsCsv(leads), 'text/csv'),
  ]);
  await deps.reports.put(keys.latest, JSON.stringify({ generatedAt, ...keys }, null, 2), 'application/json');
  const urls = Object.fromEntries(await Promise.all(Object.entries(keys).map(async ([k, key]) => [k, await deps.reports.urlFor(key)])));
  return { campaignId, generatedAt, keys, urls, report };
}
