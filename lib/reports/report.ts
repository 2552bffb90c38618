import { z } from 'zod';
import type { Campaign } from '../sending/campaign';
import { computeMetrics, type CampaignMetrics } from '../engagement/metrics';
import { addCounters, type Counters } from '../engagement/recipient';
import type { Lead } from '../qualification/lead';
import { campaignCriteriaOf, criteriaVersionOf, isAcceptedBySales, isRejectedBySales } from './lead-stages';
import type { ReportPeriod } from './period';

/**
 * The report model: every figure the three formats show, built by one pure function so JSON, CSV
 * and HTML cannot disagree. Bump the schema version when a field changes meaning or goes away;
 * adding a field does not.
 */
export const REPORT_SCHEMA_VERSION = 1;

/** Industry bands the report places each rate in: configuration, not code. */
export const benchmarkBandsSchema = z.object({
  source: z.string().min(1).default('GetResponse Email Marketing Benchmarks'),
  openRate: z.object({ low: z.number().min(0).max(1), high: z.number().min(0).max(1) }).default({ low: 0.161, high: 0.3615 }),
  clickRate: z.object({ low: z.number().min(0).max(1), high: z.number().min(0).max(1) }).default({ low: 0.0187, high: 0.0646 }),
});
export type BenchmarkBands = z.infer<typeof benchmarkBandsSchema>;
export const defaultBands: BenchmarkBands = benchmarkBandsSchema.parse({});

/**
 * Amazon SES reputation thresholds (SES Developer Guide, reputation metrics messages): at the
 * review level SES may place the account under review, at the pause level it may pause sending.
 * SES measures them over the account's recent sending, not per campaign: a campaign above a line
 * is a warning sign, not a verdict.
 */
export const sesReputationThresholds = {
  bounceRate: { review: 0.05, pause: 0.1 },
  complaintRate: { review: 0.001, pause: 0.005 },
} as const;

export const metricDefinitions = {
  sent: 'messages SES accepted for this campaign (Send events), one per recipient',
  delivered: 'messages with a Delivery event (sent − bounced − rejected, as SES reports it)',
  unique: 'per recipient per campaign: a recipient who opened five times is one unique open',
  openRate: 'unique opens ÷ delivered; a click counts as an open (images may be blocked)',
  clickRate: 'unique clicks ÷ delivered (click-through rate); unsubscribe and preference links are not clicks',
  clickToOpenRate: 'unique clicks ÷ unique opens',
  bounceRate: 'recipients who bounced ÷ sent',
  complaintRate: 'recipients who complained ÷ delivered',
  unsubscribeRate: 'recipients who unsubscribed ÷ delivered',
  mqlRate: 'new MQLs from the campaign ÷ delivered',
  mqlToSqlRate: 'MQLs accepted by sales ÷ MQLs',
  human: 'the same figures without machine activity: privacy-proxy opens (Apple Mail Privacy Protection) and security scanners',
  machineActivity: 'opens and clicks made by software, not people: flagged by the rules in docs/engagement.md, counted in "all", left out of "human", never qualifying anyone',
  criteriaVersion: 'the qualification criteria (ideal customer profile and version) an MQL was qualified under',
  activity: 'opens and clicks per hour (per day when the activity spans more than four days), UTC',
};

export type Placement = 'below' | 'within' | 'above' | 'n/a';
const place = (value: number | null, band: { low: number; high: number }): Placement =>
  value === null ? 'n/a' : value < band.low ? 'below' : value > band.high ? 'above' : 'within';

export type ReputationStatus = 'healthy' | 'review-level' | 'pause-level' | 'n/a';
const reputationStatus = (value: number | null, t: { review: number; pause: number }): ReputationStatus =>
  value === null ? 'n/a' : value >= t.pause ? 'pause-level' : value >= t.review ? 'review-level' : 'healthy';

const ratio = (n: number, d: number) => (d > 0 ? n / d : null);

export type ReportScope = { kind: 'campaign'; campaignId: string } | ({ kind: 'period' } & ReportPeriod);

/** One campaign's line: the period report has one per campaign, the campaign report one. */
export interface ReportCampaignRow {
  campaignId: string;
  name: string;
  subject: string;
  status: Campaign['status'];
  createdAt: string;
  sendRequestedAt: string | null;
  criteria: string;
  sent: number;
  delivered: number;
  uniqueOpens: number;
  uniqueClicks: number;
  humanUniqueOpens: number;
  humanUniqueClicks: number;
  openRate: number | null;
  clickRate: number | null;
  humanOpenRate: number | null;
  humanClickRate: number | null;
  bounceRate: number | null;
  complaintRate: number | null;
  mqls: number;
  acceptedBySales: number;
}

export interface ReportLead {
  leadId: string;
  contactId: string;
  /** Display name and company of the contact, when known. */
  name: string | null;
  company: string | null;
  campaignId: string;
  qualifiedAt: string;
  stage: Lead['stage'];
  criteria: string;
  reasons: string[];
  clickedLink: string | null;
}

