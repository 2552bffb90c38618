import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Contact, SuppressionReason } from '../../lib/contact';
import type { ContactStore, Page } from '../../lib/ports';
import { mapWithConcurrency } from '../../lib/concurrency';
import { CONTACT_SHARDS, decodeCursor, encodeCursor, keys } from './keys';

const profileFields = [
  'email', 'firstName', 'lastName', 'company', 'industry', 'companySize', 'country', 'role', 'seniority',
  'region', 'ageBand', 'incomeBand', 'interests', 'contactMe', 'owner',
] as const;

function toContact(item: Record<string, unknown>): Contact {
  const { pk, sk, gsi1pk, gsi1sk, softBounces, ...rest } = item;
  return rest as unknown as Contact;
}

export class DynamoContactStore implements ContactStore {
  constructor(private readonly db: DynamoDBDocumentClient, private readonly table: string) {}

  async upsertMany(contacts: Contact[]) {
    let created = 0;
    let updated = 0;
    await mapWithConcurrency(contacts, 16, async (c) => {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = { ':now': c.updatedAt, ':created': c.createdAt, ':consent': c.consent };
      const sets = ['createdAt = if_not_exists(createdAt, :created)', 'updatedAt = :now', 'contactId = :id', 'gsi1pk = :shard', 'gsi1sk = :id'];
      values[':id'] = c.contactId;
      values[':shard'] = keys.contactShard(c.contactId);
      for (const field of profileFields) {
        if (c[field] === undefined) continue;
        names[`#${field}`] = field;
        values[`:${field}`] = c[field];
        sets.push(`#${field} = :${field}`);
      }
      // Consent once given is kept: an import that says nothing, or false, never clears it
      // (withdrawal goes through unsubscribe, which suppresses).
      sets.push(c.consent ? 'consent = :consent' : 'consent = if_not_exists(consent, :consent)');
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.contact(c.contactId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      if (result.Attributes?.createdAt) updated++;
      else created++;
    });
    return { created, updated };
  }

  async get(contactId: string) {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.contact(contactId) }));
    return result.Item ? toContact(result.Item) : undefined;
  }

  async getMany(contactIds: string[]) {
    const unique = [...new Set(contactIds)];
    const out: Contact[] = [];
    for (let i = 0; i < unique.length; i += 100) {
      let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
        [this.table]: { Keys: unique.slice(i, i + 100).map((id) => keys.contact(id)) },
      };
      while (request && Object.keys(request).length) {
        const result = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.table] ?? []) out.push(toContact(item));
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return out;
  }

  /** Pages through the shards in order; the cursor names the shard and the key within it. */
  async list(cursor?: string, limit = 500): Promise<Page<Contact>> {
    const position = (decodeCursor(cursor) as { shard?: number; key?: Record<string, unknown> } | undefined) ?? {};
    let shard = position.shard ?? 0;
    let startKey = position.key;
    const items: Contact[] = [];
    while (shard < CONTACT_SHARDS && items.length < limit) {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': `CONTACTS#${shard}` },
          ExclusiveStartKey: startKey,
          Limit: limit - items.length,
        }),
      );
      for (const item of result.Items ?? []) items.push(toContact(item));
      if (result.LastEvaluatedKey) startKey = result.LastEvaluatedKey;
      else {
        shard++;
        startKey = undefined;
      }
    }
    const done = shard >= CONTACT_SHARDS;
    return { items, cursor: done ? undefined : encodeCursor({ shard, key: startKey }) };
  }

  async recordTransientBounce(contactId: string, messageId: string) {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.contact(contactId),
          // A string set of message ids: adding the same bounce twice changes nothing.
          UpdateExpression: 'ADD softBounces :m',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':m': new Set([messageId]) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return (result.Attributes?.softBounces as Set<string> | undefined)?.size ?? 0;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return 0; // unknown contact
      throw error;
    }
  }

  async suppress(contactId: string, reason: SuppressionReason, at: string) {
    // The first reason wins and is never overwritten: an unsubscribed contact who later bounces
    // stays "unsubscribed" (both stop sends; the first is what the person did).
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.contact(contactId),
          UpdateExpression: 'SET suppressed = :r, suppressedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(suppressed)',
          ExpressionAttributeValues: { ':r': reason, ':at': at },
        }),
      )
      .catch((error) => {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      });
  }
}
