/**
 * Campaigns as drafts: create, read and edit, each checked whole (templates, audience, profile or
 * criteria). Sending them is send-control.ts; their figures, campaign-stats.ts.
 */
import { normaliseAudience, type Audience } from './audience';
import { campaignInputSchema, type Campaign, type CampaignInput } from './campaign';
import { linkIdFor } from '../engagement/recipient';
import { ConflictError, NotFoundError, ValidationError } from '../common/errors';
import { newId } from '../common/ids';
import type { CampaignStore } from './ports';
import { checkSenderAddress } from './sender-address';
import { rejectOversizedCampaign } from './campaign-size';
import type { Clock } from '../common/ports';
import type { CriteriaStore } from '../qualification/ports';
import type { ProfileStore } from '../contacts/ports';
import { allowedPlaceholders, extractLinks } from './render';
import { validateTemplates } from './template-check';

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

/** The From must be one mailbox at the sender domain (sender-address.ts). */
function rejectForeignSender(fromAddress: string, senderDomain: string) {
  const check = checkSenderAddress(fromAddress, senderDomain);
  if (!check.ok) throw new ValidationError(`fromAddress ${check.problem}`, [{ path: ['fromAddress'], message: check.problem! }]);
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

/** Resolves the emails of a list audience to contact ids (keyed, or legacy while stored: lib/contacts/contact-ids.ts). */
export type EmailIds = (emails: string[]) => Promise<Map<string, string>>;

/** The stored audience: `audience` normalised, `contactIds` as a list, else everyone. */
async function audienceOf(data: Pick<CampaignInput, 'audience' | 'contactIds'>, emailIds: EmailIds): Promise<Audience | undefined> {
  if (data.audience && data.contactIds) {
    throw new ValidationError('give either contactIds or audience, not both', [{ path: ['audience'], message: 'not with contactIds' }]);
  }
  if (data.audience) {
    const emails = data.audience.kind === 'list' ? (data.audience.emails ?? []) : [];
    return normaliseAudience(data.audience, emails.length ? await emailIds(emails) : new Map());
  }
  if (data.contactIds) return normaliseAudience({ kind: 'list', contactIds: data.contactIds });
  return undefined;
}

async function frozenProfileVersion(profiles: ProfileStore, profileId: string): Promise<number> {
  const profile = await profiles.get(profileId);
  if (!profile)
    throw new ValidationError(`ideal customer profile ${profileId} does not exist`, [{ path: ['profileId'], message: 'no such profile' }]);
  return profile.version;
}

/** A campaign naming criteria needs a published version of them (docs/qualification.md). */
async function requirePublishedCriteria(criteria: CriteriaStore, criteriaId: string) {
  if (!(await criteria.getVersion(criteriaId))) {
    throw new ValidationError(`criteria ${criteriaId} does not exist or has no published version`, [
      { path: ['criteriaId'], message: 'no published criteria of this id' },
    ]);
  }
}

const linksOf = (htmlTemplate: string) => Object.fromEntries(extractLinks(htmlTemplate).map((url) => [linkIdFor(url), url]));

export async function createCampaign(
  deps: {
    campaigns: CampaignStore;
    profiles: ProfileStore;
    criteria: CriteriaStore;
    clock: Clock;
    senderDomain: string;
    emailIds: EmailIds;
  },
  input: unknown,
): Promise<Campaign> {
  const parsed = campaignInputSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('invalid campaign', parsed.error.issues);
  const { contactIds, audience: audienceInput, ...data } = parsed.data;
  rejectForeignSender(data.fromAddress, deps.senderDomain);
  rejectBadTemplates(data);
  const audience = (await audienceOf({ audience: audienceInput, contactIds }, deps.emailIds)) ?? { kind: 'all' };
  if (!data.profileId && !data.criteriaId)
    throw new ValidationError('name a profileId or a criteriaId', [{ path: ['criteriaId'], message: 'give a profileId or a criteriaId' }]);
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
  rejectOversizedCampaign(campaign);
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
  deps: { campaigns: CampaignStore; profiles: ProfileStore; criteria: CriteriaStore; senderDomain: string; emailIds: EmailIds },
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
  if (parsedPatch.data.fromAddress !== undefined) rejectForeignSender(merged.data.fromAddress, deps.senderDomain);
  rejectBadTemplates(merged.data);
  const { contactIds, audience: audienceInput, ...rest } = parsedPatch.data;
  const changes: Partial<Campaign> = { ...rest };
  const audience = await audienceOf({ audience: audienceInput, contactIds }, deps.emailIds);
  if (audience) changes.audience = audience;
  if (parsedPatch.data.profileId) changes.profileVersion = await frozenProfileVersion(deps.profiles, parsedPatch.data.profileId);
  if (parsedPatch.data.criteriaId) await requirePublishedCriteria(deps.criteria, parsedPatch.data.criteriaId);
  if (parsedPatch.data.htmlTemplate) changes.links = linksOf(parsedPatch.data.htmlTemplate);
  rejectOversizedCampaign({ ...campaign, ...changes });
  if (!(await deps.campaigns.update(campaignId, changes, ['draft']))) {
    const now = await getCampaign(deps, campaignId);
    throw new ConflictError(`campaign ${campaignId} is ${now.status}; only a draft can be edited`);
  }
  return { ...campaign, ...changes };
}
