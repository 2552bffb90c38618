import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeadLetter, DeadLetterSink } from '../../lib/engagement/ports';
import { tableKeys } from './table-schema';

/**
 * DynamoDB deletes expired items "typically within two days of expiration" (API reference,
 * UpdateTimeToLive) and reads still return them until then: erasure also reads this many days past
 * the retention, with a margin.
 */
const TTL_LAG_DAYS = 14;

const dayPartition = (day: string) => `DEADLETTER#${day}`;

/** Events we could not understand, kept with their reason for diagnosis and expired after a fortnight. */
export class DynamoDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays = 14,
  ) {}

  async put(letters: DeadLetter[]) {
    for (const letter of letters) {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: dayPartition(letter.at.slice(0, 10)),
            sk: `${letter.at}#${letter.eventId ?? Math.random().toString(36).slice(2)}`,
            ...letter,
            body: letter.body.slice(0, 8_000),
            [tableKeys.ttlAttribute]: Math.floor(Date.parse(letter.at) / 1000) + this.retentionDays * 86_400,
          },
        }),
      );
    }
  }

  /** One query per day partition that may still hold letters (retention plus TTL lag). */
  async redactBodies(redact: (body: string) => string | undefined) {
    let redacted = 0;
    const today = Date.now();
    for (let d = 0; d <= this.retentionDays + TTL_LAG_DAYS; d++) {
      const pk = dayPartition(new Date(today - d * 86_400_000).toISOString().slice(0, 10));
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) {
          const body = typeof item.body === 'string' ? redact(item.body) : undefined;
          const reason = typeof item.reason === 'string' ? redact(item.reason) : undefined;
          if (body === undefined && reason === undefined) continue;
          await this.db.send(
            new UpdateCommand({
              TableName: this.table,
              Key: { pk: item.pk, sk: item.sk },
              UpdateExpression: 'SET body = :b, reason = :r',
              ExpressionAttributeValues: { ':b': body ?? item.body, ':r': reason ?? item.reason },
            }),
          );
          redacted++;
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return redacted;
  }
}
