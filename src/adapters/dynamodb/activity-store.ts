import { BatchWriteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientDependencyError } from '../../lib/errors';
import type { ActivityStore } from '../../lib/ports';
import type { Activity } from '../../lib/qualification/evaluate';
import { isConditionFailure, keys } from './keys';

const strip = (item: Record<string, unknown>): Activity => {
  const { pk, sk, ...rest } = item;
  return rest as unknown as Activity;
};

/** The activity ledger: `CONTACT#id / ACT#<key>`, one small item per scored activity. */
export class DynamoActivityStore implements ActivityStore {
  constructor(private readonly db: DynamoDBDocumentClient, private readonly table: string) {}

  async put(activities: Activity[]) {
    // Same key, same facts: a plain overwrite is idempotent, so an unconditional batch write is safe.
    const unique = [...new Map(activities.map((a) => [`${a.contactId}|${a.key}`, a])).values()];
    for (let i = 0; i < unique.length; i += 25) {
      let request: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = {
        [this.table]: unique.slice(i, i + 25).map((a) => ({ PutRequest: { Item: { ...keys.activity(a.contactId, a.key), ...a } } })),
      };
      for (let attempt = 0; request && Object.keys(request).length; attempt++) {
        // Unprocessed items are throttling: back off, and past a few tries let the batch come back later.
        if (attempt >= 6) throw new TransientDependencyError('DynamoDB left activity writes unprocessed; retry later');
        if (attempt) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
        const result = await this.db.send(new BatchWriteCommand({ RequestItems: request }));
        request = result.UnprocessedItems as typeof request;
      }
    }
  }

  async putIfAbsent(activity: Activity) {
    try {
      await this.db.send(
        new PutCommand({ TableName: this.table, Item: { ...keys.activity(activity.contactId, activity.key), ...activity }, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async listForContact(contactId: string) {
    const out: Activity[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
          ExpressionAttributeValues: { ':pk': `CONTACT#${contactId}`, ':a': 'ACT#' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(r.Items ?? []).map(strip));
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
