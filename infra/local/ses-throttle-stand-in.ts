import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The local SES stand-in's own throttle: it plays SES's side of the account's maximum send rate
 * (MaxSendRate), so that the sender's pacing can be tested against something that refuses. It is
 * not where the sender waits for SES's rate: that is lib/sending/pacing.ts.
 *
 * An HTTP proxy on loopback, in front of aws-ses-v2-local (which has no limit), that the real SES
 * v2 client talks to. It behaves as SES describes its own limit: a token bucket refilled at
 * `maxSendRate` messages per second, holding at most `burstSeconds` of them; a call is accepted
 * while any quota is left and takes one token per destination (the balance may go negative, and
 * then every call is refused until it is paid back); a refused call gets SES v2's
 * `429 TooManyRequestsException: Maximum sending rate exceeded.` GetAccount answers with the
 * configured rate, so the pipeline reads it the way it reads SES's. Everything else goes through to
 * the stand-in unchanged. Used by the tests and the benchmark (`sesMaxSendRate` of the local runtime).
 */
export interface SesThrottleOptions {
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

export interface SesThrottleStandIn {
  url: string;
  traffic: SesTraffic;
  close(): Promise<void>;
}

const SEND_PATHS = new Set(['/v2/email/outbound-emails', '/v2/email/outbound-bulk-emails']);

type Destination = { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };

function destinations(path: string, body: string): number {
  try {
    const json = JSON.parse(body) as { Destination?: Destination; BulkEmailEntries?: { Destination?: Destination }[] };
    const count = (d?: Destination) => (d?.ToAddresses?.length ?? 0) + (d?.CcAddresses?.length ?? 0) + (d?.BccAddresses?.length ?? 0);
    if (path.endsWith('bulk-emails')) return (json.BulkEmailEntries ?? []).reduce((s, e) => s + count(e.Destination), 0);
    return count(json.Destination) || 1;
  } catch {
    return 1;
  }
}

/** SES's send-rate bucket: `take(n)` succeeds while any token is left, and may overdraw. */
function sendRateBucket(rate: number, burstSeconds: number) {
  const capacity = rate * burstSeconds;
  let tokens = capacity;
  let refilledAt = performance.now();
  return {
    take(count: number): boolean {
      const now = performance.now();
      tokens = Math.min(capacity, tokens + ((now - refilledAt) / 1000) * rate);
      refilledAt = now;
      if (tokens < 1) return false;
      tokens -= count;
      return true;
    },
  };
}

/** Passes a request through to the stand-in as it came. */
function forward(target: URL, req: IncomingMessage, res: ServerResponse, body: Buffer) {
  const upstream = httpRequest(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
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
}

function answerGetAccount(res: ServerResponse, rate: number, traffic: SesTraffic) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      SendingEnabled: true,
      ProductionAccessEnabled: true,
      EnforcementStatus: 'HEALTHY',
      SendQuota: { MaxSendRate: rate, Max24HourSend: 10_000_000, SentLast24Hours: traffic.messages },
    }),
  );
}

/** Counts a send call; refuses it with SES's 429 when the bucket is empty (returns false then). */
function admitSend(
  bucket: ReturnType<typeof sendRateBucket>,
  traffic: SesTraffic,
  path: string,
  body: Buffer,
  res: ServerResponse,
): boolean {
  traffic.calls++;
  const count = destinations(path, body.toString('utf8'));
  if (!bucket.take(count)) {
    traffic.throttledCalls++;
    res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' });
    res.end(JSON.stringify({ message: 'Maximum sending rate exceeded.' }));
    return false;
  }
  const now = Date.now();
  traffic.messages += count;
  traffic.firstAcceptedAt ??= now;
  traffic.lastAcceptedAt = now;
  traffic.accepted.push([now, count]);
  return true;
}

/** Starts the throttling proxy on loopback in front of `target` (the aws-ses-v2-local endpoint). */
export async function startSesThrottleStandIn(target: string, options: SesThrottleOptions): Promise<SesThrottleStandIn> {
  const rate = options.maxSendRate;
  const bucket = sendRateBucket(rate, options.burstSeconds ?? 1);
  const traffic: SesTraffic = { calls: 0, throttledCalls: 0, messages: 0, accepted: [] };
  const targetUrl = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method === 'GET' && path === '/v2/email/account') return answerGetAccount(res, rate, traffic);
      if (req.method === 'POST' && SEND_PATHS.has(path) && !admitSend(bucket, traffic, path, body, res)) return;
      forward(targetUrl, req, res, body);
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
