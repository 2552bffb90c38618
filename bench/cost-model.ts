import { assumptions as a, type EventMixType, eventMixTypes } from './assumptions';
import type { CostFigures, DesignCost } from './cost';
import prices from './prices.json' with { type: 'json' };
import type { ReportFigures } from './reports';
import type { SendingFigures } from './sending';

/**
 * Infrastructure cost per 1,000,000 emails, term by term, from what the benchmark measured per event
 * type (bench/cost.ts) weighted by the event mix (bench/assumptions.ts), the sending section's
 * measured units, invocations and handler time, and published prices (bench/prices.json, dated).
 * What is not measured is named in bench/assumptions.ts; fixed monthly costs (alarms, dashboard, the
 * KMS key, the secret, idle queue polling) do not grow with emails and are left out, said so in print.
 */
const EMAILS = 1_000_000;
const GB = 1e9;

/** Lambda's price for `invocations` that ran `milliseconds` each at `memoryMb`, with their logs and traces. */
function lambdaTerms(invocations: number, milliseconds: number, memoryMb: number, logBytes: number) {
  return {
    lambdaRequests: (invocations / 1e6) * prices.lambdaPerMillionRequests,
    lambdaDuration: invocations * (milliseconds / 1000) * (memoryMb / 1024) * prices.lambdaArmPerGbSecond,
    logs: ((invocations * logBytes) / GB) * prices.cloudWatchLogsIngestionPerGb,
    xray: ((invocations * a.xraySampledShare) / 1e6) * prices.xrayPerMillionTracesRecorded,
  };
}

/** The engagement side of a design: per event type, events × the type's measured price. */
function engagementTerms(d: DesignCost, design: 'ours' | 'naive') {
  const t = { dynamodbWrites: 0, dynamodbReads: 0, lambdaRequests: 0, lambdaDuration: 0, logs: 0, xray: 0, sqs: 0 };
  for (const type of eventMixTypes) {
    const events = EMAILS * a.eventsPerEmail[type as EventMixType];
    const c = d.byType[type];
    t.dynamodbWrites += ((events * c.writeUnits) / 1e6) * prices.dynamodbPerMillionWriteUnits;
    t.dynamodbReads += ((events * c.readUnits) / 1e6) * prices.dynamodbPerMillionReadUnits;
    const memory = design === 'ours' ? a.lambdaMemoryMb.engagement : a.lambdaMemoryMb.naive;
    const invocations = events * c.invocations;
    const msPerInvocation = c.invocations ? c.handlerMilliseconds / c.invocations : 0;
    const l = lambdaTerms(invocations, msPerInvocation, memory, a.logBytesPerInvocation[design]);
    t.lambdaRequests += l.lambdaRequests;
    t.lambdaDuration += l.lambdaDuration;
    t.logs += l.logs;
    t.xray += l.xray;
    // EventBridge → SQS (ours): one SendMessage an event, then the poller's receives and deletes.
    // The naive design is invoked by EventBridge directly (asynchronous invocation: no SQS bill).
    if (design === 'ours') t.sqs += ((events * (1 + a.sqsConsumerRequestsPerMessage)) / 1e6) * prices.sqsPerMillionRequests;
  }
  return { ...t, ...storageTerms(d.storedBytesPerEmail, 'dynamodbStorage', 'dynamodbPitr') };
}

/**
 * What the table charges for `bytesPerEmail` kept `storageMonths`: the storage itself, and the
 * continuous backups (point-in-time recovery, on in infra/aws/stateful-resources.ts), billed on the
 * same table size per GB-month.
 */
function storageTerms<S extends string, P extends string>(bytesPerEmail: number, storage: S, pitr: P) {
  const gbMonths = ((EMAILS * bytesPerEmail) / GB) * a.storageMonths;
  return {
    [storage]: gbMonths * prices.dynamodbStoragePerGbMonth,
    [pitr]: gbMonths * prices.dynamodbPitrPerGbMonth,
  } as Record<S | P, number>;
}

