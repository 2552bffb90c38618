import { BatchGetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { chunk } from '../../lib/concurrency';
import type { SendLedger, SendRecord } from '../../lib/ports';
import { isConditionFailure, keys } from './keys';

/** One item per recipient per campaign: `claimedAt` → `sentAt` (with the SES message id) or `failedAt`. */
export class DynamoSendLedger implements SendLedger {
  constructor(private readonly db: DynamoDBDocumentClient, private readonly table: string) {}

  async claim(campaignId: string, contactId: string, at: Date, leaseMs: number) {
    // The claim carries a token of this call. If DynamoDB applied the claim but its response was
    // lost, the SDK retries the identical request: the token lets that retry see its own claim
    // (instead of a stranger's) and succeed, so the recipient is not skipped.
    const claimToken = randomUUID();
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.send(campaignId, contactId),
          UpdateExpression: 'SET claimedAt = :now, claimToken = :token',
          ConditionExpression:
            'attribute_not_exists(sentAt) AND attribute_not_exists(failedAt) AND (attribute_not_exists(claimedAt) OR claimedAt < :expired OR claimToken = :token)',
          ExpressionAttributeValues: { ':now': at.getTime(), ':expired': at.getTime() - leaseMs, ':token': claimToken },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async markSent(campaignId: string, contactId: string, messageId: string, at: string) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.send(campaignId, contactId),
        UpdateExpression: 'SET sentAt = :at, messageId = :m',
        ExpressionAttributeValues: { ':at': at, ':m': messageId },
      }),
    );
  }

  async markFailed(campaignId: string, contactId: string, reason: string, at: string) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.send(campaignId, contactId),
        UpdateExpression: 'SET failedAt = :at, failure = :r',
        ExpressionAttributeValues: { ':at': at, ':r': reason.slice(0, 500) },
      }),
    );
  }

  async release(campaignId: string, contactId: string) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.send(campaignId, contactId),
        UpdateExpression: 'REMOVE claimedAt',
        ConditionExpression: 'attribute_not_exists(sentAt)',
      }),
    ).catch((error) => {
      if (!isConditionFailure(error)) throw error;
    });
  }

  async records(refs: { campaignId: string; contactId: string }[]) {
    const out = new Map<string, SendRecord>();
    const unique = [...new Map(refs.map((r) => [`${r.campaignId}|${r.contactId}`, r])).values()];
    for (const part of chunk(unique, 100)) {
      let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
        [this.table]: { Keys: part.map((r) => keys.send(r.campaignId, r.contactId)) },
      };
      while (request && Object.keys(request).length) {
        const result = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.table] ?? []) {
          const { pk, sk, ...record } = item;
          out.set(`${String(pk).slice('CAMPAIGN#'.length)}|${String(sk).slice('SEND#'.length)}`, record as SendRecord);
        }
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return out;
  }

  async forget(campaignId: string, contactId: string) {
    await this.db.send(
      new UpdateCommand({ TableName: this.table, Key: keys.send(campaignId, contactId), UpdateExpression: 'REMOVE messageId, failure', ConditionExpression: 'attribute_exists(pk)' }),
    ).catch((error) => {
      if (!isConditionFailure(error)) throw error;
    });
  }
}
