import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../../lib/common/random';

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
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': 'fault-injection',
  });
  res.end(body);
}

type Injected = FaultyDynamoEndpoint['injected'];

/**
 * Which fault, if any, a request meets. Persistently throttled requests are recognised by their
 * body (the SDK's retry sends the same one) and let through on the fourth attempt.
 */
class FaultDraw {
  private next: () => number;
  /** Attempts seen of each persistently throttled request, by body. */
  private readonly persistent = new Map<string, number>();

  constructor(private current: DynamoFaults) {
    this.next = seededRandom(current.seed ?? 1);
  }

  set(faults: DynamoFaults) {
    this.current = faults;
    if (faults.seed !== undefined) this.next = seededRandom(faults.seed);
  }

  draw(operation: string, body: string): 'throttle' | 'lose-response' | 'none' {
    const faultable = (this.current.operations ?? itemOperations).includes(operation);
    const seen = this.persistent.get(body);
    if (seen !== undefined) {
      if (seen < 3) {
        this.persistent.set(body, seen + 1);
        return 'throttle';
      }
      this.persistent.delete(body);
    } else if (faultable && this.next() < (this.current.persistentThrottleRate ?? 0)) {
      this.persistent.set(body, 1);
      return 'throttle';
    }
    const draw = faultable ? this.next() : 1;
    const throttle = this.current.throttleRate ?? 0;
    if (draw < throttle) return 'throttle';
    return draw < throttle + (this.current.lostResponseRate ?? 0) ? 'lose-response' : 'none';
  }
}

function answerThrottled(injected: Injected, operation: string, res: ServerResponse) {
  injected.throttled[operation] = (injected.throttled[operation] ?? 0) + 1;
  awsError(
    res,
    400,
    'ProvisionedThroughputExceededException',
    'The level of configured provisioned throughput for the table was exceeded (injected)',
  );
}

/** Sends the request to the table; when its response is to be lost, answers a server error once it is applied. */
function forwardToTable(
  upstream: URL,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  fate: { injected: Injected; operation: string; loseResponse: boolean },
) {
  const { injected, operation } = fate;
  const forwarded = httpRequest(
    { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
    (upstreamRes) => {
      if (fate.loseResponse) {
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
}

/** Starts the proxy on a free loopback port in front of `target` (a DynamoDB endpoint URL). */
export async function startFaultyDynamoEndpoint(target: string, faults: DynamoFaults): Promise<FaultyDynamoEndpoint> {
  const faultDraw = new FaultDraw(faults);
  const injected: Injected = { throttled: {}, lostResponses: {}, passed: 0 };
  const upstream = new URL(target);
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const fault = faultDraw.draw(operation, body.toString('utf8'));
    if (fault === 'throttle') return answerThrottled(injected, operation, res);
    forwardToTable(upstream, req, body, res, { injected, operation, loseResponse: fault === 'lose-response' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set: (faults) => faultDraw.set(faults),
    injected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
