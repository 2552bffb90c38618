import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { buildAdapters } from '../../adapters/build-adapters';
import { configSchema } from '../../lib/config';

const region = 'eu-west-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const config = configSchema.parse({
  tableName: 't',
  reportBucket: 'b',
  sendQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
  projectBusName: 'p',
  configurationSetName: 'c',
  salesInbox: 'sales@acme.example',
  notificationFrom: 'MQL <mql@acme.example>',
  unsubscribeBaseUrl: 'https://acme.example/u',
  unsubscribeMailto: 'u@acme.example',
  unsubscribeSecret: 'x'.repeat(32),
});

describe("the SDK's own call logger", () => {
  it('is taken out of every client the adapters use, the document client and the client under it alike', () => {
    const base = new DynamoDBClient({ region, credentials });
    const clients = {
      dynamodb: DynamoDBDocumentClient.from(base),
      ses: new SESv2Client({ region, credentials }),
      sqs: new SQSClient({ region, credentials }),
      eventBridge: new EventBridgeClient({ region, credentials }),
      s3: new S3Client({ region, credentials }),
    };
    const stacks = [base, ...Object.values(clients)].map((c) => c.middlewareStack.identify().join(' '));
    expect(stacks.every((s) => s.includes('loggerMiddleware'))).toBe(true); // there by default: what this removes

    buildAdapters(clients, config);
    for (const c of [base, ...Object.values(clients)]) {
      const names = c.middlewareStack.identify().join(' ');
      expect(names).not.toContain('loggerMiddleware');
      expect(names).toContain('retryMiddleware'); // the rest of the stack stays
    }
  });
});
