import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyStore, Reservation, StoredAnswer } from '../../lib/common/idempotency';
import { tableKeys } from './table-schema';

const keyOf = (scope: string, key: string) => ({ pk: `IDEMPOTENCY#${key}`, sk: scope });
/**
 * Keys are also listed in the index by the day they expire, so an erasure can find the answers that
 * name the person without a scan. DynamoDB deletes expired items "typically within two days of
 * expiration" (API reference, UpdateTimeToLive) and reads still return them until then: erasure
 * reads this far back, with a margin.
 */
const byExpiryDay = (expiresAt: number) => `IDEMPOTENCY#${new Date(expiresAt * 1000).toISOString().slice(0, 10)}`;
const TTL_LAG_DAYS = 14;

/** Idempotency keys as items that expire (TTL) a day after their request. */
export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async reserve(scope: string, key: string, fingerprint: string, expiresAt: number): Promise<Reservation> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...keyOf(scope, key),
            [tableKeys.gsi1.partitionKey]: byExpiryDay(expiresAt),
            [tableKeys.gsi1.sortKey]: `${key}#${scope}`,
            fingerprint,
            state: 'pending',
            [tableKeys.ttlAttribute]: expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { state: 'reserved' };
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
    const found = (await this.db.send(new GetCommand({ TableName: this.table, Key: keyOf(scope, key), ConsistentRead: true }))).Item;
    if (!found) return this.reserve(scope, key, fingerprint, expiresAt); // released meanwhile
    return found.state === 'done'
      ? { state: 'done', fingerprint: found.fingerprint, answer: found.answer as StoredAnswer }
      : { state: 'pending', fingerprint: found.fingerprint };
  }

  async complete(scope: string, key: string, answer: StoredAnswer): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keyOf(scope, key),
        UpdateExpression: 'SET #state = :done, answer = :answer',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':done': 'done', ':answer': answer },
      }),
    );
  }

  async release(scope: string, key: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: keyOf(scope, key) }));
  }

  async redactAnswers(redact: (json: string) => string | undefined) {
    let redacted = 0;
    const now = Date.now() / 1000;
    // Keys expire within a day of their request: from tomorrow back through the TTL's lag.
    for (let d = -1; d <= TTL_LAG_DAYS; d++) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.db.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: tableKeys.gsi1.indexName,
            KeyConditionExpression: '#p = :p',
            ExpressionAttributeNames: { '#p': tableKeys.gsi1.partitionKey },
            ExpressionAttributeValues: { ':p': byExpiryDay(now - d * 86_400) },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) if (item.answer !== undefined && (await this.redactOne(item, redact))) redacted++;
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return redacted;
  }

  private async redactOne(item: Record<string, unknown>, redact: (json: string) => string | undefined) {
    const text = redact(JSON.stringify(item.answer));
    if (text === undefined) return false;
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: 'SET answer = :answer',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':answer': JSON.parse(text) },
        }),
      )
      .catch((error) => {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error; // released meanwhile
      });
    return true;
  }
}
