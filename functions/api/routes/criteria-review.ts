import { z } from 'zod';
import { approveRequestSchema } from '../../../lib/qualification/approvals';
import { positiveInt } from '../../../lib/review/use-cases';
import { defineRoute, type Route } from '../contract';
import { idPattern, isoTime } from './common';
import { criteriaDraftSchema } from './criteria';
import { periodRequestSchema } from './reports';

/**
 * The quarterly criteria review (docs/qualification.md, "The quarterly review"): the review on
 * demand, its suggestions, a suggestion made a draft, and both sides' approvals. Answers are loose
 * objects: the documented fields are listed, fields added later do not break a client.
 */

const criteriaIdParams = z.object({
  criteriaId: z.string().regex(idPattern, 'must be a criteria id such as crit_… or icp_…').meta({ description: 'The criteria set id.' }),
});
const interval = z.object({ low: z.number(), high: z.number() }).nullable();
const approvalSchema = z
  .looseObject({ side: z.enum(['marketing', 'sales']), by: z.string(), at: isoTime, revision: z.number().int() })
  .meta({ id: 'CriteriaApproval' });
const suggestionSchema = z
  .looseObject({
    n: z.number().int().meta({ description: 'Pass to `…/suggestions/{n}/draft` (or `mql criteria suggest --draft N`).' }),
    title: z.string(),
    edit: z
      .record(z.string(), z.unknown())
      .meta({ description: '`exclude` (attribute, value), `weight` (intent or event, from, to, threshold) or `threshold` (from, to).' }),
    evidence: z.looseObject({
      dimension: z.string(),
      value: z.string(),
      n: z.number().int(),
      lift: z.number().nullable(),
      liftInterval: interval,
    }),
    backtest: z.looseObject({
      before: z.looseObject({ mqls: z.number().int(), mqlsPerMonth: z.number(), acceptanceRate: z.number().nullable() }),
      after: z.looseObject({ mqls: z.number().int(), mqlsPerMonth: z.number(), acceptanceRate: z.number().nullable() }),
      acceptedKept: z.looseObject({ count: z.number().int(), of: z.number().int(), share: z.number().nullable() }),
      rejectedDropped: z.looseObject({ count: z.number().int(), of: z.number().int(), share: z.number().nullable() }),
    }),
  })
  .meta({ id: 'CriteriaSuggestion' });
const reviewKeys = z.object({ json: z.string(), html: z.string(), csv: z.string(), latest: z.string() });
const writtenReviewSchema = z
  .looseObject({
    criteriaId: z.string(),
    period: z.object({ from: z.string(), to: z.string() }),
    generatedAt: isoTime,
    keys: reviewKeys.meta({ description: 'S3 object keys under reports/reviews/, date-stamped.' }),
    urls: reviewKeys.meta({ description: 'The same objects as URLs a person can open (presigned on AWS).' }),
    urlsExpireAt: isoTime.nullable(),
    review: z
      .record(z.string(), z.unknown())
      .meta({ description: 'The review itself (review.json): versions, groups, suggestions, caveats.' }),
  })
  .meta({ id: 'CriteriaReviewLocation' });
const suggestionsSchema = z
  .looseObject({
    criteriaId: z.string(),
    period: z.object({ from: z.string(), to: z.string() }),
    minSample: z.number().int(),
    latestVersion: z.number().int().nullable(),
    suggestions: z.array(suggestionSchema),
  })
  .meta({ id: 'CriteriaSuggestions' });

export const criteriaReviewRoutes: Route[] = [
  defineRoute({
    method: 'POST',
    path: '/criteria/{criteriaId}/reviews',
    operationId: 'writeCriteriaReview',
    summary: 'Write the criteria review of a period (JSON, CSV, HTML) to S3',
    description:
      'Per criteria version in use: MQLs, MQL → SAL, SAL → SQL, rejection reasons, speed-to-lead; per fit value and activity kind: leads, acceptance rate, lift with a 95 % Wilson interval, n; and backtested suggestions. The leads are those of campaigns sent in the period.',
    tags: ['qualification'],
    params: criteriaIdParams,
    body: { json: periodRequestSchema },
    responses: { 201: { description: 'Written; the URLs work now.', schema: writtenReviewSchema } },
    errors: [404, 422],
    handle: async ({ app, params, body }) => ({ status: 201, body: await app.writeCriteriaReview(params.criteriaId, body) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/criteria/{criteriaId}/suggestions',
    operationId: 'suggestCriteriaChanges',
    summary: "Suggested edits of the latest version in use, from sales's feedback in a period, each backtested",
    description:
      'Only where the evidence holds: at least 30 decided leads in the group and a 95 % interval of the lift that excludes 1. Nothing is applied; writes nothing.',
    tags: ['qualification'],
    params: criteriaIdParams,
    body: { json: periodRequestSchema },
    responses: { 200: { description: 'The suggestions (possibly none).', schema: suggestionsSchema } },
    errors: [404, 422],
    handle: async ({ app, params, body }) => ({ status: 200, body: await app.suggestCriteriaChanges(params.criteriaId, body) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/criteria/{criteriaId}/suggestions/{n}/draft',
    operationId: 'draftCriteriaSuggestion',
    summary: "Apply suggestion n of the period's review to the draft (never published here)",
    tags: ['qualification'],
    params: criteriaIdParams.extend({ n: positiveInt.meta({ description: 'The suggestion number (1, 2, …).' }) }),
    body: { json: periodRequestSchema },
    responses: {
      200: {
        description: 'The suggestion and the draft at its new revision.',
        schema: z.looseObject({ suggestion: suggestionSchema, draft: criteriaDraftSchema }).meta({ id: 'DraftedSuggestion' }),
      },
    },
    errors: [404, 409, 422],
    handle: async ({ app, params, body }) => ({ status: 200, body: await app.draftSuggestion(params.criteriaId, body, params.n) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/criteria/{criteriaId}/approvals',
    operationId: 'approveCriteria',
    summary: "Marketing's or sales's approval of a draft revision",
    description:
      'A set whose draft (or latest version) has `approval.required` publishes only once both sides approved the current revision (409 otherwise); an edit needs new approvals. The two sides need two reviewers.',
    tags: ['qualification'],
    params: criteriaIdParams,
    body: { json: approveRequestSchema },
    responses: {
      200: {
        description: 'The approvals of the current revision, and the sides still missing.',
        schema: z
          .looseObject({
            criteriaId: z.string(),
            revision: z.number().int(),
            approvals: z.array(approvalSchema),
            missing: z.array(z.enum(['marketing', 'sales'])),
          })
          .meta({ id: 'CriteriaApprovals' }),
      },
    },
    errors: [404, 409, 422],
    handle: async ({ app, params, body }) => ({ status: 200, body: await app.approveCriteria(params.criteriaId, body) }),
  }),
];
