import { z } from 'zod';
import type { Campaign } from '../campaign';
import type { CampaignMetrics } from '../engagement/metrics';
import type { Lead } from '../lead';

/** Industry bands the report places each rate in: configuration, not code. */
export const benchmarkBandsSchema = z.object({
  source: z.string().default('GetResponse Email Marketing Benchmarks'),
  openRate: z.object({ low: z.number(), high: z.number() }).default({ low: 0.161, high: 0.3615 }),
  clickRate: z.object({ low: z.number(), high: z.number() }).default({ low: 0.0187, high: 0.0646 }),
});
export type BenchmarkBands = z.infer<typeof benchmarkBandsSchema>;
export const defaultBands: BenchmarkBands = benchmarkBandsSchema.parse({});

/** SES reviews accounts whose bounce rate reaches 5 % or complaint rate 0.1 %. */
export const sesReputationThresholds = { bounceRate: 0.05, complaintRate: 0.001 };

export const metricDefinitions = {
  delivered: 'messages with a Delivery event (sent − bounced − rejected, as SES reports it)',
  openRate: 'unique opens ÷ delivered; a click counts as an open (images may be blocked)',
  clickRate: 'unique clicks ÷ delivered; unsubscribe and preference links are not clicks',
  clickToOpenRate: 'unique clicks ÷ unique opens',
  bounceRate: 'recipients who bounced ÷ sent',
  complaintRate: 'recipients who complained ÷ delivered',
  unsubscribeRate: 'recipients who unsubscribed ÷ delivered',
  mqlRate: 'new MQLs from the campaign ÷ delivered',
  human: 'the same figures without machine activity (privacy-proxy opens, security scanners)',
};

export type Placement = 'below' | 'within' | 'above' | 'n/a';
const place = (value: number | null, band: { low: number; high: number }): Placement =>
  value === null ? 'n/a' : value < band.low ? 'below' : value > band.high ? 'above' : 'within';

export interface CampaignReport {
  schemaVersion: 1;
  generatedAt: string;
  campaign: Pick<Campaign, 'campaignId' | 'name' | 'subject' | 'createdAt' | 'profileId' | 'profileVersion' | 'status'>;
  definitions: typeof metricDefinitions;
  metrics: CampaignMetrics;
  funnel: { stage: string; count: number }[];
  benchmarks: {
    source: string;
    openRate: { value: number | null; low: number; high: number; placement: Placement };
    clickRate: { value: number | null; low: number; high: number; placement: Placement };
  };
  reputation: { bounceRate: number | null; bounceThreshold: number; complaintRate: number | null; complaintThreshold: number };
  mqls: { count: number; sql: number; rate: number | null; leads: Pick<Lead, 'contactId' | 'qualifiedAt' | 'reasons' | 'stage' | 'profileVersion'>[] };
}

export function buildCampaignReport(input: {
  campaign: CampaignReport['campaign'];
  metrics: CampaignMetrics;
  leads: Lead[];
  generatedAt: string;
  bands?: BenchmarkBands;
}): CampaignReport {
  const { metrics: m } = input;
  const bands = input.bands ?? defaultBands;
  const leads = [...input.leads].sort((a, b) => a.qualifiedAt.localeCompare(b.qualifiedAt) || a.contactId.localeCompare(b.contactId));
  const sql = leads.filter((l) => l.stage === 'sql').length;
  return {
    schemaVersion: 1,
    generatedAt: input.generatedAt,
    campaign: input.campaign,
    definitions: metricDefinitions,
    metrics: m,
    funnel: [
      { stage: 'sent', count: m.sent },
      { stage: 'delivered', count: m.delivered },
      { stage: 'opened', count: m.uniqueOpens },
      { stage: 'clicked', count: m.uniqueClicks },
      { stage: 'MQL', count: leads.length },
      { stage: 'SQL', count: sql },
    ],
    benchmarks: {
      source: bands.source,
      openRate: { value: m.rates.openRate, ...bands.openRate, placement: place(m.rates.openRate, bands.openRate) },
      clickRate: { value: m.rates.clickRate, ...bands.clickRate, placement: place(m.rates.clickRate, bands.clickRate) },
    },
    reputation: {
      bounceRate: m.rates.bounceRate,
      bounceThreshold: sesReputationThresholds.bounceRate,
      complaintRate: m.rates.complaintRate,
      complaintThreshold: sesReputationThresholds.complaintRate,
    },
    mqls: {
      count: leads.length,
      sql,
      rate: m.delivered ? leads.length / m.delivered : null,
      leads: leads.map((l) => ({ contactId: l.contactId, qualifiedAt: l.qualifiedAt, reasons: l.reasons, stage: l.stage, profileVersion: l.profileVersion })),
    },
  };
}
