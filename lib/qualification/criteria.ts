import { RE2JS } from 're2js';
import { z } from 'zod';
import { ageBands, companySizes, seniorities } from '../contacts/contact';
import type { ProfileInput } from './profile';

/**
 * The criteria language: a JSON document, validated by these zod schemas, that decides who is a
 * marketing-qualified lead. Fit (who they are) and engagement (what they did) are scored apart, as
 * Pardot's grade and score or HubSpot's fit and engagement. Semantics: docs/qualification.md.
 */

/** Contact attributes a rule may test. `emailDomain` is derived from `email` (lower-cased). */
export const criteriaAttributes = [
  'email',
  'emailDomain',
  'company',
  'industry',
  'companySize',
  'country',
  'region',
  'role',
  'seniority',
  'ageBand',
  'incomeBand',
  'interests',
  'contactMe',
  'owner',
  'consent',
] as const;
export type CriteriaAttribute = (typeof criteriaAttributes)[number];

/** Attributes whose values are ordered bands, so `range` can compare them. */
export const orderedBands: Partial<Record<CriteriaAttribute, readonly string[]>> = {
  companySize: companySizes,
  seniority: seniorities,
  ageBand: ageBands,
};

const attribute = z.enum(criteriaAttributes);
const MAX_PATTERN = 200;

const equalsCondition = z
  .object({ attribute, op: z.literal('equals'), value: z.union([z.string().min(1).max(200), z.boolean()]) })
  .strict();
const inCondition = z.object({ attribute, op: z.literal('in'), values: z.array(z.string().min(1).max(200)).min(1).max(500) }).strict();
const rangeCondition = z
  .object({ attribute, op: z.literal('range'), min: z.string().optional(), max: z.string().optional() })
  .strict()
  .superRefine((c, ctx) => {
    const bands = orderedBands[c.attribute];
    if (!bands) {
      ctx.addIssue({
        code: 'custom',
        path: ['attribute'],
        message: `range needs an ordered attribute (${Object.keys(orderedBands).join(', ')})`,
      });
      return;
    }
    if (c.min === undefined && c.max === undefined)
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'range needs min, max or both' });
    for (const key of ['min', 'max'] as const) {
      const v = c[key];
      if (v !== undefined && !bands.includes(v))
        ctx.addIssue({ code: 'custom', path: [key], message: `${v} is not one of ${bands.join(', ')}` });
    }
    if (c.min && c.max && bands.indexOf(c.min) > bands.indexOf(c.max))
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'max is below min' });
  });
/**
 * A regular expression in RE2 syntax (re2js: linear-time matching, so a marketer's pattern can never
 * hang the engagement function the way a backtracking engine can).
 */