export interface CriteriaVersionRow {
  criteria: string;
  mqls: number;
  acceptedBySales: number;
  rejectedBySales: number;
  awaitingSales: number;
  sqlRate: number | null;
}

export interface BandPlacement {
  value: number | null;
  humanValue: number | null;
  low: number;
  high: number;
  placement: Placement;
  humanPlacement: Placement;
}

export interface ActivityPoint {
  at: string;
  opens: number;
  humanOpens: number;
  clicks: number;
  humanClicks: number;
}

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  kind: ReportScope['kind'];
  title: string;
  generatedAt: string;
  scope: ReportScope;
  definitions: typeof metricDefinitions;
  campaigns: ReportCampaignRow[];
  /** Every campaign's counters summed, then the rates computed from the sums. */
  metrics: CampaignMetrics;
  funnel: { stage: 'sent' | 'delivered' | 'opened' | 'clicked' | 'MQL' | 'SQL'; count: number; ofPrevious: number | null }[];
  benchmarks: { source: string; openRate: BandPlacement; clickRate: BandPlacement };
  activity: { unit: 'hour' | 'day'; points: ActivityPoint[] };
  reputation: {
    bounceRate: { value: number | null; review: number; pause: number; status: ReputationStatus };
    complaintRate: { value: number | null; review: number; pause: number; status: ReputationStatus };
  };
  mqls: {
    count: number;
    acceptedBySales: number;
    rejectedBySales: number;
    awaitingSales: number;
    rate: number | null;
    sqlRate: number | null;
    byCriteria: CriteriaVersionRow[];
    leads: ReportLead[];
  };
}

export interface ReportCampaignInput {
  campaign: Campaign;
  counters: Counters;
  linkUrls: Record<string, string>;
  leads: Lead[];
}

/** Contact details a report shows beside a lead (looked up per MQL). */
export type LeadContact = { name: string | null; company: string | null };

/** Code-unit order: the same on every machine, whatever its locale (localeCompare is not). */
export const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byKey = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareText(a, b)));
const compareLeads = (a: Lead & { campaignId: string }, b: Lead & { campaignId: string }) =>
  compareText(a.qualifiedAt, b.qualifiedAt) || compareText(a.campaignId, b.campaignId) || compareText(a.contactId, b.contactId) || a.lifecycle - b.lifecycle;

/** Hours with activity, gaps filled, or days when the activity spans more than four days. */
export function activitySeries(hourly: CampaignMetrics['hourly']): Report['activity'] {
  if (!hourly.length) return { unit: 'hour', points: [] };
  const first = Date.parse(`${hourly[0]!.hour}:00:00Z`);
  const last = Date.parse(`${hourly[hourly.length - 1]!.hour}:00:00Z`);
  const unit = last - first > 96 * 3_600_000 ? 'day' : 'hour';
  const width = unit === 'day' ? 10 : 13;
  const step = unit === 'day' ? 86_400_000 : 3_600_000;
  const buckets = new Map<string, ActivityPoint>();
  const start = Date.parse(unit === 'day' ? `${hourly[0]!.hour.slice(0, 10)}T00:00:00Z` : `${hourly[0]!.hour}:00:00Z`);
  for (let t = start; t <= last; t += step) {
    const at = new Date(t).toISOString().slice(0, width);
    buckets.set(at, { at, opens: 0, humanOpens: 0, clicks: 0, humanClicks: 0 });
  }
  for (const h of hourly) {
    const p = buckets.get(h.hour.slice(0, width))!;
    p.opens += h.opens;
    p.humanOpens += h.humanOpens;
    p.clicks += h.clicks;
    p.humanClicks += h.humanClicks;
  }
  return { unit, points: [...buckets.values()] };
}

/**
 * Builds the report from each campaign's counters and leads. Pure and deterministic: the same
 * input gives the same object (every list sorted by a stable key), whatever order it came in.
 */
