import { z } from 'zod';
import { backtestRequestSchema } from '../../../lib/qualification/backtest';
import { criteriaDocumentSchema } from '../../../lib/qualification/criteria';
import { editDraftQuerySchema } from '../../../lib/qualification/manage-criteria';
import { defineRoute, type Route } from '../contract';
import { cursorQuery, idPattern, isoTime, page } from './common';

/**
 * Qualification criteria (docs/qualification.md): drafts and immutable versions, and backtests.
 * Answers are loose objects: the documented fields are listed, and fields added later do not break
 * a client.
 */

const criteriaIdParams = z.object({
  criteriaId: z.string().regex(idPattern, 'must be a criteria id such as crit_… or icp_…').meta({ description: 'The criteria set id.' }),
});

const criteriaDocumentOut = z
  .record(z.string(), z.unknown())
  .meta({ description: 'A criteria document (the request schema CriteriaInput, defaults filled in).' });
export const criteriaDraftSchema = z
  .looseObject({
    criteriaId: z.string(),
    document: criteriaDocumentOut,
    revision: z.number().int(),
    publishedRevision: z.number().int().optional(),
    latestVersion: z.number().int().optional(),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'CriteriaDraft' });
export const criteriaDraftPageSchema = page(criteriaDraftSchema, 'CriteriaDraftPage');
export const criteriaVersionSchema = z
  .looseObject({
    criteriaId: z.string(),
    version: z.number().int(),
    document: criteriaDocumentOut,
    fromRevision: z.number().int(),
    publishedAt: isoTime,
  })
  .meta({ id: 'CriteriaVersion' });
export const criteriaSummarySchema = z
  .looseObject({
    criteriaId: z.string(),
    isDefault: z.boolean(),
    draft: z.looseObject({
      revision: z.number().int(),
      updatedAt: isoTime,
      unpublishedChanges: z.boolean(),
      document: criteriaDocumentOut,
    }),
    latestVersion: z.number().int().nullable(),
    versions: z.array(z.looseObject({ version: z.number().int(), publishedAt: isoTime, name: z.string() })),
  })
  .meta({ id: 'CriteriaSummary' });
export const criteriaVersionListSchema = z
  .looseObject({ criteriaId: z.string(), items: z.array(criteriaVersionSchema) })
  .meta({ id: 'CriteriaVersionList' });
export const publishResultSchema = z
  .looseObject({
    version: criteriaVersionSchema,
    published: z.boolean().meta({ description: 'False when the draft had not changed since its last publication.' }),
    isDefault: z.boolean(),
  })
  .meta({ id: 'PublishResult' });

const backtestRow = {
  delivered: z.number().int(),
  engagedContacts: z.number().int(),
  wouldQualify: z.number().int(),
  handRaisers: z.number().int(),
  mqlsToday: z.number().int(),
  acceptedBySales: z.number().int(),
  currentMqls: z.number().int(),
};
export const backtestResultSchema = z
  .looseObject({
    criteriaId: z.string(),
    version: z.union([z.literal('draft'), z.number().int()]),
    evaluatedAt: isoTime,
    campaigns: z.array(z.looseObject({ campaignId: z.string(), name: z.string(), ...backtestRow })),
    totals: z.looseObject(backtestRow),
    forecast: z
      .looseObject({
        monthlyTarget: z.number().int(),
        mqlsPerDelivered: z.number().nullable(),
        monthlyVolume: z.number().nullable(),
        volumeSource: z.enum(['given', 'last-30-days', 'unknown']),
        projectedMqlsPerMonth: z.number().nullable(),
        enough: z.boolean().nullable(),
        volumeNeeded: z.number().int().nullable(),
      })
      .optional(),
  })
  .meta({ id: 'BacktestResult' });

