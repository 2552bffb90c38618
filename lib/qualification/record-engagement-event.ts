import { z } from 'zod';
import { NotFoundError, ValidationError } from '../common/errors';
import { shortHash } from '../common/ids';
import type { Lead } from './lead';
import { slug } from './criteria';
import type { Activity } from './evaluate';
import {
  criteriaForCampaign,
  DEFAULT_FRESHNESS_HOURS,
  qualifyContact,
  type QualifyDeps,
  type QualifyOutcome,
  type ResolvedCriteria,
} from './qualify';

/**
 * `POST /contacts/{contactId}/engagement`: something a contact did outside email, posted by a
 * webinar platform, the website or a product (webinar attended, pricing page viewed, whitepaper
 * downloaded, trial started …). Scored by the criteria's `engagement.events`.
 */
export const engagementEventRequestSchema = z
  .object({
    /** A lower-case slug such as `webinar-attended`, `pricing-page-viewed`, `trial-started`. */
    type: slug,
    /** When it happened; now when absent. */
    at: z.iso.datetime({ offset: true }).optional(),
    /** The sender's id for the event: posting it again records nothing new. Derived from type, time and campaign when absent. */
    eventId: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits, _ . : - (at most 128)')
      .optional(),
    /** The campaign it is attributed to, if any (its criteria then evaluate it). */
    campaignId: z.string().min(1).max(100).optional(),
    /** The criteria set to evaluate with when no campaign is named; the default set when absent. */
    criteriaId: z.string().min(1).max(100).optional(),
    /** Accept an `at` older than the freshness window: it scores, and an MQL it makes is historical (no alert). */
    historical: z.boolean().optional(),
  })
  .strict();
export type EngagementEventRequest = z.infer<typeof engagementEventRequestSchema>;

/** An event dated this far in the future is refused (clock skew allowance). */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

export interface EngagementEventResult {
  contactId: string;
  activityKey: string;
  /** False when this event had been recorded already (nothing changed). */
  recorded: boolean;
  /** What qualification made of it; `no-criteria` when no criteria set applies yet. */
  qualification: QualifyOutcome | 'no-criteria';
  lead?: Pick<Lead, 'leadId' | 'stage' | 'owner' | 'qualifiedAt'>;
}

/**
 * Records the event in the contact's activity ledger (once per event id) and evaluates the contact.
 * Evaluation runs on every post, duplicate or not, so a post retried after a crash still qualifies.
 */
export async function recordEngagementEvent(deps: QualifyDeps, contactId: string, input: unknown): Promise<EngagementEventResult> {
  const parsed = engagementEventRequestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('invalid engagement event', parsed.error.issues);
  const body = parsed.data;
  const now = deps.clock.now();
  const at = body.at ? new Date(body.at).toISOString() : now.toISOString();
  if (Date.parse(at) > now.getTime() + FUTURE_TOLERANCE_MS)
    throw new ValidationError(`at ${body.at} is in the future`, [{ path: ['at'], message: 'must not be in the future' }]);
  const windowHours = deps.freshnessHours ?? DEFAULT_FRESHNESS_HOURS;
  if (!body.historical && now.getTime() - Date.parse(at) > windowHours * 3_600_000)
    throw new ValidationError(
      `at ${body.at} is more than ${windowHours} h ago (the freshness window); send historical: true to record it`,
      [{ path: ['at'], message: `older than the ${windowHours} h freshness window; set historical to record it anyway` }],
    );

  const contact = await deps.contacts.get(contactId);
  if (!contact || contact.erasedAt) throw new NotFoundError(`contact ${contactId} does not exist${contact ? ' (erased)' : ''}`);
  let criteria: ResolvedCriteria | undefined;
  if (body.campaignId) {
    const campaign = await deps.campaigns.get(body.campaignId);
    if (!campaign)
      throw new ValidationError(`campaign ${body.campaignId} does not exist`, [{ path: ['campaignId'], message: 'unknown campaign' }]);
    criteria = await criteriaForCampaign(deps, campaign);
  } else {
    const id = body.criteriaId ?? (await deps.criteria.getDefault());
    const version = id ? await deps.criteria.getVersion(id) : undefined;
    if (body.criteriaId && !version)
      throw new ValidationError(`criteria ${body.criteriaId} has no published version`, [
        { path: ['criteriaId'], message: 'unknown or unpublished criteria' },
      ]);
    if (version) criteria = { criteriaId: version.criteriaId, version: version.version, document: version.document };
  }

  const activity: Activity = {
    key: `event:${body.eventId ?? shortHash([body.type, at, body.campaignId ?? ''].join('|'), 16)}`,
    contactId,
    kind: 'event',
    at,
    eventType: body.type,
    ...(body.campaignId ? { campaignId: body.campaignId } : {}),
  };
  const recorded = await deps.activities.putIfAbsent(activity);
  if (!criteria) return { contactId, activityKey: activity.key, recorded, qualification: 'no-criteria' };
  const [activities, current] = await Promise.all([deps.activities.listForContact(contactId), deps.leads.get(contactId)]);
  const { outcome, lead } = await qualifyContact(deps, { contact, criteria, activities, current });
  return {
    contactId,
    activityKey: activity.key,
    recorded,
    qualification: outcome,
    ...(lead ? { lead: { leadId: lead.leadId, stage: lead.stage, owner: lead.owner, qualifiedAt: lead.qualifiedAt } } : {}),
  };
}
