import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The single DynamoDB table, defined once: the CDK stack and the local runtime (dynalite) both
 * create it from this description. Key layout: docs/architecture.md ("Data model").
 */
export const tableKeys = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Listing index: sharded contact list, campaign list, MQLs per campaign. */
  gsi1: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Expiry attribute (epoch seconds) for dead letters and idempotency records. */
  ttlAttribute: 'expiresAt',
} as const;

/**
 * The table as a CreateTable request, from `tableKeys`: how the local runtime creates it in
 * dynalite (the CDK stack declares the same keys and index in infra/aws/stateful-resources.ts).
 * (TTL is not part of CreateTable: the stack turns it on with `ttlAttribute`; locally nothing expires.)
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, gsi1 } = tableKeys;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [partitionKey, sortKey, gsi1.partitionKey, gsi1.sortKey].map((AttributeName) => ({
      AttributeName,
      AttributeType: 'S',
    })),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: gsi1.indexName,
        KeySchema: [
          { AttributeName: gsi1.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi1.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
