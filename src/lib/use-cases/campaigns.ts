import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { campaignInputSchema, type Campaign, type CampaignInput } from '../campaign';
import { computeMetrics, type CampaignMetrics } from '../engagement/metrics';
import { linkIdFor } from '../engagement/recipient';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';

/** Delta ids are `newId('d')`: the prefix, then the creation time in base 36, so they sort by time. */
export const DELTA_ID_PREFIX = 'd_';
import type { CampaignStore, Clock, CriteriaStore, EngagementStore, ProfileStore, SendQueue } from '../ports';
import { allowedPlaceholders, extractLinks, validateTemplates } from '../render';

type TemplateFields = Pick<CampaignInput, 'subject' | 'htmlTemplate' | 'textTemplate'>;

/** Unknown placeholders and template errors, each under the field it is in. */
export function templateIssues(data: TemplateFields): { path: string[]; message: string }[] {
  const parts = { subject: 'subject', html: 'htmlTemplate', text: 'textTemplate' } as const;
  const issues: { path: string[]; message: string }[] = [];
  for (const [part, field] of Object.entries(parts)) {
    const check = validateTemplates({ subject: '', html: '', text: '', [part]: data[field] });
    for (const name of check.unknown) issues.push({ path: [field], message: `unknown placeholder {{${name}}}` });
    for (const error of check.errors) issues.push({ path: [field], message: error.replace(/^\w+: /, '') });
  }
  return issues;
}

function rejectBadTemplates(data: TemplateFields) {
  const issues = templateIssues(data);
  if (!issues.length) return;
  const unknown = [...new Set(issues.flatMap((i) => i.message.match(/^unknown placeholder \{\{(.+)\}\}$/)?.[1] ?? []))];
  const message = unknown.length
    ? `unknown placeholder${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known: ${allowedPlaceholders.join(', ')})`
    : `invalid template: ${issues[0]!.message}`;
  throw new ValidationError(message, issues);
}

async function frozenProfileVersion(profiles: ProfileStore, profileId: string): Promise<number> {
  const profile = await profiles.get(profileId);
  if (!profile) throw new ValidationError(`ideal customer profile ${profileId} does not exist`, [{ path: ['profileId'], message: 'no such profile' }]);
  return profile.version;
}

/** A campaign naming criteria needs a published version of them (docs/qualification.md). */
async function requirePublishedCriteria(criteria: CriteriaStore, criteriaId: string) {
  if (!(await criteria.getVersion(criteriaId))) {
    throw new ValidationError(`criteria ${criteriaId} does not exist or has no published version`, [{ path: ['criteriaId'], message: 'no published criteria of this id' }]);
  }
}

const linksOf = (htmlTemplate: string) => Object.fromEntries(extractLinks(htmlTemplate).map((url) => [linkIdFor(url), url]));

export async function createCampaign(
  deps: { campaigns: CampaignStore; profiles: ProfileStore; criteria: CriteriaStore; clock: Clock },
  input: unknown,
): Promise<Campaign> {
  const parsed = campaignInputSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('invalid campaign', parsed.error.issues);
  const data = parsed.data;
  rejectBadTemplates(data);
  if (!data.profileId && !data.criteriaId) throw new ValidationError('name a profileId or a criteriaId', [{ path: ['criteriaId'], message: 'give a profileId or a criteriaId' }]);
  const profileVersion = data.profileId ? await frozenProfileVersion(deps.profiles, data.profileId) : undefined;
  if (data.criteriaId) await requirePublishedCriteria(deps.criteria, data.criteriaId);
  const now = deps.clock.now();
  const campaign: Campaign = {
    ...data,
    campaignId: newId('cmp', now),
    status: 'draft',
    ...(profileVersion !== undefined ? { profileVersion } : {}),
    createdAt: now.toISOString(),
    links: linksOf(data.htmlTemplate),
  };
  await deps.campaigns.create(campaign);
  return campaign;
}

export async function getCampaign(deps: { campaigns: CampaignStore }, campaignId: string): Promise<Campaign> {
  const campaign = await deps.campaigns.get(campaignId);
  if (!campaign) throw new NotFoundError(`campaign ${campaignId} does not exist`);
  return campaign;
}

/** What `PATCH /campaigns/{id}` may change: any input field, at least one. */
export const campaignPatchSchema = campaignInputSchema
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'give at least one field to change' });

/**
 * Edits a draft. The patch is merged over the stored input and the whole is validated again
 * (placeholders, profile); the write happens only while the campaign is still a draft, so an edit
 * racing a send request either lands before the send or is refused.
 */
export async function updateDraftCampaign(
  deps: { campaigns: CampaignStore; profiles: ProfileStore; criteria: CriteriaStore },
  campaignId: string,
  patch: unknown,
): Promise<Campaign> {
  const parsedPatch = campaignPatchSchema.safeParse(patch);
  if (!parsedPatch.success) throw new ValidationError('invalid campaign change', parsedPatch.error.issues);
  const campaign = await getCampaign(deps, campaignId);
  if (campaign.status !== 'draft') throw new ConflictError(`campaign ${campaignId} is ${campaign.status}; only a draft can be edited`);
  const inputKeys = Object.keys(campaignInputSchema.shape) as (keyof CampaignInput)[];
  const merged = campaignInputSchema.safeParse({
    ...Object.fromEntries(inputKeys.filter((k) => campaign[k] !== undefined).map((k) => [k, campaign[k]])),
    ...parsedPatch.data,
  });
  if (!merged.success) throw new ValidationError('invalid campaign', merged.error.issues);
  rejectBadTemplates(merged.data);
  const changes: Partial<Campaign> = { ...parsedPatch.data };
  if (parsedPatch.data.profileId) changes.profileVersion = await frozenProfileVersion(deps.profiles, parsedPatch.data.profileId);
  if (parsedPatch.data.criteriaId) await requirePublishedCriteria(deps.criteria, parsedPatch.data.criteriaId);
  if (parsedPatch.data.htmlTemplate) changes.links = linksOf(parsedPatch.data.htmlTemplate);
  if (!(await deps.campaigns.update(campaignId, changes, ['draft']))) {
    const now = await getCampaign(deps, campaignId);
    throw new ConflictError(`campaign ${campaignId} is ${now.status}; only a draft can be edited`);
  }
  return { ...campaign, ...changes };
}

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
    const extra = { sendRequestedAt, sendRequestKey: requestKey };
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
  await deps.queue.enqueue([{ kind: 'fanout', campaignId }]);
  await deps.campaigns.update(campaignId, { fanoutQueuedAt: deps.clock.now().toISOString() }, ['sending', 'sent', 'paused', 'cancelled']);
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
