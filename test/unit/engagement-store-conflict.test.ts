import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoEngagementStore } from '../../adapters/dynamodb/engagement-store';
import { emptyRecipient } from '../../lib/engagement/recipient';

/**
 * A recipient write that loses a race asks DynamoDB for the item that won
 * (ReturnValuesOnConditionCheckFailure: ALL_OLD), so the loser need not read it again. dynalite
 * accepts the parameter but sends no item back, so this path is checked against a mocked client
 * answering as DynamoDB does: the item rides on the exception, in DynamoDB's own format.
 */
const documents = mockClient(DynamoDBDocumentClient);
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const store = new DynamoEngagementStore(db, 'mql-pipeline');
const mine = { state: { ...emptyRecipient('cmp_1', 'ct2_a'), sentAt: '2026-03-02T14:00:00.000Z' }, version: 3, pending: {} };

beforeEach(() => documents.reset());

describe('a recipient write that loses the race', () => {
  it('hands back the item that won, read from the refusal', async () => {
    documents.on(PutCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: {
          pk: { S: 'CAMPAIGN#cmp_1' },
          sk: { S: 'RCPT#ct2_a' },
          v: { N: '3' },
          wt: { S: 'other' },
          st: { S: JSON.stringify({ seen: ['k1'], sentAt: '2026-03-02T14:00:00.000Z', opens: [[1772460000, '']], clicks: [] }) },
          pd: { S: JSON.stringify({ d_1: { counters: { uniqueOpens: 1 }, at: 1 } }) },
        },
      }),
    );
    const write = await store.putRecipient(mine, 2);

    expect(documents.commandCalls(PutCommand)[0]!.args[0].input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(write).toEqual({
      written: false,
      current: {
        state: {
          campaignId: 'cmp_1',
          contactId: 'ct2_a',
          seen: ['k1'],
          sentAt: '2026-03-02T14:00:00.000Z',
          opens: [[1772460000, '']],
          clicks: [],
        },
        version: 3,
        pending: { d_1: { counters: { uniqueOpens: 1 }, at: 1 } },
      },
    });
  });

  it('reports the conflict without an item when the store sends none, as dynalite does', async () => {
    documents.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    expect(await store.putRecipient(mine, 2)).toEqual({ written: false, current: undefined });
  });
});
