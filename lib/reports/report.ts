import { z } from 'zod';
import type { Campaign } from '../sending/campaign';
import type { CampaignMetrics } from '../engagement/metrics';
import type { Counters } from '../engagement/recipient';
import type { Lead } from '../qualification/lead';
import type { ReportPeriod } from './period';

/**
 * The report model: every figure the three formats show, built by one pure function
 * (`buildReport`, build-report.ts) so JSON, CSV and HTML cannot disagree. Bump the schema version
 * when a field changes meaning or goes away; adding a field does not.
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
  machineActivity:
    'opens and clicks made by software, not people: flagged by the rules in docs/engagement.md, counted in "all", left out of "human", never qualifying anyone',
  criteriaVersion: 'the qualification criteria (ideal customer profile and version) an MQL was qualified under',
  activity: 'opens and clicks per hour (per day when the activity spans more than four days), UTC',
};

export type Placement = 'below' | 'within' | 'above' | 'n/a';
export type ReputationStatus = 'healthy' | 'review-level' | 'pause-level' | 'n/a';

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
  /** Reached SAL. */
  acceptedBySales: number;
  /** Reached SQL. */
  qualifiedBySales: number;
  rejectedBySales: number;
  awaitingSales: number;
  /** MQL → SAL. */
  salRate: number | null;
  /** MQL → SQL. */
  sqlRate: number | null;
}

/** Speed-to-lead of one owner: how many of its MQLs sales accepted within the follow-up target, and how fast. */
export interface SpeedToLeadRow {
  owner: string;
  mqls: number;
  acceptedWithinTarget: number;
  shareWithinTarget: number | null;
  medianHoursToAccept: number | null;
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
  funnel: { stage: 'sent' | 'delivered' | 'opened' | 'clicked' | 'MQL' | 'SAL' | 'SQL'; count: number; ofPrevious: number | null }[];
  benchmarks: { source: string; openRate: BandPlacement; clickRate: BandPlacement };
  activity: { unit: 'hour' | 'day'; points: ActivityPoint[] };
  reputation: {
    bounceRate: { value: number | null; review: number; pause: number; status: ReputationStatus };
    complaintRate: { value: number | null; review: number; pause: number; status: ReputationStatus };
  };
  mqls: {
    count: number;
    /** Reached SAL. */
    acceptedBySales: number;
    /** Reached SQL. */
    qualifiedBySales: number;
    rejectedBySales: number;
    awaitingSales: number;
    /** MQLs whose qualifying moment was older than the freshness window: counted, never alerted. */
    historical: number;
    rate: number | null;
    /** MQL → SAL. */
    salRate: number | null;
    /** SAL → SQL. */
    salToSqlRate: number | null;
    /** MQL → SQL. */
    sqlRate: number | null;
    byCriteria: CriteriaVersionRow[];
    /** Per owner, alerted (fresh) MQLs only. */
    speedToLead: SpeedToLeadRow[];
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

/** A rate of the report: `null` when the denominator is zero (nothing to divide yet), as in the engagement metrics. */
export const ratio = (n: number, d: number) => (d > 0 ? n / d : null);
