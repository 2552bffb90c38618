import { PutCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../../lib/common/concurrency';
import type { ActivityStore } from '../../lib/qualification/ports';
import { sealedActivity, type Activity } from '../../lib/qualification/evaluate';
import { isConditionFailure, keys } from './keys';

const strip = (item: Record<string, unknown>): Activity => {
  const { pk, sk, ...rest } = item;
  return rest as unknown as Activity;
};

/** The activity ledger: `CONTACT#id / ACT#<key>`, one small item per scored activity. */
export class DynamoActivityStore implements ActivityStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(activities: Activity[]) {
    // Same key, same facts: a plain overwrite is idempotent. Single PutItems, not BatchWriteItem:
    // the functions are not granted BatchWriteItem, which would also allow deletes (docs/infrastructure.md).
    const unique = [...new Map(activities.map((a) => [`${a.contactId}|${a.key}`, a])).values()];
    await mapWithConcurrency(unique, 8, (a) =>
      this.db.send(new PutCommand({ TableName: this.table, Item: { ...keys.activity(a.contactId, a.key), ...a } })),
    );
  }

  async putIfAbsent(activity: Activity) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.activity(activity.contactId, activity.key), ...activity },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async erase(contactId: string, at: string) {
    const all = await this.listForContact(contactId);
    await this.put(all.map((a) => sealedActivity(a, at)));
    return all.length;
  }

  async listForContact(contactId: string) {
    const out: Activity[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
        ExpressionAttributeValues: { ':pk': `CONTACT#${contactId}`, ':a': 'ACT#' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) out.push(...(page.Items ?? []).map(strip));
    return out;
  }
}
