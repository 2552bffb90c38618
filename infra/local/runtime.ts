import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { randomBytes } from 'node:crypto';
import { buildAdapters } from '../../adapters/build-adapters';
import { SesMailSender } from '../../adapters/ses/mail-sender';
import { buildApp, type Adapters, type App } from '../../lib/app';
import { configSchema, type AppConfig } from '../../lib/config';
import { systemClock, type Clock } from '../../lib/shared/ports';
import { makeApiHandler } from '../../functions/api/handler';
import { makeEngagementHandler } from '../../functions/engagement/handler';
import { makeNotifierHandler } from '../../functions/notifier/handler';
import { makeReportHandler } from '../../functions/report/handler';
import { makeSenderHandler } from '../../functions/sender/handler';
import { leadQualifiedPattern, sesEventsPattern } from '../event-patterns';
import { engagementBatchSize, eventsMaxReceiveCount } from '../queue-settings';
import { LocalEventBus, startEventBridgeEndpoint } from './event-bus';
import { startHttpApi } from './http-api';
import { LocalQueue } from './queue';
import { LocalReportJobs } from './report-jobs';
import { SesPlayback, type DeliveryOutcome } from './ses-playback';
import { startFaultyDynamoEndpoint, type DynamoFaults, type FaultyDynamoEndpoint } from './dynamodb-faults';
import { startRateLimitedSes, type SesTraffic } from './ses-rate-limit';
import { createBucket, createTable, localClientConfig, localS3Config, startStandIns } from './stand-ins';

export interface LocalRuntimeOptions {
  /** API port; 0 picks a free one. @default 0 */
  port?: number;
  /** Keep DynamoDB and S3 data here across runs; in memory when absent. */
  dataDir?: string;
  clock?: Clock;
  /** What the local "mailbox provider" does with each address. @default deliver everything */
  outcome?: (to: string) => DeliveryOutcome;
  /**
   * The pipeline's configured send rate (MAX_SEND_RATE). @default 200 messages per second, or, when
   * `sesMaxSendRate` is set, none: the rate is read from the local SES's GetAccount.
   */
  maxSendRate?: number;
  /** Make the local SES enforce this send rate and throttle above it (infra/local/ses-rate-limit.ts). @default no limit */
  sesMaxSendRate?: number;
  /** Sender tuning (config `sending`), e.g. a short claim lease for tests. */
  sending?: AppConfig['sending'];
  /**
   * Play SES's events (Send, Delivery, opens and clicks through tracked links) for campaign mail.
   * The sending benchmark turns it off to measure the send path alone. @default true
   */
  playSesEvents?: boolean;
  /** Fixed ports for the stand-ins (so SDKs can be configured once); free ports when absent. */
  standInPorts?: { dynamodb?: number; ses?: number; s3?: number; eventBridge?: number };
  /** Faults injected between the adapters and DynamoDB (the fault suite). @default none */
  dynamodbFaults?: DynamoFaults;
  /** On-demand reports above this many recipients run as a background job. @default 25000 */
  syncReportRecipients?: number;
}

