import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { Lead } from '../../lib/lead';
import type { LeadStore, Page } from '../../lib/ports';
import { decodeCursor, encodeCursor, isConditionFailure, keys } from './keys';

const strip = (item: Record<string, unknown>): Lead => {
  const { pk, sk, gsi1pk, gsi1sk, notifyClaimedAt, notifyClaimToken, notifyMessageId, ...rest } = item;
  return rest as unknown as Lead;
};

/** One lead item per contact (`CONTACT#id / LEAD`): the conditional put is what makes an MQL once. */
export class DynamoLeadStore implements LeadStore {
  constructor(private readonly db: DynamoDBDocumentClient, private readonly table: string) {}

  async createIfAbsent(lead: Lead) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.lead(lead.contactId), gsi1pk: `MQLS#${lead.campaignId}`, gsi1sk: `${lead.qualifiedAt}#${lead.contactId}`, ...lead },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async get(contactId: string) {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.lead(contactId), ConsistentRead: true }));
    return result.Item ? strip(result.Item) : undefined;
  }

  async listByCampaign(campaignId: string, cursor?: string): Promise<Page<Lead>> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `MQLS#${campaignId}` },
        ExclusiveStartKey: decodeCursor(cursor),
      }),
    );
    return { items: (result.Items ?? []).map(strip), cursor: encodeCursor(result.LastEvaluatedKey) };
  }

  async claimNotification(contactId: string, at: Date, leaseMs: number) {
    // A token of this call, so that the SDK's retry of a claim whose response was lost recognises
    // its own claim (see DynamoSendLedger.claim): otherwise the notification would never be sent.
    const claimToken = randomUUID();
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.lead(contactId),
          UpdateExpression: 'SET notifyClaimedAt = :now, notifyClaimToken = :token',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(notifiedAt) AND (attribute_not_exists(notifyClaimedAt) OR notifyClaimedAt < :expired OR notifyClaimToken = :token)',
          ExpressionAttributeValues: { ':now': at.getTime(), ':expired': at.getTime() - leaseMs, ':token': claimToken },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async markNotified(contactId: string, messageId: string, at: string) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.lead(contactId),
        UpdateExpression: 'SET notifiedAt = :at, notifyMessageId = :m',
        ExpressionAttributeValues: { ':at': at, ':m': messageId },
      }),
    );
  }

  async releaseNotification(contactId: string) {
    await this.db.send(
      new UpdateCommand({ TableName: this.table, Key: keys.lead(contactId), UpdateExpression: 'REMOVE notifyClaimedAt' }),
    );
  }

  async markPublished(contactId: string, at: string) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.lead(contactId),
        UpdateExpression: 'SET publishedAt = if_not_exists(publishedAt, :at)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }

  async anonymise(contactId: string, at: string) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.lead(contactId),
          // The campaign, times, stage and owner stay (MQL counts and sales figures are unchanged);
          // what the reasons and the trigger said about the person (attributes, link) goes.
          UpdateExpression: 'SET reasons = :none, erasedAt = if_not_exists(erasedAt, :at) REMOVE #trigger.linkUrl, #trigger.intent, notifyMessageId',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#trigger': 'trigger' },
          ExpressionAttributeValues: { ':none': [], ':at': at },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
