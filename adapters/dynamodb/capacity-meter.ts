import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Capacity DynamoDB reported, summed by kind, with the request count per operation. */
export interface CapacityTotals {
  writeUnits: number;
  readUnits: number;
  requests: Record<string, number>;
}

const writes = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/**
 * An SDK middleware that asks DynamoDB for the capacity each request consumed
 * (`ReturnConsumedCapacity: TOTAL`) and adds it up: counted, not estimated. Used by the benchmark;
 * cheap enough to leave on where the figures are wanted as metrics.
 */
export function meterCapacity(client: DynamoDBClient): CapacityTotals {
  const totals: CapacityTotals = { writeUnits: 0, readUnits: 0, requests: {} };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const result = await next(args);
      totals.requests[operation] = (totals.requests[operation] ?? 0) + 1;
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