export const criteriaRoutes: Route[] = [
  defineRoute({
    method: 'POST',
    path: '/criteria',
    operationId: 'createCriteria',
    summary: 'Create a criteria set; the body becomes its draft',
    description:
      'The criteria language: fit rules (equals, in, range, pattern, exists; weights; required), exclusions, engagement points (clicks, opens, link intents, engagement events), decay, thresholds and the hand-raiser fast track. Publish the draft to use it.',
    tags: ['qualification'],
    body: { json: criteriaDocumentSchema },
    responses: { 201: { description: 'The new set, its draft at revision 1.', schema: criteriaDraftSchema } },
    handle: async ({ app, body }) => ({ status: 201, body: await app.createCriteria(body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/criteria',
    operationId: 'listCriteria',
    summary: 'List criteria sets, newest first',
    tags: ['qualification'],
    query: cursorQuery,
    responses: { 200: { description: 'A page of criteria sets (their drafts).', schema: criteriaDraftPageSchema } },
    handle: async ({ app, query }) => ({ status: 200, body: await app.listCriteria(query.cursor) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/criteria/{criteriaId}',
    operationId: 'getCriteria',
    summary: 'A criteria set: its draft and its published versions',
    tags: ['qualification'],
    params: criteriaIdParams,
    responses: { 200: { description: 'The set.', schema: criteriaSummarySchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.getCriteria(params.criteriaId) }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/criteria/{criteriaId}/draft',
    operationId: 'editCriteriaDraft',
    summary: 'Replace the draft (published versions never change)',
    description: 'With `revision`, only if the draft is still at that revision (409 otherwise: someone edited it since).',
    tags: ['qualification'],
    params: criteriaIdParams,
    query: editDraftQuerySchema,
    body: { json: criteriaDocumentSchema },
    responses: { 200: { description: 'The draft at its new revision.', schema: criteriaDraftSchema } },
    errors: [404, 409],
    handle: async ({ app, params, query, body }) => ({ status: 200, body: await app.editCriteriaDraft(params.criteriaId, body, query) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/criteria/{criteriaId}/publish',
    operationId: 'publishCriteria',
    summary: 'Publish the draft as the next immutable version',
    description:
      'A draft unchanged since its last publication answers that version (200, `published: false`): a retried publish never makes two. The first set published becomes the default (it evaluates engagement events posted with no campaign); `makeDefault=true` moves the default here. When the set requires approval (`approval.required` on the draft or the latest version), 409 until a marketing and a sales reviewer approved the current revision (`POST /criteria/{criteriaId}/approvals`).',
    tags: ['qualification'],
    params: criteriaIdParams,
    query: z
      .object({ makeDefault: z.enum(['true', 'false']).default('false').meta({ description: 'Make this the default set.' }) })
      .strict(),
    responses: {
      201: { description: 'Published a new version.', schema: publishResultSchema },
      200: { description: 'Nothing new to publish: the latest version.', schema: publishResultSchema },
    },
    errors: [404, 409],
    handle: async ({ app, params, query }) => {
      const result = await app.publishCriteria(params.criteriaId, { makeDefault: query.makeDefault === 'true' });
      return { status: result.published ? 201 : 200, body: result };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/criteria/{criteriaId}/versions',
    operationId: 'listCriteriaVersions',
    summary: 'Published versions of a criteria set, oldest first',
    tags: ['qualification'],
    params: criteriaIdParams,
    responses: { 200: { description: 'The versions.', schema: criteriaVersionListSchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.listCriteriaVersions(params.criteriaId) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/criteria/{criteriaId}/versions/{version}',
    operationId: 'getCriteriaVersion',
    summary: 'One published version',
    tags: ['qualification'],
    params: criteriaIdParams.extend({ version: z.coerce.number().int().positive().meta({ description: 'The version number (1, 2, …).' }) }),
    responses: { 200: { description: 'The version.', schema: criteriaVersionSchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.getCriteriaVersion(params.criteriaId, params.version) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/criteria/{criteriaId}/backtest',
    operationId: 'backtestCriteria',
    summary: 'Evaluate the draft (or a version) against recorded engagement of up to 20 campaigns',
    description:
      'Per campaign: the MQLs the criteria would have produced, hand-raisers among them, how many are MQLs today and how many sales accepted; with `monthlyTarget`, whether the sending volume produces it.',
    tags: ['qualification'],
    params: criteriaIdParams,
    body: { json: backtestRequestSchema },
    responses: { 200: { description: 'The backtest.', schema: backtestResultSchema } },
    errors: [404],
    handle: async ({ app, params, body }) => ({ status: 200, body: await app.backtestCriteria(params.criteriaId, body) }),
  }),
];