/** The sending side, the same for both designs: the sender's units, queue, invocations and time, its records' storage, the reports. */
function sendingTerms(s: SendingFigures | undefined, sendRecordBytesPerEmail: number, report: ReportFigures | undefined) {
  if (!s) return undefined;
  const r = EMAILS;
  const invocations = (r / 1000) * s.senderInvocationsPer1000Recipients;
  const l = lambdaTerms(invocations, s.senderMillisecondsPerInvocation, a.lambdaMemoryMb.sender, a.logBytesPerInvocation.ours);
  const campaigns = EMAILS / a.emailsPerCampaign;
  const reportSeconds = report ? report.milliseconds / 1000 : a.reportSecondsPer10000;
  const reportBytes = report ? report.storedMiB * 1024 * 1024 : 0;
  return {
    sendDynamodbWrites: ((r * s.dynamodbWriteUnitsPerRecipient) / 1e6) * prices.dynamodbPerMillionWriteUnits,
    sendDynamodbReads: ((r * s.dynamodbReadUnitsPerRecipient) / 1e6) * prices.dynamodbPerMillionReadUnits,
    sendQueueSqs:
      ((r * (s.sendQueueRequestsPerRecipient + s.sendQueueMessagesPerRecipient * a.sqsConsumerRequestsPerMessage)) / 1e6) *
      prices.sqsPerMillionRequests,
    senderLambda: l.lambdaRequests + l.lambdaDuration + l.logs + l.xray,
    ...storageTerms(sendRecordBytesPerEmail, 'sendRecordStorage', 'sendRecordPitr'),
    reports:
      campaigns * reportSeconds * (a.reportMemoryMb / 1024) * prices.lambdaArmPerGbSecond +
      ((campaigns * a.reportPutsPerCampaign) / 1000) * prices.s3PutPer1000Requests +
      ((campaigns * reportBytes) / GB) * prices.s3StandardPerGbMonth * a.storageMonths,
  };
}

/**
 * The least any design that counts exactly pays on this architecture (docs/architecture.md, "The
 * runtime picture": SES → EventBridge → SQS → Lambda → DynamoDB with point-in-time recovery),
 * whatever its code:
 * - SQS: EventBridge sends each event to the queue on its own, and Lambda receives and deletes it;
 * - writes: the sender's durable record of each email (no email twice), and one conditional write
 *   per message outcome (Delivery or Bounce), without which a replayed event would count twice;
 * - the sender's strongly consistent read of each recipient's consent just before its send;
 * - storage: one item per email, counted at DynamoDB's 100-byte per-item overhead alone, kept
 *   `storageMonths`, with its continuous backups.
 * Every other read, Lambda, logs and every other byte come on top.
 */
function architectureFloor() {
  const events = Object.values(a.eventsPerEmail).reduce((s, n) => s + n, 0);
  const writesPerEmail = 1 + a.eventsPerEmail.delivery + a.eventsPerEmail.bounce;
  const gbMonths = ((EMAILS * 100) / GB) * a.storageMonths;
  const terms = {
    sqs: ((EMAILS * events * (1 + a.sqsConsumerRequestsPerMessage)) / 1e6) * prices.sqsPerMillionRequests,
    dynamodbWrites: ((EMAILS * writesPerEmail) / 1e6) * prices.dynamodbPerMillionWriteUnits,
    // The send-time check of consent and suppression: one strongly consistent read of the contact
    // (at most 4 KB: one read unit) per recipient, or a withdrawal a moment ago would not stop the send.
    consentReads: (EMAILS / 1e6) * prices.dynamodbPerMillionReadUnits,
    dynamodbStorage: gbMonths * (prices.dynamodbStoragePerGbMonth + prices.dynamodbPitrPerGbMonth),
  };
  return { terms: round(terms), total: Number(sum(terms).toFixed(2)) };
}

const round = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number(v.toFixed(3))]));
const sum = (o: Record<string, number>) => Object.values(o).reduce((s, v) => s + v, 0);

export function costPerMillionEmails(cost: CostFigures, sending?: SendingFigures, report10k?: ReportFigures) {
  const send = sendingTerms(sending, cost.sendRecordBytesPerEmail, report10k);
  const ours = { ...engagementTerms(cost.ours, 'ours'), ...(send ?? {}) };
  const naive = { ...engagementTerms(cost.naive, 'naive'), ...(send ?? {}) };
  return {
    pricesAsOf: prices.asOf,
    eventsPerEmail: a.eventsPerEmail,
    sendingMeasured: Boolean(send),
    ses: Number(((EMAILS / 1000) * prices.sesPer1000Emails).toFixed(2)),
    ours: round(ours),
    oursTotal: Number(sum(ours).toFixed(2)),
    naive: round(naive),
    naiveTotal: Number(sum(naive).toFixed(2)),
    architectureFloor: architectureFloor(),
  };
}
