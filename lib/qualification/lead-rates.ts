import { acceptedAt, reachedSal, reachedSql, sqlAt, type Lead, type RejectionReason } from './lead';
import type { LeadStore } from './ports';
import type { Page } from '../common/ports';

/** One group of leads: how far sales took them, the conversion rates and the time spent in each stage. */
export interface RateRow {
  mqls: number;
  /** Reached SAL (sales accepted): an old `sql` made by `accept` counts, accepted at the same moment. */
  accepted: number;
  /** Reached SQL (sales qualified). */
  qualified: number;
  rejected: number;
  /** Sent back to nurture. */
  recycled: number;
  /** Still waiting for sales: at MQL now. */
  open: number;
  /** MQLs qualified outside the freshness window: counted, never alerted. */
  historical: number;
  mqlToSal: number | null;
  /** Of the accepted leads, the share sales qualified. */
  salToSql: number | null;
  mqlToSql: number | null;
  /** @deprecated MQL → SQL under its old name. */
  rate: number | null;
  /** Median hours a lead spent in a stage before it left it forward (MQL until accepted, SAL until qualified). */
  medianHoursIn: { mql: number | null; sal: number | null };
}
export interface QualificationRates {
  campaignIds: string[];
  total: RateRow;
  byCampaign: ({ campaignId: string } & RateRow)[];
  byCriteriaVersion: ({ criteriaId: string; version: number } & RateRow)[];
  /** Rejections by reason; `share` is of all rejections. */
  byRejectionReason: { reason: RejectionReason; count: number; share: number }[];
}

const HOUR_MS = 3_600_000;
const ratio = (a: number, b: number) => (b ? a / b : null);
export function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const hoursBetween = (from: string | undefined, to: string | undefined) =>
  from && to ? Math.max(0, Date.parse(to) - Date.parse(from)) / HOUR_MS : undefined;
/** When the lead entered MQL: its first history entry, else the qualifying moment. */
const mqlAt = (lead: Lead) => lead.stageHistory?.find((s) => s.stage === 'mql')?.at ?? lead.qualifiedAt;

/** Accumulates leads into a row; `row()` answers it with the rates and medians worked out. */
export class RateAccumulator {
  private mqls = 0;
  private accepted = 0;
  private qualified = 0;
  private rejected = 0;
  private recycled = 0;
  private historical = 0;
  private open = 0;
  private readonly inMql: number[] = [];
  private readonly inSal: number[] = [];

  add(lead: Lead): void {
    this.mqls++;
    const salAt = acceptedAt(lead);
    const qAt = sqlAt(lead);
    if (reachedSal(lead)) this.accepted++;
    if (reachedSql(lead)) this.qualified++;
    if (lead.stage === 'rejected') this.rejected++;
    if (lead.stage === 'recycled') this.recycled++;
    if (lead.historical) this.historical++;
    if (lead.stage === 'mql') this.open++;
    const m = hoursBetween(mqlAt(lead), salAt);
    if (m !== undefined) this.inMql.push(m);
    const s = hoursBetween(salAt, qAt);
    if (s !== undefined) this.inSal.push(s);
  }

  row(): RateRow {
    return {
      mqls: this.mqls,
      accepted: this.accepted,
      qualified: this.qualified,
      rejected: this.rejected,
      recycled: this.recycled,
      open: this.open,
      historical: this.historical,
      mqlToSal: ratio(this.accepted, this.mqls),
      salToSql: ratio(this.qualified, this.accepted),
      mqlToSql: ratio(this.qualified, this.mqls),
      rate: ratio(this.qualified, this.mqls),
      medianHoursIn: { mql: median(this.inMql), sal: median(this.inSal) },
    };
  }
}

/** Every lead of a campaign (every lifecycle), a page at a time. */
async function* campaignLeads(leads: LeadStore, campaignId: string): AsyncGenerator<Lead> {
  let cursor: string | undefined;
  do {
    const page: Page<Lead> = await leads.listByCampaign(campaignId, cursor);
    yield* page.items;
    cursor = page.cursor;
  } while (cursor);
}

/**
 * MQL → SAL, SAL → SQL and MQL → SQL rates and time in each stage of the given campaigns' leads
 * (every lifecycle), per campaign, per criteria version and per rejection reason. Reads the
 * campaigns' lead lists (an index query each), never a scan. A stage counts once reached, even if
 * the lead was later reopened, rejected or recycled.
 */
export async function qualificationRates(deps: { leads: LeadStore }, campaignIds: string[]): Promise<QualificationRates> {
  const total = new RateAccumulator();
  const byCampaign = new Map<string, RateAccumulator>();
  const byVersion = new Map<string, RateAccumulator>();
  const reasons = new Map<RejectionReason, number>();
  for (const campaignId of new Set(campaignIds)) {
    const r = new RateAccumulator();
    byCampaign.set(campaignId, r);
    for await (const lead of campaignLeads(deps.leads, campaignId)) {
      total.add(lead);
      r.add(lead);
      const vk = `${lead.criteriaId ?? lead.profileId}\u0000${lead.criteriaVersion ?? lead.profileVersion}`;
      if (!byVersion.has(vk)) byVersion.set(vk, new RateAccumulator());
      byVersion.get(vk)!.add(lead);
      if (lead.stage === 'rejected' && lead.rejectionReason)
        reasons.set(lead.rejectionReason, (reasons.get(lead.rejectionReason) ?? 0) + 1);
    }
  }
  const rejections = [...reasons.values()].reduce((a, b) => a + b, 0);
  return {
    campaignIds: [...byCampaign.keys()],
    total: total.row(),
    byCampaign: [...byCampaign].map(([campaignId, r]) => ({ campaignId, ...r.row() })),
    byCriteriaVersion: [...byVersion].map(([k, r]) => {
      const [criteriaId, version] = k.split('\u0000');
      return { criteriaId: criteriaId!, version: Number(version), ...r.row() };
    }),
    byRejectionReason: [...reasons].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count, share: count / rejections })),
  };
}
