import { z } from 'zod';
import { defineRoute, type Route } from '../contract';
import { contactIdParams, idPattern } from './common';

/** Why a contact is not an MQL (lib/qualification/explain.ts): `mql lead get` shows it when there is no lead. */

const tally = z.object({
  human: z.number().int(),
  machine: z
    .record(z.string(), z.number().int())
    .meta({ description: 'Per machine-activity rule: too-fast, scanner-agent, privacy-proxy, link-burst.' }),
});
const campaignExplanationSchema = z
  .object({
    campaignId: z.string(),
    criteriaId: z.string().optional(),
    criteriaVersion: z.number().int().optional(),
    fit: z
      .object({
        passed: z.boolean(),
        score: z.number(),
        threshold: z.number(),
        failedRequired: z.array(z.string()),
        excludedBy: z.string().optional(),
      })
      .optional(),
    engagement: z.object({ score: z.number(), threshold: z.number() }).optional(),
    opens: tally,
    clicks: tally,
    why: z.array(z.string()).meta({ description: 'The same in plain words.' }),
  })
  .strict();
export const leadExplanationSchema = z
  .object({ contactId: z.string(), campaigns: z.array(campaignExplanationSchema) })
  .strict()
  .meta({ id: 'LeadExplanation' });

const explanationQuery = z
  .object({ campaignId: z.string().regex(idPattern).optional().meta({ description: 'Only this campaign (default: the 20 newest).' }) })
  .strict();

export const leadExplanationRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/leads/{contactId}/explanation',
    operationId: 'explainLead',
    summary: 'Why a contact is or is not an MQL: fit, score against threshold, machine activity by rule, per campaign',
    tags: ['leads'],
    params: contactIdParams,
    query: explanationQuery,
    responses: { 200: { description: 'Per campaign that mailed the contact.', schema: leadExplanationSchema } },
    errors: [404],
    handle: async ({ app, params, query }) => ({ status: 200, body: await app.explainLead(params.contactId, query.campaignId) }),
  }),
];
