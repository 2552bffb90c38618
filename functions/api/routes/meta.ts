import { z } from 'zod';
import { defineRoute, type Route } from '../contract';

/**
 * The API's description of itself. The document is built from the route table (openapi.ts), so
 * this route takes it from its input, given by the handler, rather than importing what is built
 * from it.
 */
export const metaRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This API as an OpenAPI 3.1 document',
    tags: ['meta'],
    responses: { 200: { description: 'The OpenAPI document (the same as docs/openapi.json).', schema: z.record(z.string(), z.unknown()) } },
    handle: async ({ openApiDocument }) => ({ status: 200, body: openApiDocument() }),
  }),
];
