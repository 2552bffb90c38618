/** Starting a campaign's send (once, whatever is retried), and pausing, resuming or cancelling it. */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { campaignTransitions, type Campaign, type CampaignStatus } from './campaign';
import { getCampaign } from './campaigns';
import { ConflictError, NotFoundError } from '../common/errors';
import type { CampaignStore, SendQueue } from './ports';
import type { Clock } from '../common/ports';

/** An Idempotency-Key: printable ASCII, as the IETF draft and Stripe use it. */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 printable ASCII characters')
  .meta({ description: 'Makes the request safe to retry: a repeat with the same key gets the same answer and starts nothing new.' });

export interface SendRequestResult {
  campaign: Campaign;
  /** This request (or the earlier one with the same key) started the send. */
  started: boolean;
  /** The answer repeats an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/**
 * Starts sending: draft → sending (a conditional write, so only one request can win), then one
 * fan-out job on the send queue. A campaign is sent once whatever happens:
 * - a request repeated with the same Idempotency-Key is answered as the first was, and re-queues
 *   the fan-out if the first request failed after starting but before queuing it (the fan-out and
 *   the send ledger are idempotent, so a second copy sends nobody twice);
 * - any other request for a campaign that is sending, sent, paused or cancelled is a conflict.
 */
export async function startSend(
  deps: { campaigns: CampaignStore; queue: SendQueue; clock: Clock },
  campaignId: string,
  idempotencyKey?: string,
): Promise<SendRequestResult> {
  // Without a key, the request gets one of its own: if the transition lands but its answer is lost,
  // the SDK's retry fails the condition, and the key on the campaign shows the write was this one.
  const requestKey = idempotencyKey ?? `request-${randomUUID()}`;
  let campaign = await getCampaign(deps, campaignId);
  if (campaign.status === 'draft') {
    const sendRequestedAt = deps.clock.now().toISOString();
    const extra = { sendRequestedAt, sendRequestKey: requestKey, generation: 1 };
    if (await deps.campaigns.transition(campaignId, ['draft'], 'sending', extra)) {
      await queueFanout(deps, campaignId);
      return { campaign: { ...campaign, status: 'sending', ...extra }, started: true, replayed: false };
    }
    campaign = await getCampaign(deps, campaignId); // another request won the race, or this one's answer was lost
  }
  if (campaign.sendRequestKey === requestKey) {
    if (campaign.status === 'sending' && !campaign.fanoutQueuedAt) await queueFanout(deps, campaignId);
    return { campaign, started: true, replayed: idempotencyKey !== undefined };
  }
  if (campaign.status === 'cancelled') throw new ConflictError(`campaign ${campaignId} is cancelled and cannot be sent`);
  if (campaign.status === 'paused') throw new ConflictError(`campaign ${campaignId} is paused; resume it instead of sending it again`);
  throw new ConflictError(
    `campaign ${campaignId} is already ${campaign.status} (send requested at ${campaign.sendRequestedAt ?? 'an earlier time'}); a campaign is sent once`,
  );
}

async function queueFanout(deps: { campaigns: CampaignStore; queue: SendQueue; clock: Clock }, campaignId: string) {
  await deps.queue.enqueue([{ kind: 'fanout', campaignId, generation: 1, page: 0 }]);
  await deps.campaigns.update(campaignId, { fanoutQueuedAt: deps.clock.now().toISOString() }, ['sending', 'sent', 'paused', 'cancelled']);
}

export type SendControl = 'pause' | 'resume' | 'cancel';
const target: Record<SendControl, CampaignStatus> = { pause: 'paused', resume: 'sending', cancel: 'cancelled' };

/**
 * Pause (sending → paused: senders stop within a second), resume (paused → sending: a new
 * generation walks the recorded audience again and queues only the jobs without an outcome, so
 * nobody is mailed twice and nobody is skipped) and cancel (draft, sending or paused → cancelled,
 * final). Idempotent: asking for the state a campaign is already in changes nothing.
 */
export async function controlSend(
  deps: { campaigns: CampaignStore; queue: SendQueue; clock: Clock },
  campaignId: string,
  action: SendControl,
): Promise<{ campaign: Campaign; changed: boolean }> {
  const campaign = await deps.campaigns.get(campaignId);
  if (!campaign) throw new NotFoundError(`campaign ${campaignId} does not exist`);
  const to = target[action];
  if (campaign.status === to) return { campaign, changed: false };
  const from = (Object.keys(campaignTransitions) as CampaignStatus[]).filter(
    (s) => campaignTransitions[s].includes(to) && (action !== 'resume' || s === 'paused'),
  );
  if (!from.includes(campaign.status)) {
    throw new ConflictError(
      `campaign ${campaignId} is ${campaign.status}; it cannot be ${action === 'pause' ? 'paused' : action === 'resume' ? 'resumed' : 'cancelled'}`,
    );
  }
  const at = deps.clock.now().toISOString();
  const generation = (campaign.generation ?? 1) + 1;
  const extra: Partial<Campaign> =
    action === 'pause' ? { pausedAt: at, pausedReason: 'paused on request' } : action === 'resume' ? { generation } : { cancelledAt: at };
  const moved = await deps.campaigns.transition(campaignId, [campaign.status], to, extra);
  if (!moved) return { campaign: (await deps.campaigns.get(campaignId))!, changed: false };
  if (action === 'resume') await deps.queue.enqueue([{ kind: 'fanout', campaignId, generation, page: 0 }]);
  return { campaign: { ...campaign, ...extra, status: to }, changed: true };
}
