import { computeMetrics, type CampaignMetrics } from '../engagement/metrics';
import { addCounters, type Counters } from '../engagement/recipient';
import { campaignCriteriaOf, isAcceptedBySales } from './lead-stages';
import {
  compareText,
  ratio,
  sesReputationThresholds,
  type BenchmarkBands,
  type Placement,
  type Report,
  type ReportCampaignInput,
  type ReportCampaignRow,
  type ReputationStatus,
} from './report';

/**
 * The report's delivery and engagement figures: each campaign's row, the campaigns summed, the
 * funnel, and where the summed rates stand against the industry bands and the SES reputation
 * thresholds.
 */

const byKey = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareText(a, b)));

/** Every campaign's counters summed, then the rates computed from the sums. */
export function summedMetrics(inputs: ReportCampaignInput[]): CampaignMetrics {
  const total: Counters = {};
  const linkUrls: Record<string, string> = {};
  for (const c of inputs) {
    addCounters(total, c.counters);
    Object.assign(linkUrls, c.campaign.links, c.linkUrls);
  }
  const summed = computeMetrics(total, linkUrls);
  return { ...summed, machineFlags: byKey(summed.machineFlags) };
}

export function campaignRow({ campaign, counters, linkUrls, leads }: ReportCampaignInput): ReportCampaignRow {
  const m = computeMetrics(counters, { ...campaign.links, ...linkUrls });
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
}

const funnelStages = ['sent', 'delivered', 'opened', 'clicked', 'MQL', 'SAL', 'SQL'] as const;

/** Sent → delivered → opened → clicked → MQL → SAL → SQL, each step with its conversion from the one before. */
export function funnelOf(
  metrics: CampaignMetrics,
  mqls: Pick<Report['mqls'], 'count' | 'acceptedBySales' | 'qualifiedBySales'>,
): Report['funnel'] {
  const counts = [
    metrics.sent,
    metrics.delivered,
    metrics.uniqueOpens,
    metrics.uniqueClicks,
    mqls.count,
    mqls.acceptedBySales,
    mqls.qualifiedBySales,
  ];
  return funnelStages.map((stage, i) => ({ stage, count: counts[i]!, ofPrevious: i === 0 ? null : ratio(counts[i]!, counts[i - 1]!) }));
}

const place = (value: number | null, band: { low: number; high: number }): Placement =>
  value === null ? 'n/a' : value < band.low ? 'below' : value > band.high ? 'above' : 'within';

export function benchmarksOf(rates: CampaignMetrics['rates'], bands: BenchmarkBands): Report['benchmarks'] {
  return {
    source: bands.source,
    openRate: {
      value: rates.openRate,
      humanValue: rates.human.openRate,
      ...bands.openRate,
      placement: place(rates.openRate, bands.openRate),
      humanPlacement: place(rates.human.openRate, bands.openRate),
    },
    clickRate: {
      value: rates.clickRate,
      humanValue: rates.human.clickRate,
      ...bands.clickRate,
      placement: place(rates.clickRate, bands.clickRate),
      humanPlacement: place(rates.human.clickRate, bands.clickRate),
    },
  };
}

const reputationStatus = (value: number | null, t: { review: number; pause: number }): ReputationStatus =>
  value === null ? 'n/a' : value >= t.pause ? 'pause-level' : value >= t.review ? 'review-level' : 'healthy';

export function reputationOf(rates: CampaignMetrics['rates']): Report['reputation'] {
  const { bounceRate, complaintRate } = sesReputationThresholds;
  return {
    bounceRate: { value: rates.bounceRate, ...bounceRate, status: reputationStatus(rates.bounceRate, bounceRate) },
    complaintRate: { value: rates.complaintRate, ...complaintRate, status: reputationStatus(rates.complaintRate, complaintRate) },
  };
}
