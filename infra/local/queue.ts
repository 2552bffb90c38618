import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

/**
 * An in-process SQS queue with the SQS → Lambda event source semantics the handlers rely on:
 * batches up to `batchSize`, partial batch responses (only the failed messages come back), a thrown
 * error fails the whole batch, redelivery until `maxReceiveCount`, then the dead-letter queue.
 */
export interface DeadLetteredMessage {
  body: string;
  reason: string;
  receiveCount: number;
}

interface Message {
  messageId: string;
  body: string;
  receiveCount: number;
  sentAt: number;
  lastError?: string;
}

export interface LocalQueueOptions {
  name: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: the Lambda SQS handler's own type (aws-lambda's SQSHandler returns void or a batch response)
  consumer: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  /** @default 10 */
  batchSize?: number;
  /** @default 5 */
  maxReceiveCount?: number;
  /** How long a failed message waits before it is delivered again. @default 20 */
  redeliveryDelayMs?: number;
  /** Batches processed at once. @default 1 */
  concurrency?: number;
  /** Like MaximumBatchingWindowInSeconds: wait this long for a batch to fill. @default 0 */
  batchWindowMs?: number;
  /** SQS DelaySeconds are honoured up to this (locally, so a demo or test does not idle for minutes). @default no cap */
  maxDelayMs?: number;
}

export class LocalQueue {
  private readonly ready: Message[] = [];
  private waiting = 0;
  private delayed = 0;
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private windowTimer: NodeJS.Timeout | undefined;
  readonly deadLetters: DeadLetteredMessage[] = [];
  /** Consumer invocations (what Lambda would bill), messages delivered (with redeliveries). */
  invocations = 0;
  delivered = 0;
  /** Deliveries the consumer failed (batch item failures and throws): each comes back or goes to the DLQ. */
  failedDeliveries = 0;
  /** Wall time the consumer spent on its invocations, summed: what Lambda bills as duration. */
  consumerMilliseconds = 0;
  /** SendMessageBatch requests the producers made (up to 10 messages each, as SQS allows). */
  sendRequests = 0;

  constructor(private readonly options: LocalQueueOptions) {}

  get arn() {
    return `arn:aws:sqs:us-east-1:000000000000:${this.options.name}`;
  }

  get depth() {
    return this.ready.length + this.waiting + this.delayed + this.running;
  }

  /** Messages that went to the dead-letter queue. */
  get deadLettered() {
    return this.deadLetters.length;
  }

  /** Like SendMessageBatch; `delaySeconds` keeps the messages invisible that long (SQS DelaySeconds). */
  async send(bodies: string[], options: { delaySeconds?: number } = {}): Promise<void> {
    const now = Date.now();
    this.sendRequests += Math.ceil(bodies.length / 10);
    const messages = bodies.map((body) => ({ messageId: randomUUID(), body, receiveCount: 0, sentAt: now }));
    const delayMs = Math.min((options.delaySeconds ?? 0) * 1000, this.options.maxDelayMs ?? Infinity);
    if (delayMs <= 0) {
      this.ready.push(...messages);
      this.pump();
      return;
    }
    this.delayed += messages.length;
    setTimeout(() => {
      this.delayed -= messages.length;
      this.ready.push(...messages);
      this.pump(true);
    }, delayMs);
  }

  /** Resolves once nothing is queued, waiting for redelivery, or being processed. */
  drain(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(windowElapsed = false) {
    const { batchSize = 10, concurrency = 1, batchWindowMs = 0 } = this.options;
    if (!windowElapsed && batchWindowMs > 0 && this.ready.length && this.ready.length < batchSize) {
      this.windowTimer ??= setTimeout(() => {
        this.windowTimer = undefined;
        this.pump(true);
      }, batchWindowMs);
      return;
    }
    while (this.running < concurrency && this.ready.length) {
      const batch = this.ready.splice(0, batchSize);
      this.running++;
      void this.process(batch).finally(() => {
        this.running--;
        this.pump();
        this.notifyIdle();
      });
    }
    this.notifyIdle();
  }

  private notifyIdle() {
    if (this.depth !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async process(batch: Message[]) {
    this.invocations++;
    for (const m of batch) m.receiveCount++;
    this.delivered += batch.length;
    const event: SQSEvent = { Records: batch.map((m) => this.record(m)) };
    let failedIds: Set<string>;
    let reason = 'reported as a batch item failure';
    const started = performance.now();
    try {
      const response = await this.options.consumer(event);
      failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      failedIds = new Set(batch.map((m) => m.messageId));
      reason = `the consumer threw: ${(error as Error)?.message ?? String(error)}`;
    }
    this.consumerMilliseconds += performance.now() - started;
    const retry: Message[] = [];
    for (const m of batch) {
      if (!failedIds.has(m.messageId)) continue;
      this.failedDeliveries++;
      m.lastError = reason;
      if (m.receiveCount >= (this.options.maxReceiveCount ?? 5)) {
        this.deadLetters.push({ body: m.body, reason: `${reason} (received ${m.receiveCount} times)`, receiveCount: m.receiveCount });
      } else retry.push(m);
    }
    if (!retry.length) return;
    // Failed messages become visible again together once their visibility timeout has passed.
    this.waiting += retry.length;
    setTimeout(() => {
      this.waiting -= retry.length;
      this.ready.push(...retry);
      this.pump(true);
    }, this.options.redeliveryDelayMs ?? 20);
  }

  private record(m: Message): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: `${m.messageId}:${m.receiveCount}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: 'us-east-1',
    };
  }
}
