import { randomUUID } from 'node:crypto';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReviewMailLog } from '../../lib/review/ports';
import { isConditionFailure } from './keys';

/** `REVIEWMAIL#<criteriaId>|<period>|<inbox>` / `MAIL`: one item per review email, claimed, then marked sent. */
const keyOf = (key: string) => ({ pk: `REVIEWMAIL#${key}`, sk: 'MAIL' });

/**
 * The review emails sent: a conditional claim (nobody sent it, nobody holds a fresh claim) before
 * SES, the message id after. The claim carries a token so that the SDK's retry of a claim whose
 * answer was lost recognises its own claim (as DynamoLeadStore.claimNotification does).
 */
export class DynamoReviewMailLog implements ReviewMailLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async claim(key: string, at: Date, leaseMs: number) {
    const token = randomUUID();
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(key),
          UpdateExpression: 'SET claimedAt = :now, claimToken = :token',
          ConditionExpression:
            'attribute_not_exists(sentAt) AND (attribute_not_exists(claimedAt) OR claimedAt < :expired OR claimToken = :token)',
          ExpressionAttributeValues: { ':now': at.getTime(), ':expired': at.getTime() - leaseMs, ':token': token },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async markSent(key: string, messageId: string, at: string) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keyOf(key),
        UpdateExpression: 'SET sentAt = :at, messageId = :m REMOVE claimToken',
        ExpressionAttributeValues: { ':at': at, ':m': messageId },
      }),
    );
  }

  /** Frees the claim (an UpdateItem: no function is granted DeleteItem). */
  async release(key: string) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(key),
          UpdateExpression: 'REMOVE claimedAt, claimToken',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sentAt)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
