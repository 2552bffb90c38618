import { chunk, mapWithConcurrency } from '../common/concurrency';
import { NotFoundError } from '../common/errors';
import type { Clock } from '../common/ports';
import type { Contact } from '../contacts/contact';
import type { ContactStore } from '../contacts/ports';
import type { EngagementStore } from '../engagement/ports';
import type { MachineRules } from '../engagement/machine-activity';
import type { CriteriaVersion } from '../qualification/criteria';
import { acceptedAt, type Lead, type RejectionReason } from '../qualification/lead';
import { RateAccumulator, median } from '../qualification/lead-rates';
import type { ActivityStore, CriteriaStore, LeadStore } from '../qualification/ports';
import { followUpDueAt, mqlEnteredAt } from '../qualification/speed-to-lead';
import { parsePeriod, periodBounds, type ReportPeriod } from '../reports/period';
import { campaignsSentBetween } from '../reports/write-reports';
import type { Campaign } from '../sending/campaign';
import type { CampaignStore } from '../sending/ports';
import { groupsOf } from './groups';
import { decided, REVIEW_SCHEMA_VERSION, reviewCaveats, type CriteriaReview, type ReviewedLead, type ReviewVersion } from './model';
import { MIN_SAMPLE } from './statistics';
import { suggestionsFor } from './suggest';

export interface ReviewDeps {
  criteria: CriteriaStore;
  campaigns: CampaignStore;
  leads: LeadStore;
  contacts: ContactStore;
  activities: ActivityStore;
  engagement: EngagementStore;
  clock: Clock;
  rules: MachineRules;
}

const HOUR_MS = 3_600_000;

async function leadsOfCampaigns(deps: ReviewDeps, campaigns: Campaign[], criteriaId: string): Promise<Lead[]> {
  const out: Lead[] = [];
  for (const c of campaigns) {
    let cursor: string | undefined;
    do {
      const page = await deps.leads.listByCampaign(c.campaignId, cursor);
      out.push(...page.items.filter((l) => (l.criteriaId ?? l.profileId) === criteriaId));
      cursor = page.cursor;
    } while (cursor);
  }
  return out;
}

/** Each lead with its contact and the human activities up to its qualifying moment (what made it). */
async function reviewed(deps: ReviewDeps, leads: Lead[]): Promise<ReviewedLead[]> {
  const contacts = new Map<string, Contact>();
  for (const ids of chunk([...new Set(leads.map((l) => l.contactId))], 100))
    for (const c of await deps.contacts.getMany(ids)) if (!c.erasedAt) contacts.set(c.contactId, c);
  return mapWithConcurrency(leads, 8, async (lead) => ({
    lead,
    contact: contacts.get(lead.contactId),
    activities: (await deps.activities.listForContact(lead.contactId)).filter((a) => !a.machine && a.at <= lead.qualifiedAt),
  }));
}

function speedToLead(leads: Lead[]): ReviewVersion['speedToLead'] {
  const alerted = leads.filter((l) => !l.historical);
  let within = 0;
  const hours: number[] = [];
  for (const lead of alerted) {
    const at = acceptedAt(lead);
    if (!at) continue;
    if (at <= followUpDueAt(lead, 24)) within++;
    hours.push(Math.max(0, Date.parse(at) - Date.parse(mqlEnteredAt(lead))) / HOUR_MS);
  }
  return {
    alerted: alerted.length,
    acceptedWithinTarget: within,
    shareWithinTarget: alerted.length ? within / alerted.length : null,
    medianHoursToAccept: median(hours),
  };
}

function rejectionReasons(leads: Lead[]): ReviewVersion['rejectionReasons'] {
  const counts = new Map<RejectionReason, number>();
  for (const l of leads)
    if (l.stage === 'rejected' && l.rejectionReason) counts.set(l.rejectionReason, (counts.get(l.rejectionReason) ?? 0) + 1);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count, share: count / total }));
}

/** One version's figures and groups. */
export function reviewVersion(
  criteriaId: string,
  version: number,
  meta: CriteriaVersion | undefined,
  items: ReviewedLead[],
): ReviewVersion {
  const rates = new RateAccumulator();
  for (const { lead } of items) rates.add(lead);
  const row = rates.row();
  const decidedCount = items.filter((r) => decided(r.lead)).length;
  const acceptanceRate = decidedCount ? row.accepted / decidedCount : null;
  const leads = items.map((r) => r.lead);
  return {
    criteriaId,
    version,
    name: meta?.document.name ?? `${criteriaId} v${version}`,
    publishedAt: meta?.publishedAt ?? null,
    approvals: meta?.approvals ?? [],
    mqls: row.mqls,
    accepted: row.accepted,
    qualified: row.qualified,
    rejected: row.rejected,
    recycled: row.recycled,
    open: row.open,
    decided: decidedCount,
    mqlToSal: row.mqlToSal,
    salToSql: row.salToSql,
    acceptanceRate,
    rejectionReasons: rejectionReasons(leads),
    speedToLead: speedToLead(leads),
    groups: groupsOf(items, acceptanceRate, MIN_SAMPLE),
  };
}

/**
 * The review of one criteria set over a period: the leads of the campaigns sent in it that this set
 * made, per version in use, with their fit and activity groups; then suggestions for the latest
 * version in use, each backtested on the period's campaigns. Reads; writes nothing.
 */
export async function reviewCriteria(deps: ReviewDeps, criteriaId: string, periodInput: unknown): Promise<CriteriaReview> {
  const period: ReportPeriod = parsePeriod(periodInput);
  const draft = await deps.criteria.getDraft(criteriaId);
  if (!draft) throw new NotFoundError(`criteria ${criteriaId} does not exist`);
  const { start, end } = periodBounds(period);
  const campaigns = await campaignsSentBetween(deps, start, end);
  const items = await reviewed(deps, await leadsOfCampaigns(deps, campaigns, criteriaId));
  const byVersion = new Map<number, ReviewedLead[]>();
  for (const r of items) {
    const v = r.lead.criteriaVersion ?? r.lead.profileVersion;
    byVersion.set(v, [...(byVersion.get(v) ?? []), r]);
  }
  const metas = new Map((await deps.criteria.listVersions(criteriaId)).map((v) => [v.version, v]));
  const versions = [...byVersion.keys()].sort((a, b) => a - b).map((v) => reviewVersion(criteriaId, v, metas.get(v), byVersion.get(v)!));
  const latest = versions.at(-1);
  const latestMeta = latest ? metas.get(latest.version) : undefined;
  const suggestions =
    latest && latestMeta ? await suggestionsFor(deps, { version: latest, document: latestMeta.document, campaigns, period, items }) : [];
  return {
    schemaVersion: REVIEW_SCHEMA_VERSION,
    criteriaId,
    name: draft.document.name,
    period,
    generatedAt: deps.clock.now().toISOString(),
    campaigns: campaigns.map((c) => ({ campaignId: c.campaignId, name: c.name })),
    minSample: MIN_SAMPLE,
    versions,
    suggestions,
    caveats: reviewCaveats,
  };
}
