import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { tableKeys } from '../../adapters/dynamodb/table-schema';

/** Starts an in-memory dynalite on a free port with the project's table; for integration tests. */
export async function startDynamo(tableName = 'mql-test') {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: tableKeys.partitionKey, AttributeType: 'S' },
        { AttributeName: tableKeys.sortKey, AttributeType: 'S' },
        { AttributeName: tableKeys.gsi1.partitionKey, AttributeType: 'S' },
        { AttributeName: tableKeys.gsi1.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: tableKeys.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableKeys.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: tableKeys.gsi1.indexName,
          KeySchema: [
            { AttributeName: tableKeys.gsi1.partitionKey, KeyType: 'HASH' },
            { AttributeName: tableKeys.gsi1.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    db,
    tableName,
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
