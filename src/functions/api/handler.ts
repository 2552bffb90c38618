import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { App } from '../../app';
import { DomainError } from '../../lib/errors';
import { importRequestSchema } from '../../lib/use-cases/contacts';
import { logger } from '../observability';
import { Router } from './router';

/** Request bodies above this are refused with 413 before parsing. @default 1 MiB */
export const MAX_BODY_BYTES = 1024 * 1024;

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

export const errorResponse = (statusCode: number, code: string, message: string, details?: unknown) =>
  json(statusCode, { error: { code, message, details: details ?? [] } });

const statusOf: Record<string, number> = {
  VALIDATION_FAILED: 422,
  NOT_FOUND: 404,
  CONFLICT: 409,
  CONCURRENT_UPDATE: 409,
  TRANSIENT_DEPENDENCY: 503,
};

const page = (title: string, message: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode: 200,
  headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  body: `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title><body style="font-family:system-ui;max-width:32rem;margin:3rem auto;padding:0 1rem"><h1>${title}</h1><p>${message}</p></body>`,
});

function routes(app: App): Router {
  return new Router()
    .on('POST', '/contacts/import', async ({ body }) => {
      const parsed = importRequestSchema.safeParse(body);
      if (!parsed.success) return errorResponse(400, 'BAD_REQUEST', 'body must be { "contacts": [ … ] }', issues(parsed.error.issues));
      return json(200, await app.importContacts(parsed.data.contacts));
    })
    .on('GET', '/contacts/{contactId}', async ({ params }) => {
      const contact = await app.adapters.contacts.get(params.contactId!);
      return contact ? json(200, contact) : errorResponse(404, 'NOT_FOUND', `contact ${params.contactId} does not exist`);
    })
    .on('POST', '/profiles', async ({ body }) => json(201, await app.createProfile(body)))
    .on('GET', '/profiles/{profileId}', async ({ params }) => {
      const profile = await app.adapters.profiles.get(params.profileId!);
      return profile ? json(200, profile) : errorResponse(404, 'NOT_FOUND', `profile ${params.profileId} does not exist`);
    })
    .on('POST', '/campaigns', async ({ body }) => json(201, await app.createCampaign(body)))
    .on('GET', '/campaigns', async ({ event }) => json(200, await app.adapters.campaigns.list(event.queryStringParameters?.cursor)))
    .on('GET', '/campaigns/{campaignId}', async ({ params }) => {
      const campaign = await app.adapters.campaigns.get(params.campaignId!);
      return campaign ? json(200, campaign) : errorResponse(404, 'NOT_FOUND', `campaign ${params.campaignId} does not exist`);
    })
    .on('POST', '/campaigns/{campaignId}/send', async ({ params }) => {
      const { campaign, started } = await app.startSend(params.campaignId!);
      return json(202, { campaignId: campaign.campaignId, status: campaign.status, started });
    })
    .on('GET', '/campaigns/{campaignId}/stats', async ({ params }) => json(200, await app.campaignStats(params.campaignId!)))
    .on('GET', '/campaigns/{campaignId}/leads', async ({ params, event }) =>
      json(200, await app.adapters.leads.listByCampaign(params.campaignId!, event.queryStringParameters?.cursor)),
    )
    .on('POST', '/campaigns/{campaignId}/reports', async ({ params }) => {
      const { campaignId, generatedAt, keys, urls } = await app.writeCampaignReport(params.campaignId!);
      return json(201, { campaignId, generatedAt, keys, urls });
    })
    // RFC 8058: the mailbox provider POSTs `List-Unsubscribe=One-Click`; a person's browser GETs.
    // Both unsubscribe at once and are idempotent; the token is HMAC-signed.
    .on('POST', '/u/{token}', async ({ params }) => {
      await app.unsubscribe(params.token!);
      return json(200, { unsubscribed: true });
    })
    .on('GET', '/u/{token}', async ({ params }) => {
      await app.unsubscribe(params.token!);
      return page('You are unsubscribed', 'You will not receive further campaign emails from us.');
    });
}

function issues(list: { path: PropertyKey[]; message: string }[]) {
  return list.map((i) => ({ path: i.path.map(String), message: i.message }));
}

/** Builds the HTTP API handler (API Gateway HTTP API, payload 2.0) around an application. */
export function makeApiHandler(app: App) {
  const router = routes(app);
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext.http.method.toUpperCase();
    const path = event.rawPath.replace(/\/+$/, '') || '/';
    const match = router.match(method, path);
    if (match === 'not-found') return errorResponse(404, 'NOT_FOUND', `no route for ${path}`);
    if (match === 'method-not-allowed') return errorResponse(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);

    const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : undefined;
    if (raw && Buffer.byteLength(raw) > MAX_BODY_BYTES) {
      return errorResponse(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    let body: unknown;
    if (method === 'POST' && !path.startsWith('/u/') && !path.endsWith('/send') && !path.endsWith('/reports')) {
      if (!raw?.trim()) return errorResponse(400, 'BAD_REQUEST', 'request body is empty; expected JSON');
      try {
        body = JSON.parse(raw);
      } catch (error) {
        return errorResponse(400, 'MALFORMED_JSON', `request body is not valid JSON: ${(error as Error).message}`);
      }
    }
    try {
      return await match.handler({ params: match.params, body, event });
    } catch (error) {
      if (error instanceof DomainError) {
        const details = Array.isArray(error.details) ? issues(error.details as { path: PropertyKey[]; message: string }[]) : error.details;
        return errorResponse(statusOf[error.code] ?? 400, error.code, error.message, details);
      }
      logger.error('unhandled API error', { path, method, error: error as Error });
      return errorResponse(500, 'INTERNAL', 'internal error; see the function logs');
    }
  };
}
