import { campaignInputSchema, type Campaign } from '../campaign';
import { computeMetrics, type CampaignMetrics } from '../engagement/metrics';
import { linkIdFor } from '../engagement/recipient';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';

/** Delta ids are `newId('d')`: the prefix, then the creation time in base 36, so they sort by time. */
export const DELTA_ID_PREFIX = 'd_';
import type { CampaignStore, Clock, EngagementStore, ProfileStore, SendQueue } from '../ports';
import { extractLinks, validateTemplates } from '../render';

export async function createCampaign(
  deps: { campaigns: CampaignStore; profiles: ProfileStore; clock: Clock },
  input: unknown,
): Promise<Campaign> {
  const parsed = campaignInputSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('invalid campaign', parsed.error.issues);
  const data = parsed.data;
  const check = validateTemplates({ subject: data.subject, html: data.htmlTemplate, text: data.textTemplate });
  if (check.unknown.length) {
    throw new ValidationError(`unknown placeholders: ${check.unknown.join(', ')}`, { unknownPlaceholders: check.unknown });
  }
  const profile = await deps.profiles.get(data.profileId);
  if (!profile) throw new ValidationError(`ideal customer profile ${data.profileId} does not exist`, { path: ['profileId'] });
  const now = deps.clock.now();
  const links = Object.fromEntries(extractLinks(data.htmlTemplate).map((url) => [linkIdFor(url), url]));
  const campaign: Campaign = {
    ...data,
    campaignId: newId('cmp', now),
    status: 'draft',
    profileVersion: profile.version,
    createdAt: now.toISOString(),
    links,
  };
  await deps.campaigns.create(campaign);
  return campaign;
}

/**
 * Starts sending: draft → sending, then one fan-out job on the send queue. Idempotent: a repeated
 * request for a campaign already sending or sent starts nothing and answers with its status.
 */
export async function startSend(
  deps: { campaigns: CampaignStore; queue: SendQueue; clock: Clock },
  campaignId: string,
): Promise<{ campaign: Campaign; started: boolean }> {
  const campaign = await deps.campaigns.get(campaignId);
  if (!campaign) throw new NotFoundError(`campaign ${campaignId} does not exist`);
  if (campaign.status === 'cancelled') throw new ConflictError(`campaign ${campaignId} is cancelled and cannot be sent`);
  if (campaign.status !== 'draft') return { campaign, started: false };
  const sendRequestedAt = deps.clock.now().toISOString();
  const moved = await deps.campaigns.transition(campaignId, ['draft'], 'sending', { sendRequestedAt });
  if (!moved) return { campaign: (await deps.campaigns.get(campaignId))!, started: false };
  await deps.queue.enqueue([{ kind: 'fanout', campaignId }]);
  return { campaign: { ...campaign, status: 'sending', sendRequestedAt }, started: true };
}

export interface CampaignStats {
  campaignId: string;
  status: Campaign['status'];
  metrics: CampaignMetrics;
}

/**
 * Deltas whose id (time-sortable, see `newId`) is older than this can no longer be in flight: a
 * writer creates its id at the start of a batch and writes within the function's timeout.
 */
export function compactionCutoff(now: Date, inFlightGraceMs: number): string {
  return `${DELTA_ID_PREFIX}${(now.getTime() - Math.max(inFlightGraceMs, 60_000)).toString(36)}`;
}

export async function campaignStats(
  deps: { campaigns: CampaignStore; engagement: EngagementStore; clock: Clock; inFlightGraceMs: number },
  campaignId: string,
): Promise<CampaignStats> {
  const campaign = await deps.campaigns.get(campaignId);
  if (!campaign) throw new NotFoundError(`campaign ${campaignId} does not exist`);
  const { counters, linkUrls } = await deps.engagement.campaignCounters(campaignId, {
    compactBefore: compactionCutoff(deps.clock.now(), deps.inFlightGraceMs),
  });
  return { campaignId, status: campaign.status, metrics: computeMetrics(counters, { ...campaign.links, ...linkUrls }) };
}
