import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildAdapters } from '../adapters/build-adapters';
import { buildApp, type App } from '../lib/app';
import { configSchema, envNames, type AppConfig } from '../lib/config';
import { tracer } from './instrumented';

/**
 * The AWS composition root: clients are made once per container (module scope) and reused across
 * invocations; configuration comes from the environment the CDK stack sets, and fails fast naming
 * the missing variable. The unsubscribe key is read from Secrets Manager at cold start, by the
 * functions that are given it.
 */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
}

// Each SDK call becomes an X-Ray subsegment (a no-op when tracing is off).
const traced = <T>(client: T) => tracer.captureAWSv3Client(client);
const clients = {
  dynamodb: DynamoDBDocumentClient.from(traced(new DynamoDBClient({})), { marshallOptions: { removeUndefinedValues: true } }),
  // One attempt per call: the sender retries through its pacer (a hidden SDK retry would bypass
  // the send schedule, and a retried timeout could mail someone twice).
  ses: traced(new SESv2Client({ maxAttempts: 1 })),
  sqs: traced(new SQSClient({})),
  eventBridge: traced(new EventBridgeClient({})),
  s3: traced(new S3Client({})),
  lambda: traced(new LambdaClient({})),
};

/** The unsubscribe key, for the functions given its ARN (api, sender); the others may not read it. */
async function unsubscribeSecret(): Promise<string | undefined> {
  const arn = process.env[envNames.unsubscribeSecretArn];
  if (!arn) return undefined;
  const secret = await traced(new SecretsManagerClient({})).send(new GetSecretValueCommand({ SecretId: arn }));
  if (!secret.SecretString) throw new Error(`the secret ${arn} has no string value`);
  return secret.SecretString;
}

async function loadConfig(): Promise<AppConfig> {
  return configSchema.parse({
    tableName: required(envNames.tableName),
    reportBucket: required(envNames.reportBucket),
    sendQueueUrl: required(envNames.sendQueueUrl),
    projectBusName: required(envNames.projectBusName),
    configurationSetName: required(envNames.configurationSetName),
    salesInbox: required(envNames.salesInbox),
    marketingInbox: process.env[envNames.marketingInbox] || undefined,
    notificationFrom: required(envNames.notificationFrom),
    senderDomain: process.env[envNames.senderDomain] || undefined,
    unsubscribeBaseUrl: required(envNames.unsubscribeBaseUrl),
    unsubscribeMailto: required(envNames.unsubscribeMailto),
    unsubscribeSecret: await unsubscribeSecret(),
    maxSendRate: process.env[envNames.maxSendRate] ? Number(process.env[envNames.maxSendRate]) : undefined,
    reportBands: process.env[envNames.reportBands] ? JSON.parse(process.env[envNames.reportBands]!) : undefined,
    reportFunctionName: process.env[envNames.reportFunctionName] || undefined,
    accountId: process.env[envNames.accountId] || undefined,
    events: process.env[envNames.eventWindowDays] ? { windowDays: Number(process.env[envNames.eventWindowDays]) } : {},
    freshnessHours: process.env[envNames.freshnessHours] ? Number(process.env[envNames.freshnessHours]) : undefined,
  });
}

let app: Promise<App> | undefined;

/** The application for this container, built on first use. */
export function awsApp(): Promise<App> {
  app ??= loadConfig()
    .then((config) => buildApp(buildAdapters(clients, config), config))
    .catch((error) => {
      app = undefined; // let the next invocation try again rather than fail forever
      throw error;
    });
  return app;
}
