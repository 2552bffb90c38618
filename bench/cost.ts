import { paginateScan } from '@aws-sdk/client-dynamodb';
import { type CapacityTotals, meterCapacity } from '../adapters/dynamodb/capacity-meter';
import { type LocalRuntime, startLocalRuntime } from '../infra/local/runtime';
import { computeMetrics } from '../lib/engagement/metrics';
import type { EngagementEvent } from '../lib/engagement/ses-event';
import { prng, shuffle } from '../test/support/event-log';
import { type EventMixType, eventMixTypes } from './assumptions';
import { envelopeOf, recordSends } from '../test/support/runtime-replay';
import { storedItemBytes } from './item-size';
import { generateMixLog, mixOf } from './mix-log';
import { type NaiveCounts, naiveCounts, runNaive } from './naive';

/** What one design spent on the events of one type, per event. */
export interface PerEventCost {
  events: number;
  writeUnits: number;
  readUnits: number;
  invocations: number;
  handlerMilliseconds: number;
}

export interface DesignCost {
  byType: Record<EventMixType, PerEventCost>;
  /** DynamoDB bytes stored per email once every event is in (items, with DynamoDB's 100-byte overhead). */
  storedBytesPerEmail: number;
  eventsPerSecond: number;
}

export interface CostFigures {
  emails: number;
  /** Events per email of each type in the measured log. */
  measuredMix: Record<string, number>;
  ours: DesignCost;
  naive: DesignCost;
  /** DynamoDB bytes per email of the send records the sender leaves (the same for both designs). */
  sendRecordBytesPerEmail: number;
  /** The figures both designs report, and whether they agree. */
  counts: { ours: NaiveCounts; naive: NaiveCounts; equal: boolean };
}

const perEvent = (events: number, used: CapacityTotals, invocations: number, milliseconds: number): PerEventCost => ({
  events,
  writeUnits: events ? used.writeUnits / events : 0,
  readUnits: events ? used.readUnits / events : 0,
  invocations: events ? invocations / events : 0,
  handlerMilliseconds: events ? milliseconds / events : 0,
});

function since(meter: CapacityTotals, base: CapacityTotals): CapacityTotals {
  return {
    writeUnits: meter.writeUnits - base.writeUnits,
    readUnits: meter.readUnits - base.readUnits,
    requests: {},
    failedConditionalWrites: meter.failedConditionalWrites - base.failedConditionalWrites,
  };
}

/**
 * Runs a design over the log one event type after another (every Send, then every Delivery, …),
 * metering each type on its own. Events of a type are shuffled among themselves; no type rides on
 * another's write, so a type's price is the cautious one (on AWS a Delivery often shares a batch,
 * and so a recipient write, with its Send).
 */
async function byPhase(
  log: EngagementEvent[],
  meter: CapacityTotals,
  run: (events: EngagementEvent[]) => Promise<{ invocations: number; milliseconds: number }>,
): Promise<{ byType: Record<EventMixType, PerEventCost>; seconds: number }> {
  const byType = {} as Record<EventMixType, PerEventCost>;
  let seconds = 0;
  for (const type of eventMixTypes) {
    const events = shuffle(
      log.filter((e) => e.type === type),
      prng(3),
    );
    const base = { ...meter, requests: {} };
    const started = performance.now();
    const { invocations, milliseconds } = await run(events);
    seconds += (performance.now() - started) / 1000;
    byType[type] = perEvent(events.length, since(meter, base), invocations, milliseconds);
  }
  return { byType, seconds };
}

/** Bytes stored under keys the design wrote (`owns`), per email. */
async function storedBytes(runtime: LocalRuntime, emails: number, owns: (pk: string) => boolean): Promise<number> {
  let bytes = 0;
  for await (const page of paginateScan({ client: runtime.clients.dynamodb }, { TableName: 'mql-pipeline' }))
    for (const item of page.Items ?? []) if (owns(item.pk?.S ?? '')) bytes += storedItemBytes(item);
  return Math.round(bytes / emails);
}

async function measureOurs(log: EngagementEvent[], emails: number) {
  const runtime = await startLocalRuntime({ playSesEvents: false });
  try {
    const meter = meterCapacity(runtime.clients.dynamodb);
    await recordSends(runtime, log);
    const stored0 = await storedBytes(runtime, 1, () => true);
    const queue = runtime.queues.events;
    const { byType, seconds } = await byPhase(log, meter, async (events) => {
      const [invocations, milliseconds] = [queue.invocations, queue.consumerMilliseconds];
      for (const e of events) await runtime.buses.default.publish(envelopeOf(e));
      await runtime.settle();
      return { invocations: queue.invocations - invocations, milliseconds: queue.consumerMilliseconds - milliseconds };
    });
    // What the sender left is the sending side's storage; the engagement side's is what came after.
    const storedBytesPerEmail = Math.round(((await storedBytes(runtime, 1, () => true)) - stored0) / emails);
    const { counters } = await runtime.app.adapters.engagement.campaignCounters('cmp_0');
    const m = computeMetrics(counters);
    const counts: NaiveCounts = {
      sent: m.sent,
      delivered: m.delivered,
      bounced: m.bounced,
      complained: m.complained,
      uniqueOpens: m.uniqueOpens,
      uniqueClicks: m.uniqueClicks,
      totalOpens: m.totalOpens,
      totalClicks: m.totalClicks,
    };
    const sendRecordBytesPerEmail = Math.round(stored0 / emails);
    return { cost: { byType, storedBytesPerEmail, eventsPerSecond: Math.round(log.length / seconds) }, counts, sendRecordBytesPerEmail };
  } finally {
    await runtime.stop();
  }
}

async function measureNaive(log: EngagementEvent[], emails: number) {
  const runtime = await startLocalRuntime({ playSesEvents: false });
  try {
    const meter = meterCapacity(runtime.clients.dynamodb);
    const { byType, seconds } = await byPhase(log, meter, async (events) => {
      const { handlerMilliseconds } = await runNaive(runtime, events);
      return { invocations: events.length, milliseconds: handlerMilliseconds };
    });
    const storedBytesPerEmail = await storedBytes(runtime, emails, (pk) => pk.startsWith('NAIVE#'));
    const counts = await naiveCounts(runtime, 'cmp_0');
    return { cost: { byType, storedBytesPerEmail, eventsPerSecond: Math.round(log.length / seconds) }, counts };
  } finally {
    await runtime.stop();
  }
}

/**
 * The cost section: one log with the model's event mix, recorded by this design and by the naive
 * one, each on a fresh embedded stack of the same kind, in the same run; per event type, what
 * DynamoDB charged, the invocations and the handler time; and the counts both report.
 */
export async function benchCost(options: { emails: number }): Promise<CostFigures> {
  const log = generateMixLog({ emails: options.emails });
  const ours = await measureOurs(log, options.emails);
  const naive = await measureNaive(log, options.emails);
  const equal = (Object.keys(ours.counts) as (keyof NaiveCounts)[]).every((k) => ours.counts[k] === naive.counts[k]);
  return {
    emails: options.emails,
    measuredMix: mixOf(log, options.emails),
    ours: ours.cost,
    naive: naive.cost,
    sendRecordBytesPerEmail: ours.sendRecordBytesPerEmail,
    counts: { ours: ours.counts, naive: naive.counts, equal },
  };
}
