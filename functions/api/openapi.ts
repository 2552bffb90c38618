import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import type { Route } from './contract';
import packageJson from '../../package.json';
import { errorResponse } from './error-responses';
import { componentSchemas, routes } from './routes';

/**
 * The OpenAPI 3.1 document, generated from the route table's zod schemas (never written by hand).
 * Served at `GET /openapi.json` and committed as docs/openapi.json (`npm run openapi`); a test
 * proves the two are equal and that the document validates against the OpenAPI 3.1 schema.
 */

function operation(route: Route): ZodOpenApiOperationObject {
  const statuses = new Set([400, 500, ...(route.body ? [413, 415, 422] : []), ...(route.errors ?? [])]);
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    responses[status as `2${string}`] = {
      description: spec.description,
      content: spec.html
        ? { 'text/html': { schema: { type: 'string' } } }
        : spec.schema
          ? { 'application/json': { schema: spec.schema } }
          : undefined,
    };
  }
  for (const status of [...statuses].sort()) responses[`${status}` as `4${string}`] = errorResponse(status);
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: route.tags,
    ...(route.public ? { security: [] } : {}),
    requestParams: {
      ...(route.params ? { path: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(route.headers ? { header: route.headers } : {}),
    },
    ...(route.body
      ? {
          requestBody: {
            required: true,
            ...(route.body.description ? { description: route.body.description } : {}),
            content: {
              'application/json': { schema: route.body.json },
              ...(route.body.csv ? { 'text/csv': { schema: { type: 'string', description: route.body.csv.description } } } : {}),
            },
          },
        }
      : {}),
    responses,
  };
}

export function buildOpenApiDocument(table: Route[] = routes, version = packageJson.version) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of table) {
    paths[route.path] ??= {};
    const item = paths[route.path]!;
    (item as Record<string, ZodOpenApiOperationObject>)[route.method.toLowerCase()] = operation(route);
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'mql-pipeline API',
      version,
      description:
        'Marketers import contacts, define ideal customer profiles, create and send campaigns, and read live figures and MQLs. JSON over HTTP; every error is `{ "error": { "code", "message", "details" } }`. On AWS every operation but the unsubscribe link requires IAM (SigV4) authorization; locally the API listens on 127.0.0.1 only.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'npm start (local, no authorization)' }],
    security: [{ sigv4: [] }],
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description:
            'AWS Signature Version 4 (service `execute-api`), from the standard AWS credential chain; the mql CLI signs for you.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
      schemas: componentSchemas,
    },
    paths,
  });
}

let cached: ReturnType<typeof buildOpenApiDocument> | undefined;
/** The document, built once per process. */
export function openApiDocument() {
  cached ??= buildOpenApiDocument();
  return cached;
}
