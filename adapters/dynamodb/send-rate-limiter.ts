import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientDependencyError } from '../../lib/common/errors';
import { bookSends } from '../../lib/sending/pacing';
import type { SendRateLimiter } from '../../lib/sending/ports';
import { isConditionFailure, keys } from './keys';

/**
 * The shared send schedule (lib/sending/pacing.ts) in one DynamoDB item, booked with conditional
 * writes and no read: while senders are busy, one `tat = tat + cost` per call; after an idle spell,
 * a reset to now. One write unit per SES call, whatever the number of concurrent senders.
 */
export class DynamoSendRateLimiter implements SendRateLimiter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async reserve(count: number, perSecond: number, now: number) {
    const interval = 1000 / perSecond;
    const cost = count * interval;
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        const result = await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: keys.sendRate(),
            UpdateExpression: 'SET tat = tat + :cost',
            ConditionExpression: 'tat >= :floor',
            ExpressionAttributeValues: { ':cost': cost, ':floor': now - interval },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        return Number(result.Attributes!.tat) - interval;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      // Idle (or never used): the schedule restarts now.
      const { tat, sendAt } = bookSends(undefined, now, count, perSecond);
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: keys.sendRate(),
            UpdateExpression: 'SET tat = :tat',
            ConditionExpression: 'attribute_not_exists(tat) OR tat < :floor',
            ExpressionAttributeValues: { ':tat': tat, ':floor': now - interval },
          }),
        );
        return sendAt;
      } catch (error) {
        if (!isConditionFailure(error)) throw error; // another sender restarted it: book after theirs
      }
    }
    throw new TransientDependencyError('could not book a send slot: the send schedule is contended');
  }
}
