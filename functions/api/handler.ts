import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { App } from '../../lib/app';
import { DomainError } from '../../lib/common/errors';
import { idempotencyKeySchema } from '../../lib/sending/send-control';
import { logger } from '../observability';
import { errorResult, issuesToDetails, jsonResult, readBody, RequestError, validatePart, type ErrorDetail, type Route } from './contract';
import { openApiDocument } from './openapi';
import { Router } from './router';
import { routes } from './routes';

export { MAX_BODY_BYTES } from './contract';

/** Domain errors know nothing of HTTP; this is where they get a status. */
const statusOf: Record<string, number> = {
  VALIDATION_FAILED: 422,
  INVALID_CURSOR: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  CONCURRENT_UPDATE: 409,
  TRANSIENT_DEPENDENCY: 503,
};

/** A domain error's details as the API's `details`: zod-like issues become entries in the body. */
function domainDetails(error: DomainError): ErrorDetail[] {
  if (!Array.isArray(error.details)) return [];
  return issuesToDetails(
    'body',
    (error.details as { path?: PropertyKey[]; message?: string }[]).map((d) => ({ path: d.path ?? [], message: d.message ?? String(d) })),
  );
}

const respond = (reply: Awaited<ReturnType<Route['handle']>>): APIGatewayProxyStructuredResultV2 =>
  'html' in reply
    ? {
        statusCode: reply.status,
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...reply.headers },
        body: reply.html,
      }
    : jsonResult(reply.status, reply.body, reply.headers);

/**
 * Builds the HTTP API handler (API Gateway HTTP API, payload 2.0) around an application: it finds
 * the route, validates path, query, headers and body with the route's schemas, calls the route's
 * use case and maps domain errors to statuses. Every error answer is `{ error: { code, message,
 * details } }`; nothing unexpected leaks (it is logged, without the body, and answered 500).
 */
export function makeApiHandler(app: App, table: Route[] = routes) {
  const router = new Router<Route>();
  for (const route of table) router.on(route.method, route.path, route);

  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext.http.method.toUpperCase();
    const path = event.rawPath.replace(/\/+$/, '') || '/';
    const match = router.match(method, path);
    if ('miss' in match) {
      return match.miss === 'not-found'
        ? errorResult(404, 'NOT_FOUND', `no route for ${path}; GET /openapi.json lists them`)
        : errorResult(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; allowed: ${match.allowed.join(', ')}`, [], {
            allow: match.allowed.join(', '),
          });
    }
    const route = match.value;
    return idempotently(app, route, event, () => dispatch(app, route, match.params, event));
  };
}

/** Runs the route: validates path, query, headers and body, calls the use case, maps errors to statuses. */
async function dispatch(
  app: App,
  route: Route,
  params: Record<string, string>,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const method = route.method;
  try {
    const body = readBody(route, event);
    const input = {
      params: route.params ? validatePart(route.params, params, 'path') : undefined,
      query: route.query ? validatePart(route.query, event.queryStringParameters ?? {}, 'query') : undefined,
      headers: route.headers ? validatePart(route.headers, event.headers ?? {}, 'header') : undefined,
      body:
        !route.body || !body
          ? undefined
          : body.type === 'csv'
            ? body
            : route.body.csv
              ? { type: 'json', data: validatePart(route.body.json, body.data, 'body') }
              : validatePart(route.body.json, body.data, 'body'),
      app,
      event,
      openApiDocument,
    };
    return respond(await route.handle(input as Parameters<Route['handle']>[0]));
  } catch (error) {
    if (error instanceof RequestError) return errorResult(error.status, error.code, error.message, error.details);
    if (error instanceof DomainError) return errorResult(statusOf[error.code] ?? 400, error.code, error.message, domainDetails(error));
    logger.error('unhandled API error', { operation: route.operationId, method, path: route.path, error: error as Error });
    return errorResult(500, 'INTERNAL', 'internal error; see the function logs');
  }
}

/**
 * Idempotency-Key on every POST and PATCH: routes that handle it themselves (the send) get it as a
 * header; every other such request runs once per key and body, and a repeat replays the first answer (with
 * `idempotent-replayed: true`). Never silently ignored: a malformed key, or a key where no store
 * is wired, is 400.
 */
async function idempotently(
  app: App,
  route: Route,
  event: APIGatewayProxyEventV2,
  run: () => Promise<APIGatewayProxyStructuredResultV2>,
): Promise<APIGatewayProxyStructuredResultV2> {
  const key = event.headers?.['idempotency-key'];
  const ownHandling = route.headers && 'idempotency-key' in route.headers.shape;
  if (key === undefined || (route.method !== 'POST' && route.method !== 'PATCH') || ownHandling) return run();
  if (!idempotencyKeySchema.safeParse(key).success || !app.idempotentRequest) {
    const why = app.idempotentRequest ? 'must be 1–255 printable ASCII characters' : 'is not supported by this deployment';
    return errorResult(400, 'BAD_REQUEST', `Idempotency-Key ${why}`, [{ in: 'header', path: ['Idempotency-Key'], message: why }]);
  }
  const fingerprint = createHash('sha256')
    .update(`${event.headers?.['content-type'] ?? ''}\n${event.body ?? ''}`)
    .digest('base64url');
  try {
    const answer = await app.idempotentRequest({ scope: `${route.method} ${event.rawPath}`, key, fingerprint }, async () => {
      const result = await run();
      return { status: result.statusCode ?? 200, body: result.body, headers: result.headers as Record<string, string> };
    });
    const headers = { ...answer.headers, ...(answer.replayed ? { 'idempotent-replayed': 'true' } : {}) };
    return { statusCode: answer.status, body: answer.body, headers };
  } catch (error) {
    if (error instanceof DomainError) return errorResult(statusOf[error.code] ?? 400, error.code, error.message, domainDetails(error));
    throw error;
  }
}
