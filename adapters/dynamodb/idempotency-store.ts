import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyStore, Reservation, StoredAnswer } from '../../lib/common/idempotency';
import { tableKeys } from './table-schema';

const keyOf = (scope: string, key: string) => ({ pk: `IDEMPOTENCY#${key}`, sk: scope });

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
          Item: { ...keyOf(scope, key), fingerprint, state: 'pending', [tableKeys.ttlAttribute]: expiresAt },
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
}
