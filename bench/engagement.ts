import { isDeepStrictEqual } from 'node:util';
import { PutCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { meterCapacity, type CapacityTotals } from '../adapters/dynamodb/capacity-meter';
import { startLocalRuntime, type LocalRuntime } from '../infra/local/runtime';
import { configSchema } from '../lib/config';
import { mapWithConcurrency } from '../lib/common/concurrency';
import { newId } from '../lib/common/ids';
import { defaultMachineRules } from '../lib/engagement/machine-activity';
import { computeMetrics } from '../lib/engagement/metrics';
import type { Counters } from '../lib/engagement/recipient';
import type { EngagementEvent } from '../lib/engagement/ses-event';
import { generateEventLog, prng, shuffle } from '../test/support/event-log';
import { asRecount, fieldsOf, recount } from '../test/support/recount';
import { createSentCampaign, envelopeOf, recordSends } from '../test/support/runtime-replay';

export interface EngagementFigures {
  recipients: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  rawConditionalWritesPerSecond: number;
  throughputRatio: number;
  writeUnitsPerEvent: number;
  readUnitsPerEvent: number;
  invocationsPer1000Events: number;
  /** Events-queue batches processed at once (Lambda's SQS pollers start at five). */
  consumers: number;
  /**
   * Conditional writes refused (billed all the same), per 1,000 events: with batches side by side,
   * mostly recipient writes that lost a race; one batch at a time, suppressions of contacts already
   * suppressed or absent.
   */
  refusedWritesPer1000Events: number;
  deltaItems: number;
  /** DynamoDB requests per 1,000 events, by operation. */
  requestsPer1000Events: Record<string, number>;
  exact: boolean;
  /** Live stats reads: `milliseconds` with the checkpoint in place, `firstReadMilliseconds` the read that wrote it. */
  stats: {
    recipients: number;
    deltaItems: number;
    milliseconds: number;
    firstReadMilliseconds: number;
    /** The slowest of the reads until the figures were complete. */
    slowestReadMilliseconds: number;
    /** Reads (stats requests) until `metricsComplete`; each sums at most DELTAS_PER_READ deltas. */
    readsToComplete: number;
  }[];
}

/** The grace a deployment runs with (lib/config.ts default): longer than any batch, which the function's timeout bounds. */
export const DEPLOYED_GRACE_MS = configSchema.shape.inFlightGraceMs.parse(undefined);

/**
 * The same stand-in's raw rate for the write the handler is built on: a conditional PutItem of a
 * recipient-sized item, at the handler's concurrency (8). Answers the seconds `count` writes took.
 */
function rawConditionalWrites(runtime: LocalRuntime) {
  const db = DynamoDBDocumentClient.from(runtime.clients.dynamodb);
  const payload = 'x'.repeat(300);
  return async (from: number, count: number) => {
    const t = performance.now();
    await mapWithConcurrency(
      Array.from({ length: count }, (_, i) => from + i),
      8,
      (i) =>
        db.send(
          new PutCommand({
            TableName: 'mql-pipeline',
            Item: { pk: `RAW#${i % 500}`, sk: `R#${i}`, v: 1, st: payload },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
    );
    return (performance.now() - t) / 1000;
  };
}

/** What the meter counted since `base`. */
function usageSince(meter: CapacityTotals, base: CapacityTotals): CapacityTotals {
  return {
    writeUnits: meter.writeUnits - base.writeUnits,
    readUnits: meter.readUnits - base.readUnits,
    failedConditionalWrites: meter.failedConditionalWrites - base.failedConditionalWrites,
    requests: Object.fromEntries(Object.entries(meter.requests).map(([op, n]) => [op, n - (base.requests[op] ?? 0)])),
  };
}

/** The campaign's stored counters, and whether they are exactly what an independent recount of the log gives. */
async function countersAgainstRecount(runtime: LocalRuntime, log: EngagementEvent[]): Promise<{ counters: Counters; exact: boolean }> {
  const { counters } = await runtime.app.adapters.engagement.campaignCounters('cmp_0');
  const compared = ['sent', 'delivered', 'uniqueOpens', 'uniqueClicks', 'totalOpens', 'humanUniqueClicks'] as const;
  const stored = fieldsOf(asRecount(computeMetrics(counters)), compared);
  const exact = isDeepStrictEqual(stored, fieldsOf(recount(log, 'cmp_0', defaultMachineRules), compared));
  return { counters, exact };
}

/**
 * Stats at scale: one delta item per 100 events (a live campaign's batches are rarely full, so
 * this counts more deltas than full batches would: the cautious side), with a real delta's
 * counters as the payload.
 */
async function statsRead(
  runtime: LocalRuntime,
  size: number,
  eventsPerRecipient: number,
  sample: Counters,
): Promise<EngagementFigures['stats'][number]> {
  const campaignId = `cmp_stats_${size}`;
  await createSentCampaign(runtime, campaignId, 'stats', new Date().toISOString());
  const items = Math.ceil((size * eventsPerRecipient) / 100);
  // Written over the last hour, as a campaign's deltas are, with time-sortable ids.
  const hourAgo = Date.now() - 3_600_000;
  await mapWithConcurrency(
    Array.from({ length: items }, (_, i) => i),
    16,
    (i) =>
      runtime.app.adapters.engagement.putDelta({
        campaignId,
        deltaId: newId('d', new Date(hourAgo + i * 300)),
        counters: sample,
        linkUrls: {},
        at: new Date().toISOString(),
      }),
  );
  // Each read sums the checkpoint and at most DELTAS_PER_READ deltas, folding them: read until complete.
  const times: number[] = [];
  let complete = false;
  while (!complete) {
    const t = performance.now();
    complete = (await runtime.app.campaignStats(campaignId)).metricsComplete;
    times.push(Math.round(performance.now() - t));
  }
  const t = performance.now();
  const settled = await runtime.app.campaignStats(campaignId); // the checkpoint plus the deltas after it
  if (!settled.metricsComplete || settled.metrics.delivered !== (sample.delivered ?? 0) * items)
    throw new Error(`stats after the backlog are not exact: ${settled.metrics.delivered} delivered`);
  return {
    recipients: size,
    deltaItems: items,
    milliseconds: Math.round(performance.now() - t),
    firstReadMilliseconds: times[0]!,
    slowestReadMilliseconds: Math.max(...times),
    readsToComplete: times.length,
  };
}

/** One run's measurements, as the figures report them. */
function engagementFigures(
  run: {
    recipients: number;
    events: number;
    seconds: number;
    rawPerSecond: number;
    invocations: number;
    consumers: number;
    used: CapacityTotals;
    exact: boolean;
  },
  stats: EngagementFigures['stats'],
): EngagementFigures {
  const { events, seconds, rawPerSecond, used } = run;
  return {
    recipients: run.recipients,
    events,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round(events / seconds),
    rawConditionalWritesPerSecond: Math.round(rawPerSecond),
    throughputRatio: Number((events / seconds / rawPerSecond).toFixed(2)),
    writeUnitsPerEvent: Number((used.writeUnits / events).toFixed(3)),
    readUnitsPerEvent: Number((used.readUnits / events).toFixed(3)),
    invocationsPer1000Events: Number(((run.invocations / events) * 1000).toFixed(2)),
    consumers: run.consumers,
    refusedWritesPer1000Events: Number(((used.failedConditionalWrites / events) * 1000).toFixed(1)),
    deltaItems: used.requests.PutItem ?? 0,
    requestsPer1000Events: Object.fromEntries(
      Object.entries(used.requests).map(([op, n]) => [op, Number(((n / events) * 1000).toFixed(1))]),
    ),
    exact: run.exact,
    stats,
  };
}

/**
 * Engagement end to end on the embedded stack: shuffled SES events → local EventBridge → events
 * queue (batches of 100) → engagement handler → dynalite; then the raw conditional-write rate of
 * the same dynalite at the handler's concurrency; then stats reads at growing campaign sizes.
 */
export async function benchEngagement(options: {
  recipients: number;
  statsSizes: number[];
  seed?: number;
  /** Batches at once. @default 1; above 1 with the deployed grace (config default), as on AWS. */
  consumers?: number;
}): Promise<EngagementFigures> {
  const consumers = options.consumers ?? 1;
  const runtime = await startLocalRuntime(
    consumers > 1 ? { engagementConsumers: { concurrency: consumers, inFlightGraceMs: DEPLOYED_GRACE_MS } } : {},
  );
  try {
    const meter = meterCapacity(runtime.clients.dynamodb);
    const log = shuffle(generateEventLog({ recipients: options.recipients, campaigns: 1, seed: options.seed ?? 7 }), prng(1));
    const envelopes = log.map(envelopeOf);

    // Half the raw writes are measured just before the run and half just after, so a change in the
    // machine's load during the run weighs on both sides.
    const rawWrites = rawConditionalWrites(runtime);
    const rawHalf = Math.round(Math.min(10_000, Math.max(1_000, log.length / 4)));
    const rawBefore = await rawWrites(0, rawHalf);
    await recordSends(runtime, log);
    // What the raw writes and the sender's records consumed is not the engagement path's: count from here.
    const base = { ...meter, requests: { ...meter.requests } };

    const started = performance.now();
    for (const envelope of envelopes) await runtime.buses.default.publish(envelope);
    await runtime.settle();
    const seconds = (performance.now() - started) / 1000;
    const used = usageSince(meter, base);
    const { counters, exact } = await countersAgainstRecount(runtime, log);

    const rawSeconds = rawBefore + (await rawWrites(rawHalf, rawHalf));
    const rawPerSecond = (2 * rawHalf) / rawSeconds;

    const stats: EngagementFigures['stats'] = [];
    for (const size of options.statsSizes) stats.push(await statsRead(runtime, size, log.length / options.recipients, counters));
    const invocations = runtime.queues.events.invocations;
    return engagementFigures(
      { recipients: options.recipients, events: log.length, seconds, rawPerSecond, invocations, used, exact, consumers },
      stats,
    );
  } finally {
    await runtime.stop();
  }
}