export function buildReport(input: {
  scope: ReportScope;
  generatedAt: string;
  campaigns: ReportCampaignInput[];
  contacts?: Map<string, LeadContact>;
  bands?: BenchmarkBands;
}): Report {
  const bands = input.bands ?? defaultBands;
  const inputs = [...input.campaigns].sort(
    (a, b) => compareText(a.campaign.sendRequestedAt ?? a.campaign.createdAt, b.campaign.sendRequestedAt ?? b.campaign.createdAt) ||
      compareText(a.campaign.campaignId, b.campaign.campaignId),
  );

  const total: Counters = {};
  const linkUrls: Record<string, string> = {};
  for (const c of inputs) {
    addCounters(total, c.counters);
    Object.assign(linkUrls, c.campaign.links, c.linkUrls);
  }
  const summed = computeMetrics(total, linkUrls);
  const metrics: CampaignMetrics = { ...summed, machineFlags: byKey(summed.machineFlags) };

  const campaigns = inputs.map(({ campaign, counters, linkUrls: urls, leads }): ReportCampaignRow => {
    const m = computeMetrics(counters, { ...campaign.links, ...urls });
    return {
      campaignId: campaign.campaignId,
      name: campaign.name,
      subject: campaign.subject,
      status: campaign.status,
      createdAt: campaign.createdAt,
      sendRequestedAt: campaign.sendRequestedAt ?? null,
      criteria: campaignCriteriaOf(campaign),
      sent: m.sent,
      delivered: m.delivered,
      uniqueOpens: m.uniqueOpens,
      uniqueClicks: m.uniqueClicks,
      humanUniqueOpens: m.human.uniqueOpens,
      humanUniqueClicks: m.human.uniqueClicks,
      openRate: m.rates.openRate,
      clickRate: m.rates.clickRate,
      humanOpenRate: m.rates.human.openRate,
      humanClickRate: m.rates.human.clickRate,
      bounceRate: m.rates.bounceRate,
      complaintRate: m.rates.complaintRate,
      mqls: leads.length,
      acceptedBySales: leads.filter(isAcceptedBySales).length,
    };
  });

  // Leads listed by campaign carry it; the type allows leads that an API event made.
  const leads = inputs.flatMap((c) => c.leads.map((l) => ({ ...l, campaignId: l.campaignId ?? c.campaign.campaignId }))).sort(compareLeads);
  const accepted = leads.filter(isAcceptedBySales).length;
  const rejected = leads.filter(isRejectedBySales).length;
  const criteria = new Map<string, CriteriaVersionRow>();
  for (const lead of leads) {
    const key = criteriaVersionOf(lead);
    const row = criteria.get(key) ?? { criteria: key, mqls: 0, acceptedBySales: 0, rejectedBySales: 0, awaitingSales: 0, sqlRate: null };
    row.mqls++;
    if (isAcceptedBySales(lead)) row.acceptedBySales++;
    else if (isRejectedBySales(lead)) row.rejectedBySales++;
    else row.awaitingSales++;
    criteria.set(key, row);
  }
  const byCriteria = [...criteria.values()]
    .map((r) => ({ ...r, sqlRate: ratio(r.acceptedBySales, r.mqls) }))
    .sort((a, b) => compareText(a.criteria, b.criteria));

  const counts = [metrics.sent, metrics.delivered, metrics.uniqueOpens, metrics.uniqueClicks, leads.length, accepted];
  const stages = ['sent', 'delivered', 'opened', 'clicked', 'MQL', 'SQL'] as const;
  const scope = input.scope;
  const only = campaigns[0];
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    kind: scope.kind,
    title: scope.kind === 'campaign' ? (only?.name ?? scope.campaignId) : `Campaigns sent ${scope.from} to ${scope.to}`,
    generatedAt: input.generatedAt,
    scope,
    definitions: metricDefinitions,
    campaigns,
    metrics,
    funnel: stages.map((stage, i) => ({ stage, count: counts[i]!, ofPrevious: i === 0 ? null : ratio(counts[i]!, counts[i - 1]!) })),
    benchmarks: {
      source: bands.source,
      openRate: {
        value: metrics.rates.openRate, humanValue: metrics.rates.human.openRate, ...bands.openRate,
        placement: place(metrics.rates.openRate, bands.openRate), humanPlacement: place(metrics.rates.human.openRate, bands.openRate),
      },
      clickRate: {
        value: metrics.rates.clickRate, humanValue: metrics.rates.human.clickRate, ...bands.clickRate,
        placement: place(metrics.rates.clickRate, bands.clickRate), humanPlacement: place(metrics.rates.human.clickRate, bands.clickRate),
      },
    },
    activity: activitySeries(metrics.hourly),
    reputation: {
      bounceRate: { value: metrics.rates.bounceRate, ...sesReputationThresholds.bounceRate, status: reputationStatus(metrics.rates.bounceRate, sesReputationThresholds.bounceRate) },
      complaintRate: {
        value: metrics.rates.complaintRate, ...sesReputationThresholds.complaintRate,
        status: reputationStatus(metrics.rates.complaintRate, sesReputationThresholds.complaintRate),
      },
    },
    mqls: {
      count: leads.length,
      acceptedBySales: accepted,
      rejectedBySales: rejected,
      awaitingSales: leads.length - accepted - rejected,
      rate: ratio(leads.length, metrics.delivered),
      sqlRate: ratio(accepted, leads.length),
      byCriteria,
      leads: leads.map((l) => ({
        leadId: l.leadId,
        contactId: l.contactId,
        name: input.contacts?.get(l.contactId)?.name ?? null,
        company: input.contacts?.get(l.contactId)?.company ?? null,
        campaignId: l.campaignId,
        qualifiedAt: l.qualifiedAt,
        stage: l.stage,
        criteria: criteriaVersionOf(l),
        reasons: l.reasons,
        clickedLink: l.trigger.linkUrl ?? null,
      })),
    },
  };
}