export interface LocalRuntime {
  /** The application, and the adapters it runs on for tests, the demo and benchmarks to look behind it (handlers get `App` alone). */
  app: App & { adapters: Adapters };
  apiUrl: string;
  inboxUrl: string;
  eventBridgeUrl: string;
  endpoints: { dynamodb: string; ses: string; s3: string; eventBridge: string };
  sesPlayback: SesPlayback;
  queues: { send: LocalQueue; events: LocalQueue };
  /** Large on-demand reports, run beside the API as the report function would be. */
  reportJobs: LocalReportJobs;
  /** The SDK clients the adapters use (the benchmark meters the DynamoDB one). */
  clients: { dynamodb: DynamoDBClient };
  /** The DynamoDB fault proxy, when `dynamodbFaults` was given: change its faults, read what it injected. */
  dynamodbFaults?: Pick<FaultyDynamoEndpoint, 'set' | 'injected'>;
  /** What the rate-limited local SES saw, when `sesMaxSendRate` is set. */
  sesTraffic?: SesTraffic;
  /** The SES endpoint the pipeline sends through (the rate-limited one when `sesMaxSendRate` is set). */
  sesEndpoint: string;
  buses: { default: LocalEventBus; project: LocalEventBus };
  /** Resolves when every queue and bus is idle (everything sent, recorded and notified). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

const TABLE = 'mql-pipeline';
const BUCKET = 'mql-pipeline-reports';
const CONFIGURATION_SET = 'mql-pipeline-events';
const PROJECT_BUS = 'mql-pipeline';

/**
 * The local composition root: the same adapters and handlers as on AWS, with the SDK clients
 * pointed at the embedded stand-ins, SQS and EventBridge played in-process (routed by the same
 * event patterns the CDK stack deploys), and SES's event publishing played by `SesPlayback`.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const standIns = await startStandIns({ dataDir: options.dataDir, ports: options.standInPorts });
  const clock = options.clock ?? systemClock;

  const setupClient = new DynamoDBClient(localClientConfig(standIns.endpoints.dynamodb));
  await createTable(setupClient, TABLE);
  setupClient.destroy();
  const faultyDynamo: FaultyDynamoEndpoint | undefined = options.dynamodbFaults
    ? await startFaultyDynamoEndpoint(standIns.endpoints.dynamodb, options.dynamodbFaults)
    : undefined;
  const dynamoClient = new DynamoDBClient({
    ...localClientConfig(faultyDynamo?.url ?? standIns.endpoints.dynamodb),
    // Under injected faults: the SDK's three attempts and its retry quota as on AWS, but backoff in
    // milliseconds instead of up to seconds, so the fault suite tests what is retried, not how long.
    ...(faultyDynamo ? { retryStrategy: new ConfiguredRetryStrategy(3, (attempt: number) => 5 * attempt) } : {}),
  });
  const s3 = new S3Client(localS3Config(standIns.endpoints.s3));
  const limitedSes = options.sesMaxSendRate ? await startRateLimitedSes(standIns.endpoints.ses, { maxSendRate: options.sesMaxSendRate }) : undefined;
  // One attempt per call, as on AWS (aws-runtime.ts): the sender retries through its pacer.
  const ses = new SESv2Client({ ...localClientConfig(limitedSes?.url ?? standIns.endpoints.ses), maxAttempts: 1 });
  await createBucket(s3, BUCKET);

  const buses = {
    default: new LocalEventBus('default'),
    // Like a separate EventBridge rule target: the notifier runs beside the engagement handler,
    // not inside its PutEvents call.
    project: new LocalEventBus(PROJECT_BUS, { asynchronous: true, retries: 8 }), // the stack's Lead Qualified rule retries 8 times
  };
  const eventBridge = await startEventBridgeEndpoint([buses.default, buses.project], options.standInPorts?.eventBridge);
  const eventBridgeClient = new EventBridgeClient(localClientConfig(eventBridge.url));

  // The API URL is needed in the config (unsubscribe links) before the server starts: reserve it.
  const apiPort = options.port ?? 0;
  let apiUrl = `http://127.0.0.1:${apiPort}`;
  const lazy: { app?: App; api?: ReturnType<typeof makeApiHandler> } = {};
  const api = await startHttpApi((event) => (lazy.api ??= makeApiHandler(lazy.app!))(event), {
    port: apiPort,
    extraRoutes: [(req, res) => playback.handleTrackingRequest(req, res)],
  });
  apiUrl = api.url;

  const config = configSchema.parse({
    tableName: TABLE,
    reportBucket: BUCKET,
    sendQueueUrl: 'local://send-queue',
    projectBusName: PROJECT_BUS,
    configurationSetName: CONFIGURATION_SET,
    salesInbox: process.env.MQL_SALES_INBOX ?? 'sales@acme.example',
    notificationFrom: 'MQL Pipeline <mql@acme.example>',
    unsubscribeBaseUrl: `${apiUrl}/u`,
    unsubscribeMailto: 'unsubscribe@acme.example',
    unsubscribeSecret: process.env.MQL_UNSUBSCRIBE_SECRET ?? randomBytes(32).toString('hex'),
    maxSendRate: options.maxSendRate ?? (options.sesMaxSendRate ? undefined : 200),
    sending: options.sending,
    // One consumer per queue here, so no batch is ever in flight beside another: nothing to wait for.
    inFlightGraceMs: 1,
    syncReportRecipients: options.syncReportRecipients,
  });

  const playback = new SesPlayback(new SesMailSender(ses, config.configurationSetName), {
    publish: (envelope) => buses.default.publish(envelope),
    trackingBaseUrl: `${apiUrl}/t`,
    configurationSetName: config.configurationSetName,
    clock,
    outcome: options.outcome,
    noTrack: (url) => url.startsWith(config.unsubscribeBaseUrl),
  });

  const queues = {
    // Two consumers, like the sender's maxConcurrency on AWS; SQS delays capped at a second locally.
    send: new LocalQueue({ name: 'mql-send', batchSize: 10, concurrency: 2, maxDelayMs: 1_000, consumer: (e) => makeSenderHandler(lazy.app!)(e) }),
    events: new LocalQueue({ name: 'mql-events', batchSize: engagementBatchSize, maxReceiveCount: eventsMaxReceiveCount, batchWindowMs: 25, consumer: (e) => makeEngagementHandler(lazy.app!)(e) }),
  };
  const reportJobs = new LocalReportJobs(() => makeReportHandler(lazy.app!));
  const adapters = buildAdapters(
    { dynamodb: DynamoDBDocumentClient.from(dynamoClient, { marshallOptions: { removeUndefinedValues: true } }), ses, eventBridge: eventBridgeClient, s3 },
    config,
    {
      queue: { enqueue: (jobs, options) => queues.send.send(jobs.map((j) => JSON.stringify(j)), options) },
      campaignMail: options.playSesEvents === false ? new SesMailSender(ses, config.configurationSetName) : playback,
      clock,
      reportPublicBaseUrl: standIns.endpoints.s3,
      reportJobs,
    },
  );
  const app = { ...buildApp(adapters, config), adapters };
  lazy.app = app;

  buses.default.addRule('ses-events-to-queue', sesEventsPattern(config.configurationSetName), async (event) => {
    await queues.events.send([JSON.stringify(event)]);
  });
  const notifier = makeNotifierHandler(app);
  buses.project.addRule('lead-qualified-to-notifier', leadQualifiedPattern, async (event) => notifier(event as never));

  return {
    app,
    apiUrl,
    inboxUrl: standIns.endpoints.ses,
    eventBridgeUrl: eventBridge.url,
    endpoints: { ...standIns.endpoints, eventBridge: eventBridge.url },
    sesPlayback: playback,
    queues,
    reportJobs,
    clients: { dynamodb: dynamoClient },
    dynamodbFaults: faultyDynamo,
    sesTraffic: limitedSes?.traffic,
    sesEndpoint: limitedSes?.url ?? standIns.endpoints.ses,
    buses,
    async settle() {
      for (let i = 0; i < 1000; i++) {
        await queues.send.drain();
        await queues.events.drain();
        await buses.project.drain();
        await reportJobs.drain();
        if (!queues.send.depth && !queues.events.depth) return;
      }
    },
    async stop() {
      await api.close();
      await eventBridge.close();
      await limitedSes?.close();
      dynamoClient.destroy();
      s3.destroy();
      ses.destroy();
      eventBridgeClient.destroy();
      await faultyDynamo?.close();
      await standIns.stop();
    },
  };
}
