import { paginatedBatchGet, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { chunk } from '../../lib/common/concurrency';

/**
 * The items stored under `itemKeys`, any number of them: BatchGetItem takes 100 keys at a time, and
 * lib-dynamodb asks again for the keys a batch left unprocessed. Missing items are simply absent.
 */
export async function* batchGetItems(
  db: DynamoDBDocumentClient,
  table: string,
  itemKeys: Record<string, unknown>[],
  options: { ConsistentRead?: boolean; ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> } = {},
): AsyncGenerator<Record<string, unknown>> {
  for (const part of chunk(itemKeys, 100)) {
    for await (const page of paginatedBatchGet({ client: db }, { RequestItems: { [table]: { Keys: part, ...options } } }))
      yield* page.Responses?.[table] ?? [];
  }
}
