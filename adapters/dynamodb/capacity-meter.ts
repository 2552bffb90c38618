import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Capacity DynamoDB reported, summed by kind, with the request count per operation. */
export interface CapacityTotals {
  writeUnits: number;
  readUnits: number;
  requests: Record<string, number>;
  /** Conditional writes whose condition failed: billed all the same (included in `writeUnits`). */
  failedConditionalWrites: number;
}

const writes = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/**
 * An SDK middleware that asks DynamoDB for the capacity each request consumed
 * (`ReturnConsumedCapacity: TOTAL`) and adds it up: counted, not estimated. Used by the benchmark;
 * cheap enough to leave on where the figures are wanted as metrics.
 *
 * A conditional write whose condition fails answers with an error that reports no capacity, yet
 * DynamoDB bills it: "If a conditional write fails, DynamoDB still consumes write capacity", the
 * larger of the existing and the new item's size
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html).
 * Each is counted as one write unit, the least it can cost; the items it happens to (recipients,
 * claims) are under 1 KB.
 */
export function meterCapacity(client: DynamoDBClient): CapacityTotals {
  const totals: CapacityTotals = { writeUnits: 0, readUnits: 0, requests: {}, failedConditionalWrites: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity ??= 'TOTAL';
      totals.requests[operation] = (totals.requests[operation] ?? 0) + 1;
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } catch (error) {
        if (writes.has(operation) && (error as Error).name === 'ConditionalCheckFailedException') {
          totals.writeUnits += 1;
          totals.failedConditionalWrites++;
        }
        throw error;
      }
      const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }).ConsumedCapacity;
      const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
      if (writes.has(operation)) totals.writeUnits += units;
      else totals.readUnits += units;
      return result;
    },
    { step: 'initialize', name: 'mqlCapacityMeter' },
  );
  return totals;
}
