import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../lib/common/concurrency';
import type { EngagementEvent } from '../lib/engagement/ses-event';
import type { LocalRuntime } from '../infra/local/runtime';

/**
 * The naive design, measured rather than assumed: EventBridge invokes a function per SES event,
 * which (1) puts the event's id with a condition (a duplicate stops there), (2) updates the
 * recipient's item (flags, and its own open and click totals), and (3) when that flips a flag,
 * adds one to the campaign's counter. Totals are read by summing the campaign's recipients.
 * Written for the benchmark only; it runs on a stand-in of the same kind as the pipeline's.
 */
const table = 'mql-pipeline';
const flagOf: Partial<Record<EngagementEvent['type'], string>> = {
  send: 'sent',
  delivery: 'delivered',
  bounce: 'bounced',
  complaint: 'complained',
  open: 'opened',
  click: 'clicked',
};

export interface NaiveCounts {
  sent: number;
  delivered: number;
  bounced: number;
  complained: number;
  uniqueOpens: number;
  uniqueClicks: number;
  totalOpens: number;
  totalClicks: number;
}

/** One invocation: what the naive function does with one event. */
async function handle(db: DynamoDBDocumentClient, e: EngagementEvent): Promise<void> {
  try {
    await db.send(
      new PutCommand({
        TableName: table,
        Item: { pk: `NAIVE#E#${e.key}`, sk: 'E' },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return;
    throw error;
  }
  const flag = flagOf[e.type];
  if (!flag) return;
  // A click implies an open (images blocked), as the pipeline counts it: both flags flip.
  const flags = e.type === 'click' ? [flag, 'opened'] : [flag];
  const total = e.type === 'open' ? 'opens' : e.type === 'click' ? 'clicks' : undefined;
  const { Attributes: before = {} } = await db.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: `NAIVE#R#${e.campaignId}`, sk: e.contactId },
      UpdateExpression: `SET ${flags.map((_, i) => `#f${i} = :t`).join(', ')}${total ? ' ADD #total :one' : ''}`,
      ExpressionAttributeNames: { ...Object.fromEntries(flags.map((f, i) => [`#f${i}`, f])), ...(total ? { '#total': total } : {}) },
      ExpressionAttributeValues: { ':t': true, ...(total ? { ':one': 1 } : {}) },
      ReturnValues: 'UPDATED_OLD',
    }),
  );
  const flipped = flags.filter((f) => before[f] !== true);
  if (!flipped.length) return;
  await db.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: `NAIVE#C#${e.campaignId}`, sk: 'C' },
      UpdateExpression: `ADD ${flipped.map((_, i) => `#c${i} :one`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(flipped.map((f, i) => [`#c${i}`, f])),
      ExpressionAttributeValues: { ':one': 1 },
    }),
  );
}

/**
 * Invokes the naive function once per event, `concurrency` at a time (EventBridge invokes
 * asynchronously, many at once); answers the summed handler time, which Lambda would bill.
 */
export async function runNaive(
  runtime: LocalRuntime,
  events: EngagementEvent[],
  concurrency = 8,
): Promise<{ handlerMilliseconds: number }> {
  const db = DynamoDBDocumentClient.from(runtime.clients.dynamodb);
  let handlerMilliseconds = 0;
  await mapWithConcurrency(events, concurrency, async (e) => {
    const t = performance.now();
    await handle(db, e);
    handlerMilliseconds += performance.now() - t;
  });
  return { handlerMilliseconds };
}

/** The campaign's figures as the naive design reads them: its counter item plus a sum over its recipients. */
export async function naiveCounts(runtime: LocalRuntime, campaignId: string): Promise<NaiveCounts> {
  const db = DynamoDBDocumentClient.from(runtime.clients.dynamodb);
  const counter = await db.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `NAIVE#C#${campaignId}` },
    }),
  );
  const c = (counter.Items?.[0] ?? {}) as Record<string, number>;
  let totalOpens = 0;
  let totalClicks = 0;
  const pages = paginateQuery(
    { client: db },
    { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `NAIVE#R#${campaignId}` } },
  );
  for await (const page of pages)
    for (const r of page.Items ?? []) {
      // No total below its unique: a recipient who clicked without an Open event opened once.
      totalOpens += Math.max(Number(r.opens ?? 0), r.opened ? 1 : 0);
      totalClicks += Number(r.clicks ?? 0);
    }
  return {
    sent: c.sent ?? 0,
    delivered: c.delivered ?? 0,
    bounced: c.bounced ?? 0,
    complained: c.complained ?? 0,
    uniqueOpens: c.opened ?? 0,
    uniqueClicks: c.clicked ?? 0,
    totalOpens,
    totalClicks,
  };
}
