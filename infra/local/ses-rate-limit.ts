import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local SES that enforces a maximum send rate, in front of aws-ses-v2-local (which has none):
 * an HTTP proxy on loopback that the real SES v2 client talks to. It behaves as SES describes its
 * own limit: a token bucket refilled at `maxSendRate` messages per second, holding at most
 * `burstSeconds` of them; a call is accepted while any quota is left and takes one token per
 * destination (the balance may go negative, and then every call is refused until it is paid
 * back); a refused call gets SES v2's `429 TooManyRequestsException: Maximum sending rate
 * exceeded.` GetAccount answers with the configured rate, so the pipeline reads it the way it reads
 * SES's. Everything else goes through to the stand-in unchanged. Used by the tests and the benchmark.
 */
export interface SesRateLimitOptions {
  maxSendRate: number;
  /** @default 1 */
  burstSeconds?: number;
  port?: number;
}

export interface SesTraffic {
  /** SendEmail and SendBulkEmail calls, accepted or not. */
  calls: number;
  throttledCalls: number;
  /** Destinations of accepted calls. */
  messages: number;
  firstAcceptedAt?: number;
  lastAcceptedAt?: number;
  /** [epoch ms, messages] of each accepted call. */
  accepted: [number, number][];
}

export interface RateLimitedSes {
  url: string;
  traffic: SesTraffic;
  close(): Promise<void>;
}

const SEND_PATHS = new Set(['/v2/email/outbound-emails', '/v2/email/outbound-bulk-emails']);

function destinations(path: string, body: string): number {
  try {
    const json = JSON.parse(body) as {
      Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
      BulkEmailEntries?: { Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] } }[];
    };
    const count = (d?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] }) =>
      (d?.ToAddresses?.length ?? 0) + (d?.CcAddresses?.length ?? 0) + (d?.BccAddresses?.length ?? 0);
    if (path.endsWith('bulk-emails')) return (json.BulkEmailEntries ?? []).reduce((s, e) => s + count(e.Destination), 0);
    return count(json.Destination) || 1;
  } catch {
    return 1;
  }
}

export async function startRateLimitedSes(target: string, options: SesRateLimitOptions): Promise<RateLimitedSes> {
  const rate = options.maxSendRate;
  const capacity = rate * (options.burstSeconds ?? 1);
  let tokens = capacity;
  let refilledAt = performance.now();
  const traffic: SesTraffic = { calls: 0, throttledCalls: 0, messages: 0, accepted: [] };
  const targetUrl = new URL(target);

  const take = (count: number): boolean => {
    const now = performance.now();
    tokens = Math.min(capacity, tokens + ((now - refilledAt) / 1000) * rate);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens -= count;
    return true;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const upstream = httpRequest(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: { ...req.headers, host: targetUrl.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'local SES stand-in unreachable' }));
    });
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method === 'GET' && path === '/v2/email/account') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            SendingEnabled: true,
            ProductionAccessEnabled: true,
            EnforcementStatus: 'HEALTHY',
            SendQuota: { MaxSendRate: rate, Max24HourSend: 10_000_000, SentLast24Hours: traffic.messages },
          }),
        );
        return;
      }
      if (req.method === 'POST' && SEND_PATHS.has(path)) {
        traffic.calls++;
        const count = destinations(path, body.toString('utf8'));
        if (!take(count)) {
          traffic.throttledCalls++;
          res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' });
          res.end(JSON.stringify({ message: 'Maximum sending rate exceeded.' }));
          return;
        }
        const now = Date.now();
        traffic.messages += count;
        traffic.firstAcceptedAt ??= now;
        traffic.lastAcceptedAt = now;
        traffic.accepted.push([now, count]);
      }
      forward(req, res, body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    traffic,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
