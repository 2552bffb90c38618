import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import dynalite from 'dynalite';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import sesModule from 'aws-ses-v2-local';
import { createTableInput } from '../../adapters/dynamodb/table-schema';

/**
 * The embedded AWS stand-ins (docs/architecture.md): dynalite, aws-ses-v2-local and s3rver, in this
 * process, on loopback. Port 0 picks free ports so tests can run side by side.
 */
export interface StandIns {
  endpoints: { dynamodb: string; ses: string; s3: string };
  stop(): Promise<void>;
}

const region = 'us-east-1';
// s3rver accepts only its well-known development key; the other stand-ins accept any.
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** SDK v3 client configuration for a stand-in endpoint. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region,
    credentials,
    // The SES stand-in hangs on calls it does not implement: never wait forever.
    requestHandler: new NodeHttpHandler({ requestTimeout: 10_000, connectionTimeout: 2_000 }),
  };
}

/** S3 on s3rver: path-style, and checksums only when required (else streamed uploads are stored corrupted). */
export function localS3Config(endpoint: string) {
  return {
    ...localClientConfig(endpoint),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  };
}

const listen = (server: Server, port: number) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

export async function startStandIns(
  options: { dataDir?: string; ports?: { dynamodb?: number; ses?: number; s3?: number } } = {},
): Promise<StandIns> {
  const dataDir = options.dataDir;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const dynamo = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dataDir ? { path: join(dataDir, 'dynamodb') } : {}),
  });
  const dynamoPort = await listen(dynamo, options.ports?.dynamodb ?? 0);

  // CommonJS default export: under ESM interop it may arrive wrapped once more.
  const sesServer = ((sesModule as unknown as { default?: typeof sesModule }).default ?? sesModule) as typeof sesModule;
  const ses = await sesServer({ host: '127.0.0.1', port: options.ports?.ses ?? 0 });
  if (!ses.listening) await new Promise((resolve) => ses.once('listening', resolve));
  const sesPort = (ses.address() as AddressInfo).port;

  const s3Dir = dataDir ? join(dataDir, 's3') : mkdtempSync(join(tmpdir(), 'mql-s3-'));
  mkdirSync(s3Dir, { recursive: true });
  const s3 = new S3rver({ address: '127.0.0.1', port: options.ports?.s3 ?? 0, silent: true, directory: s3Dir });
  const { port: s3Port } = await s3.run();

  return {
    endpoints: {
      dynamodb: `http://127.0.0.1:${dynamoPort}`,
      ses: `http://127.0.0.1:${sesPort}`,
      s3: `http://127.0.0.1:${s3Port}`,
    },
    async stop() {
      await Promise.all([
        new Promise<void>((resolve) => dynamo.close(() => resolve())),
        new Promise<void>((resolve) => {
          ses.closeAllConnections?.();
          ses.close(() => resolve());
        }),
        s3.close(),
      ]);
      if (!dataDir) rmSync(s3Dir, { recursive: true, force: true });
    },
  };
}

/** Creates the project's table from the shared schema (the CDK stack declares the same keys and index). */
export async function createTable(client: DynamoDBClient, tableName: string) {
  await client.send(new CreateTableCommand(createTableInput(tableName))).catch((error) => {
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error; // kept from an earlier run
  });
}

export async function createBucket(client: S3Client, bucket: string) {
  await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error) => {
    const name = (error as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  });
}

export { DynamoDBClient };
