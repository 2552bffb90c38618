import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { SendLedger } from '../../lib/ports';
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
}
