import { z } from 'zod';
import { emailDomainOf, type Contact, type SuppressionReason } from '../contacts/contact';
import { normaliseEmail } from '../common/ids';

/**
 * Who a campaign is for. Resolved at send time, page by page, never stored as a copy of the
 * contact list: `all` (every contact), a `segment` of attribute conditions, or an explicit `list`.
 * Whatever the audience, a contact who may not be mailed is excluded and counted by reason.
 */

/** Contact attributes a segment can test. `emailDomain` is the part of the address after the @. */
export const segmentAttributes = [
  'industry',
  'companySize',
  'country',
  'region',
  'role',
  'seniority',
  'ageBand',
  'incomeBand',
  'interests',
  'company',
  'owner',
  'emailDomain',
] as const;
export type SegmentAttribute = (typeof segmentAttributes)[number];

const values = z.array(z.string().min(1).max(200)).min(1).max(500);

/**
 * One test on one attribute. Comparisons ignore case. For `interests` (a list), `in` matches when
 * any interest is listed and `notIn` when none is.
 */
export const segmentConditionSchema = z.union([
  z.object({ attribute: z.enum(segmentAttributes), in: values }).strict(),
  z.object({ attribute: z.enum(segmentAttributes), notIn: values }).strict(),
  z.object({ attribute: z.enum(segmentAttributes), exists: z.boolean() }).strict(),
]);
export type SegmentCondition = z.infer<typeof segmentConditionSchema>;

/** At most this many explicit recipients: the list lives in the campaign item (400 KB). */
export const MAX_LIST_SIZE = 10_000;

export const audienceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }).strict(),
  z
    .object({
      kind: z.literal('segment'),
      /** `all`: every condition must hold; `any`: at least one. @default 'all' */
      match: z.enum(['all', 'any']).default('all'),
      conditions: z.array(segmentConditionSchema).min(1).max(20),
    })
    .strict(),
  z
    .object({
      kind: z.literal('list'),
      contactIds: z.array(z.string().min(1).max(100)).max(MAX_LIST_SIZE).optional(),
      /** Addresses are turned into contact ids (the id derives from the lower-cased address). */
      emails: z.array(z.email().max(254)).max(MAX_LIST_SIZE).optional(),
    })
    .strict()
    .refine((l) => (l.contactIds?.length ?? 0) + (l.emails?.length ?? 0) > 0, 'a list audience names at least one contact id or email')
    .refine(
      (l) => (l.contactIds?.length ?? 0) + (l.emails?.length ?? 0) <= MAX_LIST_SIZE,
      `a list audience names at most ${MAX_LIST_SIZE} recipients; use a segment for more`,
    ),
]);
export type AudienceInput = z.input<typeof audienceSchema>;

/** The stored form: a list holds contact ids only, each once, in the order given. */
export type Audience =
  | { kind: 'all' }
  | { kind: 'segment'; match: 'all' | 'any'; conditions: SegmentCondition[] }
  | { kind: 'list'; contactIds: string[] };

/** `idOf` maps each (normalised) email of a list to its contact id (lib/contacts/contact-ids.ts). */
export function normaliseAudience(input: z.output<typeof audienceSchema>, idOf: Map<string, string> = new Map()): Audience {
  if (input.kind !== 'list') return input;
  const idFor = (email: string) => {
    const id = idOf.get(normaliseEmail(email));
    if (!id) throw new Error(`no contact id resolved for an email of the list`);
    return id;
  };
  const ids = [...(input.contactIds ?? []), ...(input.emails ?? []).map(idFor)];
  return { kind: 'list', contactIds: [...new Set(ids)] };
}

function attributeValues(contact: Contact, attribute: SegmentAttribute): string[] {
  if (attribute === 'emailDomain') return [emailDomainOf(contact.email)];
  const value = contact[attribute];
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [String(value)]).map((v) => v.toLowerCase());
}

function holds(contact: Contact, condition: SegmentCondition): boolean {
  const have = attributeValues(contact, condition.attribute);
  if ('exists' in condition) return condition.exists === have.length > 0;
  if ('in' in condition) return condition.in.some((v) => have.includes(v.toLowerCase()));
  return !condition.notIn.some((v) => have.includes(v.toLowerCase()));
}

/** Whether a contact belongs to the audience (before exclusions). */
export function inAudience(contact: Contact, audience: Audience): boolean {
  if (audience.kind === 'all') return true;
  if (audience.kind === 'list') return audience.contactIds.includes(contact.contactId);
  return audience.match === 'all'
    ? audience.conditions.every((c) => holds(contact, c))
    : audience.conditions.some((c) => holds(contact, c));
}

/** Why a member of the audience is not mailed; `not-found` is a listed id with no contact (never imported, or erased). */
export const exclusionReasons = ['unsubscribed', 'bounced', 'complained', 'erased', 'no-consent', 'not-found'] as const;
export type ExclusionReason = (typeof exclusionReasons)[number];
export type ExclusionCounts = Partial<Record<ExclusionReason, number>>;

/** Why a contact may not be mailed, or undefined when it may. Suppression outranks missing consent. */
export function exclusionReason(contact: Contact | undefined): ExclusionReason | undefined {
  if (!contact) return 'not-found';
  if (contact.suppressed) return contact.suppressed satisfies SuppressionReason;
  if (!contact.consent) return 'no-consent';
  return undefined;
}

export function addCounts(a: ExclusionCounts, b: ExclusionCounts): ExclusionCounts {
  const out: ExclusionCounts = { ...a };
  for (const [k, v] of Object.entries(b) as [ExclusionReason, number][]) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** "312 unsubscribed, 41 bounced": for people (CLI, reports). */
export function describeExclusions(counts: ExclusionCounts): string {
  const parts = exclusionReasons.filter((r) => counts[r]).map((r) => `${counts[r]} ${r}`);
  return parts.length ? parts.join(', ') : 'none';
}
