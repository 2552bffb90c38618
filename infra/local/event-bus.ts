import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleepBackoff } from '../../lib/common/backoff';
import type { EventPattern } from '../event-patterns';

/**
 * An in-process EventBridge. Rules use the same patterns the CDK stack deploys
 * (infra/event-patterns.ts). Supported pattern syntax: exact values (a field matches when its
 * value, or any element of an array value, equals a listed value), nested objects, and the
 * `prefix`, `exists` and `anything-but` operators. Like EventBridge, a target's failure does not
 * fail the PutEvents call: it is retried, then set aside in the bus's dead letters with its reason.
 */
export interface EventEnvelope {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

type Matcher = string | number | boolean | null | { prefix?: string; exists?: boolean; 'anything-but'?: unknown[] | unknown };

function matchesValue(matcher: Matcher, value: unknown, present: boolean): boolean {
  if (matcher !== null && typeof matcher === 'object') {
    if ('exists' in matcher) return matcher.exists === present;
    if (!present) return false;
    if (matcher.prefix !== undefined) return typeof value === 'string' && value.startsWith(matcher.prefix);
    if ('anything-but' in matcher) {
      const excluded = Array.isArray(matcher['anything-but']) ? matcher['anything-but'] : [matcher['anything-but']];
      return !excluded.includes(value);
    }
    return false;
  }
  return present && value === matcher;
}

export function matchesPattern(pattern: EventPattern | Record<string, unknown>, event: unknown): boolean {
  if (event === null || typeof event !== 'object') return false;
  for (const [field, rule] of Object.entries(pattern)) {
    const present = Object.hasOwn(event, field);
    const value = (event as Record<string, unknown>)[field];
    if (Array.isArray(rule)) {
      const values = Array.isArray(value) ? value : [value];
      const ok = (rule as Matcher[]).some((m) =>
        m !== null && typeof m === 'object' && 'exists' in m
          ? matchesValue(m, value, present)
          : values.some((v) => matchesValue(m, v, present)),
      );
      if (!ok) return false;
    } else if (rule && typeof rule === 'object') {
      if (!present || !matchesPattern(rule as EventPattern, value)) return false;
    } else return false;
  }
  return true;
}

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: Date | string;
  EventBusName?: string;
}

interface Rule {
  name: string;
  pattern: EventPattern;
  target: (event: EventEnvelope) => Promise<void>;
}

export class LocalEventBus {
  private readonly rules: Rule[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  readonly deadLetters: { rule: string; event: EventEnvelope; reason: string }[] = [];
  published = 0;

  constructor(
    readonly name: string,
    private readonly options: { account?: string; region?: string; retries?: number; asynchronous?: boolean } = {},
  ) {}

  addRule(name: string, pattern: EventPattern, target: (event: EventEnvelope) => Promise<void>): this {
    this.rules.push({ name, pattern, target });
    return this;
  }

  /** PutEvents semantics: builds the envelope, routes it, returns its id. */
  async putEvent(entry: PutEventsEntry): Promise<string> {
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail ?? '{}');
    } catch {
      throw new Error('Detail is not valid JSON');
    }
    const envelope: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType ?? '',
      source: entry.Source ?? '',
      account: this.options.account ?? '000000000000',
      time: new Date(entry.Time ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region ?? 'us-east-1',
      resources: entry.Resources ?? [],
      detail,
    };
    await this.publish(envelope);
    return envelope.id;
  }

  /** Routes an already-formed envelope (the local SES playback publishes SES's own shapes). */
  async publish(envelope: EventEnvelope | Record<string, unknown>): Promise<void> {
    this.published++;
    const deliveries = this.rules.filter((r) => matchesPattern(r.pattern, envelope)).map((r) => this.deliver(r, envelope as EventEnvelope));
    if (!this.options.asynchronous) {
      await Promise.all(deliveries);
      return;
    }
    for (const d of deliveries) {
      this.inFlight.add(d);
      void d.finally(() => this.inFlight.delete(d));
    }
  }

  /** Resolves when every target invocation started so far has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private async deliver(rule: Rule, event: EventEnvelope) {
    const attempts = 1 + (this.options.retries ?? 2);
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
      // EventBridge retries a failed target with exponential backoff and jitter; so do we, in
      // milliseconds rather than minutes, so that a passing failure (throttling) can pass:
      // up to 40 ms before the first retry, doubling, never over 2 s.
      if (i > 0) await sleepBackoff(i - 1, { baseMs: 40, capMs: 2_000 });
      try {
        await rule.target(event);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    this.deadLetters.push({ rule: rule.name, event, reason: (lastError as Error)?.message ?? String(lastError) });
  }
}

/**
 * Serves `PutEvents` (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`) so the real
 * `@aws-sdk/client-eventbridge` can publish into the local buses, e.g. to replay captured events.
 */
export async function startEventBridgeEndpoint(
  buses: LocalEventBus[],
  port = 0,
  host = '127.0.0.1',
): Promise<{ url: string; close(): Promise<void> }> {
  const byName = new Map(buses.map((b) => [b.name, b]));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
      };
      const target = req.headers['x-amz-target'];
      if (req.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
        reply(400, {
          __type: 'UnknownOperationException',
          message: `the local EventBridge serves only PutEvents, not ${target ?? req.method}`,
        });
        return;
      }
      let body: { Entries?: PutEventsEntry[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        reply(400, { __type: 'ValidationException', message: 'request body is not JSON' });
        return;
      }
      const entries = body.Entries ?? [];
      if (!entries.length || entries.length > 10) {
        reply(400, { __type: 'ValidationException', message: 'Entries must hold 1 to 10 events' });
        return;
      }
      const { failed, results } = await putEntries(byName, entries);
      reply(200, { FailedEntryCount: failed, Entries: results });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Each entry onto its bus, as PutEvents does: a failed entry fails alone, with its error code. */
async function putEntries(byName: Map<string, LocalEventBus>, entries: PutEventsEntry[]) {
  const results = [];
  let failed = 0;
  for (const entry of entries) {
    const bus = byName.get(entry.EventBusName ?? 'default');
    if (!bus) {
      failed++;
      results.push({ ErrorCode: 'ResourceNotFoundException', ErrorMessage: `no event bus ${entry.EventBusName}` });
      continue;
    }
    try {
      const time = typeof entry.Time === 'number' ? new Date((entry.Time as number) * 1000) : entry.Time;
      results.push({ EventId: await bus.putEvent({ ...entry, Time: time }) });
    } catch (error) {
      failed++;
      results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: (error as Error).message });
    }
  }
  return { failed, results };
}
