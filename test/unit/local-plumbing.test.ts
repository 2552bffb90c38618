import type { SQSEvent } from 'aws-lambda';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leadQualifiedPattern, sesEventsPattern } from '../../infra/event-patterns';
import { matchesPattern } from '../../infra/local/event-bus';
import { LocalQueue } from '../../infra/local/queue';

const fixtureDir = join(__dirname, '../fixtures/ses-eventbridge');
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')));

describe('the local EventBridge pattern matcher', () => {
  it('routes every SES fixture of our configuration set and none of another', () => {
    expect(fixtures.every((e) => matchesPattern(sesEventsPattern('mql-pipeline-events'), e))).toBe(true);
    expect(fixtures.some((e) => matchesPattern(sesEventsPattern('someone-else'), e))).toBe(false);
    expect(fixtures.some((e) => matchesPattern(leadQualifiedPattern, e))).toBe(false);
  });

  it('supports prefix, exists and anything-but', () => {
    const event = { source: 'aws.ses', detail: { a: 'hello', list: ['x', 'y'] } };
    expect(matchesPattern({ detail: { a: [{ prefix: 'hel' }] } } as never, event)).toBe(true);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } } as never, event)).toBe(true);
    expect(matchesPattern({ detail: { a: [{ exists: false }] } } as never, event)).toBe(false);
    expect(matchesPattern({ detail: { a: [{ 'anything-but': ['hello'] }] } } as never, event)).toBe(false);
    expect(matchesPattern({ detail: { list: ['y'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { nope: ['y'] } }, event)).toBe(false);
  });
});

describe('the local SQS queue', () => {
  it('delivers in batches, redelivers only the failed messages, and dead-letters a poison message with its reason', async () => {
    const seen: string[][] = [];
    const queue = new LocalQueue({
      name: 'q',
      batchSize: 4,
      maxReceiveCount: 3,
      redeliveryDelayMs: 1,
      consumer: async (event: SQSEvent) => {
        seen.push(event.Records.map((r) => r.body));
        return {
          batchItemFailures: event.Records.filter(
            (r) => r.body === 'poison' || (r.body === 'flaky' && r.attributes.ApproximateReceiveCount === '1'),
          ).map((r) => ({ itemIdentifier: r.messageId })),
        };
      },
    });
    await queue.send(['a', 'b', 'flaky', 'poison', 'c']);
    await queue.drain();
    expect(seen[0]).toEqual(['a', 'b', 'flaky', 'poison']);
    expect(seen.flat().filter((b) => b === 'a')).toHaveLength(1);
    expect(seen.flat().filter((b) => b === 'flaky')).toHaveLength(2);
    expect(seen.flat().filter((b) => b === 'poison')).toHaveLength(3);
    expect(queue.deadLetters).toEqual([{ body: 'poison', reason: 'reported as a batch item failure (received 3 times)', receiveCount: 3 }]);
    expect(queue.failedDeliveries).toBe(4); // flaky once, poison three times
  });

  it('fails the whole batch when the consumer throws', async () => {
    let calls = 0;
    const queue = new LocalQueue({
      name: 'q',
      batchSize: 10,
      maxReceiveCount: 2,
      redeliveryDelayMs: 1,
      consumer: async () => {
        calls++;
        throw new Error('crash');
      },
    });
    await queue.send(['a', 'b']);
    await queue.drain();
    expect(calls).toBe(2);
    expect(queue.failedDeliveries).toBe(4);
    expect(queue.deadLetters.map((d) => d.reason)).toEqual([
      'the consumer threw: crash (received 2 times)',
      'the consumer threw: crash (received 2 times)',
    ]);
  });

  it('waits for a batch to fill within its batching window', async () => {
    const sizes: number[] = [];
    const queue = new LocalQueue({
      name: 'q',
      batchSize: 100,
      batchWindowMs: 30,
      consumer: async (e) => void sizes.push(e.Records.length),
    });
    for (let i = 0; i < 50; i++) await queue.send([String(i)]);
    await queue.drain();
    expect(sizes).toEqual([50]);
    expect(queue.invocations).toBe(1);
  });
});
