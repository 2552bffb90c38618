import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RoutingStore, StoredRouting } from '../../lib/qualification/ports';
import { isConditionFailure, keys } from './keys';

/** Routing rules (`ROUTING / RULES`, revision-checked) and one round-robin counter per team. */
export class DynamoRoutingStore implements RoutingStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get() {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.routing(), ConsistentRead: true }));
    if (!r.Item) return undefined;
    const { pk, sk, ...rest } = r.Item;
    return rest as StoredRouting;
  }

  async put(routing: StoredRouting, expectedRevision: number) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.routing(), ...routing },
          ConditionExpression: expectedRevision ? 'revision = :r' : 'attribute_not_exists(pk)',
          ExpressionAttributeValues: expectedRevision ? { ':r': expectedRevision } : undefined,
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A retried put whose first attempt took effect unanswered finds its own write.
      const stored = await this.get();
      return stored?.revision === routing.revision && stored.updatedAt === routing.updatedAt;
    }
  }

  async nextTurn(team: string) {
    const r = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.routingTurn(team),
        UpdateExpression: 'ADD turns :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(r.Attributes?.turns ?? 1) - 1;
  }
}
