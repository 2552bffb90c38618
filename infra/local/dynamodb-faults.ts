import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../../lib/shared/random';

/**
 * Faults a DynamoDB endpoint can have, injected by a proxy in front of the stand-in so that the real
 * SDK sees them on the wire exactly as it would from DynamoDB:
 * - `throttleRate`: the request is refused with HTTP 400 `ProvisionedThroughputExceededException`
 *   and never reaches the table (the SDK retries it; past its attempts, the caller sees the error);
 * - `lostResponseRate`: the request **is applied** to the table, then the connection answers
 *   HTTP 500, as when a Lambda's network or DynamoDB fails after the write: the caller cannot tell
 *   whether it happened, and retries a write that already took effect.
 * Only item operations are faulted (not CreateTable or DescribeTable), drawn from a seeded generator
 * (re-seeded by `set` when given a seed); which request meets which fault still depends on the
 * order concurrent requests arrive in.
 */
export interface DynamoFaults {
  /** Share of requests throttled once (the SDK's retry usually gets through). @default 0 */
  throttleRate?: number;
  /**
   * Share of requests throttled on their first three attempts, as a hot partition does: the SDK
   * gives up and the application's own retry (the queue's redelivery) must cope. An identical
   * request (the SDK's retry) is recognised by its body; the fourth is let through. @default 0
   */
  persistentThrottleRate?: number;
  /** @default 0 */
  lostResponseRate?: number;
  /** @default 1 */
  seed?: number;
  /** Operations to fault. @default every item operation */
  operations?: string[];
}

const itemOperations = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchGetItem', 'BatchWriteItem', 'Query'];

export interface FaultyDynamoEndpoint {
  url: string;
  /** Changes the faults from the next request on (e.g. none while a test sets up its data). */
  set(faults: DynamoFaults): void;
  /** What was injected, by operation (the benchmark and tests report it). */
  injected: { throttled: Record<string, number>; lostResponses: Record<string, number>; passed: number };
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

function awsError(res: ServerResponse, status: number, type: string, message: string) {
  const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': 'fault-injection' });
  res.end(body);
}

/** Starts the proxy on a free loopback port in front of `target` (a DynamoDB endpoint URL). */
export async function startFaultyDynamoEndpoint(target: string, faults: DynamoFaults): Promise<FaultyDynamoEndpoint> {
  let current = faults;
  let next = seededRandom(faults.seed ?? 1);
  const injected: FaultyDynamoEndpoint['injected'] = { throttled: {}, lostResponses: {}, passed: 0 };
  /** Attempts seen of each persistently throttled request, by body. */
  const persistent = new Map<string, number>();
  const throttled = (operation: string, res: ServerResponse) => {
    injected.throttled[operation] = (injected.throttled[operation] ?? 0) + 1;
    awsError(res, 400, 'ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded (injected)');
  };
  const upstream = new URL(target);

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const faultable = (current.operations ?? itemOperations).includes(operation);
    const key = body.toString('utf8');
    const seen = persistent.get(key);
    if (seen !== undefined) {
      if (seen < 3) {
        persistent.set(key, seen + 1);
        return throttled(operation, res);
      }
      persistent.delete(key);
    } else if (faultable && next() < (current.persistentThrottleRate ?? 0)) {
      persistent.set(key, 1);
      return throttled(operation, res);
    }
    const draw = faultable ? next() : 1;
    const throttle = current.throttleRate ?? 0;
    const lose = current.lostResponseRate ?? 0;
    if (draw < throttle) return throttled(operation, res);
    const loseThisResponse = draw < throttle + lose;
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (upstreamRes) => {
        if (loseThisResponse) {
          // The table has applied the request; the caller learns nothing but a server error.
          upstreamRes.resume();
          upstreamRes.on('end', () => {
            injected.lostResponses[operation] = (injected.lostResponses[operation] ?? 0) + 1;
            awsError(res, 500, 'InternalServerError', 'Internal server error (injected after the request was applied)');
          });
          return;
        }
        injected.passed++;
        res.writeHead(upstreamRes.statusCode ?? 500, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forwarded.on('error', () => awsError(res, 500, 'InternalServerError', 'stand-in unreachable'));
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set: (faults) => {
      current = faults;
      if (faults.seed !== undefined) next = seededRandom(faults.seed);
    },
    injected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
