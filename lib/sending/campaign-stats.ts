/** A campaign's figures: where its send stands (the send's own records) and its engagement metrics (SES events). */
import { addCounts, type ExclusionCounts } from './audience';
import type { Campaign } from './campaign';
import { compactionCutoff, DELTAS_PER_READ } from '../engagement/deltas';
import { computeMetrics, type CampaignMetrics } from '../engagement/metrics';
import type { EngagementStore } from '../engagement/ports';
import { NotFoundError } from '../common/errors';
import type { CampaignStore, SendProgressStore } from './ports';
import type { Clock } from '../common/ports';

/** Where a send stands, from the send's own records (the SES events' view is in `metrics`). */
export interface SendingProgress {
  /** Recipients to mail (audience after exclusions at fan-out); known once the fan-out completed. */
  recipients?: number;
  /** Accepted by SES, counted per finished send job. */
  sent: number;
  /** Refused by SES for good (the reason is on each recipient's send record). */
  failed: number;
  /** Not mailed, by reason: at fan-out and, for contacts suppressed meanwhile, at send time. */
  excluded: ExclusionCounts;
  excludedTotal: number;
  /** Recipients without an outcome yet; known once the fan-out completed. */
  remaining?: number;
  pausedReason?: string;
}

export interface CampaignStats {
  campaignId: string;
  status: Campaign['status'];
  sending: SendingProgress;
  /**
   * False while a backlog of deltas is longer than one read sums (DELTAS_PER_READ): `metrics` then
   * count the oldest deltas only, and the read has folded them, so the next read reaches further.
   */
  metricsComplete: boolean;
  metrics: CampaignMetrics;
}

export async function sendingProgress(deps: { progress: SendProgressStore }, campaign: Campaign): Promise<SendingProgress> {
  const summary = campaign.summary;
  let outcome = { sent: summary?.sent ?? 0, failed: summary?.failed ?? 0, excludedAtSend: summary?.excludedAtSend ?? {} };
  if (campaign.status !== 'sent' && campaign.status !== 'draft') {
    const outcomes = await deps.progress.jobOutcomes(campaign.campaignId);
    outcome = {
      sent: outcomes.reduce((s, o) => s + o.sent, 0),
      failed: outcomes.reduce((s, o) => s + o.failed, 0),
      excludedAtSend: outcomes.reduce((s, o) => addCounts(s, o.excluded), {} as ExclusionCounts),
    };
  }
  const excluded = addCounts(summary?.excluded ?? {}, outcome.excludedAtSend);
  const total = (c: ExclusionCounts) => Object.values(c).reduce((s, n) => s + (n ?? 0), 0);
  return {
    recipients: summary?.recipients,
    sent: outcome.sent,
    failed: outcome.failed,
    excluded,
    excludedTotal: total(excluded),
    remaining: summary ? summary.recipients - outcome.sent - outcome.failed - total(outcome.excludedAtSend) : undefined,
    pausedReason: campaign.status === 'paused' ? campaign.pausedReason : undefined,
  };
}
export async function campaignStats(
  deps: { campaigns: CampaignStore; engagement: EngagementStore; progress: SendProgressStore; clock: Clock; inFlightGraceMs: number },
  campaignId: string,
): Promise<CampaignStats> {
  const campaign = await deps.campaigns.get(campaignId);
  if (!campaign) throw new NotFoundError(`campaign ${campaignId} does not exist`);
  const { counters, linkUrls, complete } = await deps.engagement.campaignCounters(campaignId, {
    compactBefore: compactionCutoff(deps.clock.now(), deps.inFlightGraceMs),
    maxDeltas: DELTAS_PER_READ,
  });
  return {
    campaignId,
    status: campaign.status,
    sending: await sendingProgress(deps, campaign),
    metricsComplete: complete,
    metrics: computeMetrics(counters, { ...campaign.links, ...linkUrls }),
  };
}