const patternCondition = z
  .object({ attribute, op: z.literal('pattern'), pattern: z.string().min(1).max(MAX_PATTERN), caseSensitive: z.boolean().default(false) })
  .strict()
  .superRefine((c, ctx) => {
    try {
      RE2JS.compile(c.pattern);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid RE2 pattern: ${(error as Error).message}` });
    }
  });
const existsCondition = z.object({ attribute, op: z.literal('exists'), value: z.boolean().default(true) }).strict();

export type Predicate =
  | z.infer<typeof equalsCondition>
  | z.infer<typeof inCondition>
  | z.infer<typeof rangeCondition>
  | z.infer<typeof patternCondition>
  | z.infer<typeof existsCondition>;
export type Condition = Predicate | { all: Condition[] } | { any: Condition[] } | { not: Condition };

const predicate = z.union([equalsCondition, inCondition, rangeCondition, patternCondition, existsCondition]);
export const conditionSchema: z.ZodType<Condition, unknown> = z.lazy(() =>
  z.union([
    predicate,
    z.object({ all: z.array(conditionSchema).min(1).max(20) }).strict(),
    z.object({ any: z.array(conditionSchema).min(1).max(20) }).strict(),
    z.object({ not: conditionSchema }).strict(),
  ]),
) as z.ZodType<Condition, unknown>;

/** Event and intent names: lower-case slugs such as `webinar-attended`, `pricing`. */
export const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _ (at most 63)');
const points = z.number().min(-1000).max(1000);

export const fitRuleSchema = z
  .object({
    name: z.string().min(1).max(100),
    when: conditionSchema,
    /** Added to the fit score when the rule matches; negative for a soft negative rule. @default 0 */
    points: points.default(0),
    /** A required rule that does not match fails fit whatever the score. @default false */
    required: z.boolean().default(false),
  })
  .strict();

/** A negative rule that disqualifies outright: competitors, personal addresses, students, excluded countries. */
export const exclusionSchema = z.object({ name: z.string().min(1).max(100), when: conditionSchema }).strict();

export const criteriaDocumentSchema = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    fit: z
      .object({
        rules: z.array(fitRuleSchema).max(100).default([]),
        /** Fit passes when no exclusion matches, every required rule matches and the score reaches this. @default 0 */
        threshold: points.default(0),
      })
      .strict()
      .default({ rules: [], threshold: 0 }),
    exclusions: z.array(exclusionSchema).max(100).default([]),
    engagement: z
      .object({
        /** Per link clicked by a person (once per link per campaign). @default 10 */
        humanClick: z.number().min(0).max(1000).default(10),
        /** For the first human open of a campaign. @default 0 */
        humanOpen: z.number().min(0).max(1000).default(0),
        /** Extra points for a click on a link tagged `intent:<name>` (SES link tags). */
        intents: z.record(slug, z.number().min(0).max(1000)).default({}),
        /** Points per engagement event posted through the API, by type (`webinar-attended` …). */
        events: z.record(slug, z.number().min(0).max(1000)).default({}),
        /** Engagement score at which a fitting contact qualifies. @default 10 */
        threshold: z.number().positive().max(100_000).default(10),
        /** Exponential decay: an activity is worth half after this many days. Absent: no decay. */
        decay: z
          .object({ halfLifeDays: z.number().positive().max(3650) })
          .strict()
          .optional(),
      })
      .strict()
      .default({ humanClick: 10, humanOpen: 0, intents: {}, events: {}, threshold: 10 }),
    /** Hand-raisers qualify on fit alone, without the engagement threshold. */
    handRaiser: z
      .object({
        /** A human click on a link tagged with one of these intents. @default ['contact-sales'] */
        intents: z.array(slug).max(50).default(['contact-sales']),
        /** An engagement event of one of these types posted through the API. */
        events: z.array(slug).max(50).default([]),
        /** Any human activity by a contact whose `contactMe` is true (a form's "contact me"). @default false */
        contactMe: z.boolean().default(false),
      })
      .strict()
      .default({ intents: ['contact-sales'], events: [], contactMe: false }),
    /** Days after sales rejected (or lost) a lead before the contact can qualify again. @default 90 */
    coolDownDays: z.number().int().min(0).max(3650).default(90),
    /**
     * Both sides sign: with `required`, a version publishes only once a marketing and a sales
     * reviewer approved the draft's revision (docs/qualification.md, "Approval").
     */
    approval: z.object({ required: z.boolean() }).strict().optional(),
  })
  .strict();

export type CriteriaDocument = z.infer<typeof criteriaDocumentSchema>;
export type CriteriaInput = z.input<typeof criteriaDocumentSchema>;
export type FitRule = CriteriaDocument['fit']['rules'][number];

/** The two sides that sign a criteria definition. */
export const approvalSides = ['marketing', 'sales'] as const;
export type ApprovalSide = (typeof approvalSides)[number];
/** One side's approval of one draft revision: who and when. */
export interface Approval {
  side: ApprovalSide;
  by: string;
  at: string;
  /** The draft revision approved: an edit after it needs a new approval. */
  revision: number;
}

/** A criteria set's editable draft. */
export interface CriteriaDraft {
  criteriaId: string;
  document: CriteriaDocument;
  /** Bumped by every edit; an edit may name the revision it started from (optimistic concurrency). */
  revision: number;
  /** The draft revision the latest version was published from. */
  publishedRevision?: number;
  latestVersion?: number;
  /** Approvals recorded on the draft, one per side (only those of the current revision count). */
  approvals?: Partial<Record<ApprovalSide, Approval>>;
  createdAt: string;
  updatedAt: string;
}

/** A published version: immutable. Every MQL records `criteriaId` and `version`. */
export interface CriteriaVersion {
  criteriaId: string;
  version: number;
  document: CriteriaDocument;
  /** The draft revision it was published from (a retried publish finds it and does not publish twice). */
  fromRevision: number;
  publishedAt: string;
  /** Who approved it and when, when the set required approval (or reviewers approved anyway). */
  approvals?: Approval[];
}

/**
 * The default criteria: the basic rule, "a human click by a contact who matches the profile is an
 * MQL". Each attribute a profile lists becomes a required fit rule; one human click scores the
 * threshold; opens score nothing; no decay.
 */
export function criteriaFromProfile(profile: ProfileInput): CriteriaDocument {
  const rules: CriteriaInput['fit'] = { rules: [], threshold: 0 };
  const add = (name: string, attr: CriteriaAttribute, values: readonly string[] | undefined) => {
    if (values?.length) rules.rules!.push({ name, when: { attribute: attr, op: 'in', values: [...values] }, required: true });
  };
  add('industry', 'industry', profile.industries);
  add('company size', 'companySize', profile.companySizes);
  add('country', 'country', profile.countries);
  add('seniority', 'seniority', profile.seniorities);
  return criteriaDocumentSchema.parse({ name: profile.name, fit: rules });
}
