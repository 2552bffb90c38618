import { z } from 'zod';
import { putRoutingQuerySchema } from '../../../lib/qualification/manage-routing';
import { routingRulesSchema } from '../../../lib/qualification/routing';
import { defineRoute, type Route } from '../contract';
import { isoTime } from './common';

/** Routing: who gets new MQLs (contact owner, territories with round-robin teams, default inbox). */

export const routingSchema = z
  .looseObject({
    rules: routingRulesSchema,
    revision: z.number().int(),
    updatedAt: isoTime.nullable(),
    fallbackInbox: z.string().optional(),
  })
  .meta({ id: 'Routing' });

export const routingRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/routing',
    operationId: 'getRouting',
    summary: 'Who gets new MQLs: contact owner, territories with round-robin teams, default inbox',
    tags: ['leads'],
    responses: { 200: { description: 'The routing rules.', schema: routingSchema } },
    handle: async ({ app }) => ({ status: 200, body: await app.getRouting() }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/routing',
    operationId: 'putRouting',
    summary: 'Replace the routing rules',
    tags: ['leads'],
    query: putRoutingQuerySchema,
    body: { json: routingRulesSchema },
    responses: { 200: { description: 'The rules at their new revision.', schema: routingSchema } },
    errors: [409],
    handle: async ({ app, query, body }) => ({ status: 200, body: await app.putRouting(body, query) }),
  }),
];
