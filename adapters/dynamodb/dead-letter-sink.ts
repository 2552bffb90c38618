import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeadLetter, DeadLetterSink } from '../../lib/engagement/ports';
import { tableKeys } from './table-schema';

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
            pk: `DEADLETTER#${letter.at.slice(0, 10)}`,
            sk: `${letter.at}#${letter.eventId ?? Math.random().toString(36).slice(2)}`,
            ...letter,
            body: letter.body.slice(0, 8_000),
            [tableKeys.ttlAttribute]: Math.floor(Date.parse(letter.at) / 1000) + this.retentionDays * 86_400,
          },
        }),
      );
    }
  }
}
