import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request handler that serves what it recognises and returns false otherwise. */
export type ExtraRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

const textTypes = /^(application\/(json|x-www-form-urlencoded)|text\/)/;

type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Serves an API Gateway HTTP API (payload 2.0) handler on loopback: each request becomes the event
 * API Gateway would build, and the result becomes the response. Listens on 127.0.0.1 only.
 */
export async function startHttpApi(
  handler: ApiHandler,
  options: { port?: number; host?: string; maxBodyBytes?: number; extraRoutes?: ExtraRoute[] } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const server = createServer((req, res) => {
    for (const route of options.extraRoutes ?? []) if (route(req, res)) return;
    void readBodyUpTo(req, res, maxBody).then((raw) => raw && answer(handler, apiGatewayEvent(req, raw, host), res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The request body, or undefined once it passes `maxBody` bytes (answered 413, as API Gateway does). */
function readBodyUpTo(req: IncomingMessage, res: ServerResponse, maxBody: number) {
  return new Promise<Buffer | undefined>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody && !refused) {
        refused = true;
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'PAYLOAD_TOO_LARGE', message: `request body exceeds ${maxBody} bytes`, details: [] } }));
      }
      if (!refused) chunks.push(c);
    });
    req.on('end', () => resolve(refused ? undefined : Buffer.concat(chunks)));
  });
}

/** The payload 2.0 event API Gateway builds for this request. */
function apiGatewayEvent(req: IncomingMessage, raw: Buffer, host: string): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? host}`);
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : (v ?? '')]),
  );
  const isText = textTypes.test(headers['content-type'] ?? 'application/json');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: raw.length ? (isText ? raw.toString('utf8') : raw.toString('base64')) : undefined,
    isBase64Encoded: raw.length > 0 && !isText,
  };
}

/** Runs the handler and writes its result; a handler that throws is a 500, as a failed integration. */
async function answer(handler: ApiHandler, event: APIGatewayProxyEventV2, res: ServerResponse) {
  try {
    const result = await handler(event);
    res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
    res.end(result.body ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') : undefined);
  } catch {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error', details: [] } }));
  }
}
