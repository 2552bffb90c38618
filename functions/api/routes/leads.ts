import { z } from 'zod';
import { leadStages } from '../../../lib/qualification/lead';
import { feedbackRequestSchema } from '../../../lib/qualification/stages';
import { leadQueueQuerySchema } from '../../../lib/qualification/lead-queue';
import { defineRoute, type Route } from '../contract';
import { contactIdParams, idPattern, isoTime, page } from './common';

/**
 * Leads (docs/qualification.md): a contact's lead and its history, sales feedback, MQL → SQL rates.
 * Answers are loose objects: the documented fields are listed, and fields added later do not break
 * a client.
 */

/** A lead as a campaign's page and a contact's export show it. */
export const leadSchema = z
  .looseObject({
    leadId: z.string(),
    contactId: z.string(),
    campaignId: z
      .string()
      .optional()
      .meta({ description: 'Absent when an engagement event posted through the API qualified the contact.' }),
    criteriaId: z.string().optional(),
    criteriaVersion: z.number().int().optional(),
    profileId: z.string(),
    profileVersion: z.number().int(),
    qualifiedAt: isoTime,
    reasons: z.array(z.string()),
    stage: z.string(),
    owner: z.string(),
    erasedAt: isoTime.optional(),
  })
  .meta({ id: 'Lead' });

export const leadPageSchema = page(leadSchema, 'LeadPage');

const scores = {
  fit: z.looseObject({
    score: z.number(),
    threshold: z.number(),
    matched: z.array(z.looseObject({ rule: z.string(), points: z.number(), reason: z.string() })),
  }),
  engagement: z.looseObject({
    score: z.number(),
    threshold: z.number(),
    contributions: z.array(z.looseObject({ key: z.string(), at: isoTime, what: z.string(), points: z.number(), worth: z.number() })),
  }),
};
/** A lead with its scores, stages and routing: what qualification and sales feedback answer. */
export const qualifiedLeadSchema = z
  .looseObject({
    leadId: z.string(),
    contactId: z.string(),
    lifecycle: z.number().int(),
    campaignId: z.string().optional(),
    criteriaId: z.string(),
    criteriaVersion: z.number().int(),
    qualifiedAt: isoTime,
    reasons: z.array(z.string()),
    ...scores,
    handRaiser: z.boolean(),
    trigger: z.looseObject({ kind: z.enum(['click', 'open', 'event']), at: isoTime }),
    stage: z.enum(leadStages),
    stageHistory: z.array(z.looseObject({ stage: z.enum(leadStages), at: isoTime })),
    rejectionReason: z.string().optional(),
    owner: z.string(),
    routedBy: z.string(),
  })
  .meta({ id: 'QualifiedLead' });

export const leadWithHistorySchema = z
  .looseObject({
    lead: qualifiedLeadSchema,
    history: z.array(
      z.looseObject({ key: z.string(), kind: z.enum(['click', 'open', 'event']), at: isoTime, afterQualification: z.boolean() }),
    ),
  })
  .meta({ id: 'LeadWithHistory' });
export const feedbackResultSchema = z
  .looseObject({
    lead: qualifiedLeadSchema,
    changed: z.boolean().meta({ description: 'False when the lead was already there (a repeated request).' }),
  })
  .meta({ id: 'FeedbackResult' });

const rateRow = {
  mqls: z.number().int(),
  accepted: z.number().int().meta({ description: 'Reached SAL (an old `sql` without a SAL entry counts, accepted at that moment).' }),
  qualified: z.number().int().meta({ description: 'Reached SQL.' }),
  rejected: z.number().int(),
  recycled: z.number().int(),
  open: z.number().int().meta({ description: 'At MQL now, waiting for sales.' }),
  historical: z.number().int().meta({ description: 'Qualified outside the freshness window: counted, never alerted.' }),
  mqlToSal: z.number().nullable(),
  salToSql: z.number().nullable(),
  mqlToSql: z.number().nullable(),
  rate: z.number().nullable().meta({ description: 'MQL → SQL under its old name.' }),
  medianHoursIn: z.looseObject({ mql: z.number().nullable(), sal: z.number().nullable() }),
};
export const qualificationRatesSchema = z
  .looseObject({
    campaignIds: z.array(z.string()),
    total: z.looseObject(rateRow),
    byCampaign: z.array(z.looseObject({ campaignId: z.string(), ...rateRow })),
    byCriteriaVersion: z.array(z.looseObject({ criteriaId: z.string(), version: z.number().int(), ...rateRow })),
    byRejectionReason: z.array(z.looseObject({ reason: z.string(), count: z.number().int(), share: z.number() })),
  })
  .meta({ id: 'QualificationRates' });

const ratesQuery = z
  .object({
    campaignIds: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(idPattern)).min(1).max(100))
      .meta({ description: 'Comma-separated campaign ids (1–100).' }),
  })
  .strict();

export const leadRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/leads',
    operationId: 'listLeads',
    summary: "Sales's queue: a campaign's leads, by stage, owner and overdue",
    description:
      "Reads the campaign's MQL list (every lifecycle) a page at a time; filters apply to each page read, so follow `cursor` until it is absent.",
    tags: ['leads'],
    query: leadQueueQuerySchema,
    responses: { 200: { description: 'A page of leads.', schema: leadPageSchema } },
    handle: async ({ app, query }) => ({ status: 200, body: await app.listLeadQueue(query) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/leads/{contactId}',
    operationId: 'getLead',
    summary: "A contact's current lead and its history (every scored activity)",
    tags: ['leads'],
    params: contactIdParams,
    responses: { 200: { description: 'The lead and its history.', schema: leadWithHistorySchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.getLead(params.contactId) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/leads/{contactId}/feedback',
    operationId: 'giveLeadFeedback',
    summary: 'Sales feedback: accept (SAL), qualify (SQL), reject with a reason, recycle, later stages, reopen',
    description:
      'Stages move forward only (mql → sal → sql → meeting → proposal → won or lost); going back needs `reopen`. Repeating what is already true changes nothing.',
    tags: ['leads'],
    params: contactIdParams,
    body: { json: feedbackRequestSchema },
    responses: { 200: { description: 'The lead after the feedback.', schema: feedbackResultSchema } },
    errors: [404, 409],
    handle: async ({ app, params, body }) => ({ status: 200, body: await app.leadFeedback(params.contactId, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/qualification/rates',
    operationId: 'getQualificationRates',
    summary: 'MQL → SAL → SQL rates and time in stage of campaigns, per campaign, criteria version and rejection reason',
    tags: ['leads'],
    query: ratesQuery,
    responses: { 200: { description: 'The rates.', schema: qualificationRatesSchema } },
    handle: async ({ app, query }) => ({ status: 200, body: await app.qualificationRates(query.campaignIds) }),
  }),
];
