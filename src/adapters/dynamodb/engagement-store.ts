import { BatchGetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addCounters, type Counters, type RecipientEngagement } from '../../lib/engagement/recipient';
import type { CampaignDelta, EngagementStore, Page, StoredRecipient } from '../../lib/ports';
import { chunk } from '../../lib/concurrency';
import { decodeCursor, encodeCursor, isConditionFailure, keys } from './keys';

/**
 * Recipient items hold the engagement state as compact JSON (`st`), a version (`v`) for optimistic
 * concurrency, and the deltas not yet known counted (`pd`). Campaign deltas are items of their own
 * in the campaign's partition; a campaign's counters are their sum (docs/engagement.md).
 */
export const recipientKey = (campaignId: string, contactId: string) => `${campaignId}|${contactId}`;

export class DynamoEngagementStore implements EngagementStore {
  constructor(private readonly db: DynamoDBDocumentClient, private readonly table: string) {}

  async getRecipients(refs: { campaignId: string; contactId: string }[]) {
    const out = new Map<string, StoredRecipient>();
    const unique = [...new Map(refs.map((r) => [recipientKey(r.campaignId, r.contactId), r])).values()];
    for (const part of chunk(unique, 100)) {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
        [this.table]: { Keys: part.map((r) => keys.recipient(r.campaignId, r.contactId)), ConsistentRead: true },
      };
      while (request && Object.keys(request).length) {
        const result = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.table] ?? []) {
          const stored = fromItem(item);
          out.set(recipientKey(stored.state.campaignId, stored.state.contactId), stored);
        }
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return out;
  }

  async putRecipient(recipient: StoredRecipient, expectedVersion: number) {
    const { campaignId, contactId, ...state } = recipient.state;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...keys.recipient(campaignId, contactId),
            v: recipient.version,
            st: JSON.stringify(state),
            pd: Object.keys(recipient.pending).length ? JSON.stringify(recipient.pending) : undefined,
          },
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'v = :expected',
          ExpressionAttributeValues: expectedVersion === 0 ? undefined : { ':expected': expectedVersion },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async existingDeltas(refs: { campaignId: string; deltaId: string }[]) {
    const found = new Set<string>();
    const unique = [...new Map(refs.map((r) => [r.deltaId, r])).values()];
    for (const part of chunk(unique, 100)) {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean; ProjectionExpression: string }> | undefined = {
        [this.table]: { Keys: part.map((r) => keys.delta(r.campaignId, r.deltaId)), ConsistentRead: true, ProjectionExpression: 'sk' },
      };
      while (request && Object.keys(request).length) {
        const result = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.table] ?? []) found.add(String(item.sk).slice('DELTA#'.length));
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return found;
  }

  async putDelta(delta: CampaignDelta) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.delta(delta.campaignId, delta.deltaId), c: delta.counters, lu: delta.linkUrls, at: delta.at },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async campaignCounters(campaignId: string) {
    const counters: Counters = {};
    const linkUrls: Record<string, string> = {};
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
          ExpressionAttributeValues: { ':pk': `CAMPAIGN#${campaignId}`, ':d': 'DELTA#' },
          ProjectionExpression: 'c, lu',
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of result.Items ?? []) {
        addCounters(counters, (item.c ?? {}) as Counters);
        Object.assign(linkUrls, item.lu ?? {});
      }
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return { counters, linkUrls };
  }

  async listRecipients(campaignId: string, cursor?: string): Promise<Page<RecipientEngagement>> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
        ExpressionAttributeValues: { ':pk': `CAMPAIGN#${campaignId}`, ':r': 'RCPT#' },
        ExclusiveStartKey: decodeCursor(cursor),
      }),
    );
    return { items: (result.Items ?? []).map((i) => fromItem(i).state), cursor: encodeCursor(result.LastEvaluatedKey) };
  }
}

function fromItem(item: Record<string, unknown>): StoredRecipient {
  const campaignId = String(item.pk).slice('CAMPAIGN#'.length);
  const contactId = String(item.sk).slice('RCPT#'.length);
  const state = JSON.parse(String(item.st)) as Omit<RecipientEngagement, 'campaignId' | 'contactId'>;
  return {
    state: { campaignId, contactId, ...state },
    version: Number(item.v),
    pending: item.pd ? JSON.parse(String(item.pd)) : {},
  };
}
