import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { addCounts, normaliseAudience, type Audience, type ExclusionCounts } from './audience';
import { campaignInputSchema, campaignTransitions, type Campaign, type CampaignInput, type CampaignStatus } from './campaign';
import { computeMetrics, type CampaignMetrics } from '../engagement/metrics';
import { linkIdFor } from '../engagement/recipient';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors';
import { newId } from '../shared/ids';

/** Delta ids are `newId('d')`: the prefix, then the creation time in base 36, so they sort by time. */
export const DELTA_ID_PREFIX = 'd_';
import type { CampaignStore, SendProgressStore, SendQueue } from './ports';
import type { Clock } from '../shared/ports';
import type { CriteriaStore } from '../qualification/ports';
import type { EngagementStore } from '../engagement/ports';
import type { ProfileStore } from '../contacts/ports';
import { allowedPlaceholders, extractLinks, validateTemplates } from './render';

type TemplateFields = Pick<CampaignInput, 'subject' | 'htmlTemplate' | 'textTemplate' | 'fallbacks'>;

/**
 * Unknown placeholders, template errors, and values a contact may lack used without a fallback
 * (docs/sending.md, "Rendering"), each under the field it is in.
 */
export function templateIssues(data: TemplateFields): { path: string[]; message: string }[] {
  const parts = { subject: 'subject', html: 'htmlTemplate', text: 'textTemplate' } as const;
  const issues: { path: string[]; message: string }[] = [];
  for (const [part, field] of Object.entries(parts)) {
    const check = validateTemplates({ subject: '', html: '', text: '', [part]: data[field] }, data.fallbacks);
    for (const name of check.unknown) issues.push({ path: [field], message: `unknown placeholder {{${name}}}` });
    for (const error of check.errors) issues.push({ path: [field], message: error.replace(/^\w+: /, '') });
    for (const name of check.missingFallbacks) {
      issues.push({
        path: [field],
        message: `{{${name}}} has no fallback for contacts without one: write {{default ${name} "…"}}, wrap it in {{#if ${name}}}…{{/if}}, or declare fallbacks.${name}`,
      });
    }
  }
  return issues;
}

function rejectBadTemplates(data: TemplateFields) {
  const issues = templateIssues(data);
  if (!issues.length) return;
  const unknown = [...new Set(issues.flatMap((i) => i.message.match(/^unknown placeholder \{\{(.+)\}\}$/)?.[1] ?? []))];
  const missing = [...new Set(issues.flatMap((i) => i.message.match(/^\{\{(.+)\}\} has no fallback/)?.[1] ?? []))];
  const message = unknown.length
    ? `unknown placeholder${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known: ${allowedPlaceholders.join(', ')})`
    : missing.length
      ? `no fallback for ${missing.join(', ')}: a contact may lack ${missing.length > 1 ? 'them' : 'it'}; use {{default ${missing[0]} "…"}} or declare fallbacks.${missing[0]}`
      : `invalid template: ${issues[0]!.message}`;
  throw new ValidationError(message, issues);
}

/** The stored audience: `audience` normalised, `contactIds` as a list, else everyone. */
function audienceOf(data: Pick<CampaignInput, 'audience' | 'contactIds'>): Audience | undefined {
  if (data.audience && data.contactIds) {
    throw new ValidationError('give either contactIds or audience, not both', [{ path: ['audience'], message: 'not with contactIds' }]);
  }
  if (data.audience) return normaliseAudience(data.audience);
  if (data.contactIds) return normaliseAudience({ kind: 'list', contactIds: data.contactIds });
  return undefined;
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
  const { contactIds, audience: audienceInput, ...data } = parsed.data;
  rejectBadTemplates(data);
  const audience = audienceOf({ audience: audienceInput, contactIds }) ?? { kind: 'all' };
  if (!data.profileId && !data.criteriaId) throw new ValidationError('name a profileId or a criteriaId', [{ path: ['criteriaId'], message: 'give a profileId or a criteriaId' }]);
  const profileVersion = data.profileId ? await frozenProfileVersion(deps.profiles, data.profileId) : undefined;
  if (data.criteriaId) await requirePublishedCriteria(deps.criteria, data.criteriaId);
  const now = deps.clock.now();
  const campaign: Campaign = {
    ...data,
    audience,
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
  const { contactIds, audience: audienceInput, ...rest } = parsedPatch.data;
  const changes: Partial<Campaign> = { ...rest };
  const audience = audienceOf({ audience: audienceInput, contactIds });
  if (audience) changes.audience = audience;
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
  const from = (Object.keys(campaignTransitions) as CampaignStatus[]).filter((s) => campaignTransitions[s].includes(to) && (action !== 'resume' || s === 'paused'));
  if (!from.includes(campaign.status)) {
    throw new ConflictError(`campaign ${campaignId} is ${campaign.status}; it cannot be ${action === 'pause' ? 'paused' : action === 'resume' ? 'resumed' : 'cancelled'}`);
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


/**
 * Deltas whose id (time-sortable, see `newId`) is older than this can no longer be in flight: a
 * writer creates its id at the start of a batch and writes within the function's timeout.
 */
export function compactionCutoff(now: Date, inFlightGraceMs: number): string {
  return `${DELTA_ID_PREFIX}${(now.getTime() - Math.max(inFlightGraceMs, 60_000)).toString(36)}`;
}

export async function campaignStats(
  deps: { campaigns: CampaignStore; engagement: EngagementStore; progress: SendProgressStore; clock: Clock; inFlightGraceMs: number },
  campaignId: string,
): Promise<CampaignStats> {
  const campaign = await deps.campaigns.get(campaignId);
  if (!campaign) throw new NotFoundError(`campaign ${campaignId} does not exist`);
  const { counters, linkUrls } = await deps.engagement.campaignCounters(campaignId, {
    compactBefore: compactionCutoff(deps.clock.now(), deps.inFlightGraceMs),
  });
  return {
    campaignId,
    status: campaign.status,
    sending: await sendingProgress(deps, campaign),
    metrics: computeMetrics(counters, { ...campaign.links, ...linkUrls }),
  };
}
