import { addCounts, type ExclusionCounts } from './audience';
import type { SendDeps } from './send-deps';

/**
 * Moves the campaign to `sent` once every job has an outcome, with the final counts. Called when
 * the finished-job counter reaches the job total; the outcomes themselves are the exact check.
 */
export async function completeIfDone(deps: Pick<SendDeps, 'campaigns' | 'progress' | 'clock'>, campaignId: string): Promise<boolean> {
  const campaign = await deps.campaigns.get(campaignId);
  if (campaign?.status !== 'sending' || !campaign.summary) return false;
  const outcomes = await deps.progress.jobOutcomes(campaignId);
  if (outcomes.length < campaign.summary.jobs) return false;
  const sent = outcomes.reduce((s, o) => s + o.sent, 0);
  const failed = outcomes.reduce((s, o) => s + o.failed, 0);
  const excludedAtSend = outcomes.reduce((s, o) => addCounts(s, o.excluded), {} as ExclusionCounts);
  return deps.campaigns.transition(campaignId, ['sending'], 'sent', {
    completedAt: deps.clock.now().toISOString(),
    summary: { ...campaign.summary, sent, failed, excludedAtSend },
  });
}
