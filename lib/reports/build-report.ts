import { activitySeries } from './activity-series';
import { benchmarksOf, campaignRow, funnelOf, reputationOf, summedMetrics } from './campaign-figures';
import { mqlSection } from './mql-section';
import {
  compareText,
  defaultBands,
  metricDefinitions,
  REPORT_SCHEMA_VERSION,
  type BenchmarkBands,
  type LeadContact,
  type Report,
  type ReportCampaignInput,
  type ReportCampaignRow,
  type ReportScope,
} from './report';

/** Campaigns in the order they were sent (created, when never sent), then by id. */
const bySendOrder = (a: ReportCampaignInput, b: ReportCampaignInput) =>
  compareText(a.campaign.sendRequestedAt ?? a.campaign.createdAt, b.campaign.sendRequestedAt ?? b.campaign.createdAt) ||
  compareText(a.campaign.campaignId, b.campaign.campaignId);

const titleOf = (scope: ReportScope, campaigns: ReportCampaignRow[]) =>
  scope.kind === 'campaign' ? (campaigns[0]?.name ?? scope.campaignId) : `Campaigns sent ${scope.from} to ${scope.to}`;

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
  const { scope } = input;
  const inputs = [...input.campaigns].sort(bySendOrder);
  const metrics = summedMetrics(inputs);
  const campaigns = inputs.map((c) => campaignRow(c));
  const mqls = mqlSection(inputs, metrics.delivered, input.contacts);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    kind: scope.kind,
    title: titleOf(scope, campaigns),
    generatedAt: input.generatedAt,
    scope,
    definitions: metricDefinitions,
    campaigns,
    metrics,
    funnel: funnelOf(metrics, mqls),
    benchmarks: benchmarksOf(metrics.rates, input.bands ?? defaultBands),
    activity: activitySeries(metrics.hourly, seriesBounds(inputs, input.generatedAt)),
    reputation: reputationOf(metrics.rates),
    mqls,
  };
}

/** Campaign events count up to this long after the send (lib/engagement/verify-events.ts' default window, and a day). */
const SERIES_DAYS_AFTER_SEND = 91;

/** From the earliest campaign's send to the latest one's event window, and never after the report was made. */
function seriesBounds(inputs: ReportCampaignInput[], generatedAt: string): { from: string; to: string } | undefined {
  const starts = inputs.map((i) => i.campaign.sendRequestedAt ?? i.campaign.createdAt).sort();
  if (!starts.length) return undefined;
  const end = new Date(Date.parse(starts[starts.length - 1]!) + SERIES_DAYS_AFTER_SEND * 86_400_000).toISOString();
  return { from: starts[0]!, to: end < generatedAt ? end : generatedAt };
}
