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
import { systemClock, type Clock } from '../../lib/common/ports';
import { makeApiHandler } from '../../functions/api/handler';
import { makeReportHandler } from '../../functions/report/handler';
import { LocalEventBus, startEventBridgeEndpoint } from './event-bus';
import { startHttpApi } from './http-api';
import type { LocalQueue } from './queue';
import { LocalReportJobs } from './report-jobs';
import type { LocalSchedule } from './schedule';
import { addRules, localQueues, settle, startFollowUps } from './runtime-wiring';
import { SesPlayback, type DeliveryOutcome } from './ses-playback';
import { startFaultyDynamoEndpoint, type DynamoFaults, type FaultyDynamoEndpoint } from './dynamodb-faults';
import { startSesThrottleStandIn, type SesTraffic } from './ses-throttle-stand-in';
import { createBucket, createTable, localClientConfig, localS3Config, startStandIns, type StandIns } from './stand-ins';

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
  /** Make the local SES enforce this send rate and throttle above it (infra/local/ses-throttle-stand-in.ts). @default no limit */
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
  /**
   * The HMAC secret of unsubscribe tokens and root of the contact-id key. A fixed one makes contact
   * ids repeat from run to run (the demo's figures for a seed). @default MQL_UNSUBSCRIBE_SECRET, else random
   */
  unsubscribeSecret?: string;
  /** Run the follow-up schedule (reminders, escalations) through the notifier this often. @default off (`npm start` turns it on) */
  followUpIntervalMs?: number;
  /**
   * Events-queue batches processed at once, as Lambda's SQS pollers do: on AWS, five when messages
   * are waiting, never fewer than two (docs/engagement.md, "Concurrent batches"). Beside each other,
   * batches race for the same recipients, so a pending delta is only an abandoned one after a grace
   * longer than any batch can run: `inFlightGraceMs`, which on AWS the function's timeout bounds and
   * here nothing does. @default one batch at a time, with a 1 ms grace (nothing else is ever in flight)
   */
  engagementConsumers?: { concurrency: number; inFlightGraceMs: number };
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
  /** What the local SES's throttle saw, when `sesMaxSendRate` is set. */
  sesTraffic?: SesTraffic;
  /** The SES endpoint the pipeline sends through (the throttling one when `sesMaxSendRate` is set). */
  sesEndpoint: string;
  buses: { default: LocalEventBus; project: LocalEventBus };
  /** The follow-up schedule, when `followUpIntervalMs` is set: `tick()` runs it now; stopped by `stop()`. */
  followUps?: LocalSchedule;
  /** Resolves when every queue and bus is idle (everything sent, recorded and notified). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

const TABLE = 'mql-pipeline';
const BUCKET = 'mql-pipeline-reports';
const CONFIGURATION_SET = 'mql-pipeline-events';
const PROJECT_BUS = 'mql-pipeline';
/** The account the local SES and event bus speak for (infra/local/ses-events.ts, event-bus.ts use it too). */
const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * The local composition root: the same adapters and handlers as on AWS, with the SDK clients
 * pointed at the embedded stand-ins, SQS and EventBridge played in-process (routed by the same
 * event patterns the CDK stack deploys), and SES's event publishing played by `SesPlayback`.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const clock = options.clock ?? systemClock;
  const aws = await startLocalAws(options);
  const { buses, clients } = aws;

  // The handlers need the app, and the app's config needs the API's URL (unsubscribe links): the
  // API listens first, and its handler (and the tracking routes) are looked up per request.
  const lazy: { app?: App; api?: ReturnType<typeof makeApiHandler>; playback?: SesPlayback } = {};
  const api = await startHttpApi(
    (event) => {
      lazy.api ??= makeApiHandler(lazy.app!);
      return lazy.api(event);
    },
    {
      port: options.port ?? 0,
      extraRoutes: [(req, res) => lazy.playback!.handleTrackingRequest(req, res)],
    },
  );
  const config = localConfig(api.url, options);
  const playback = new SesPlayback(new SesMailSender(clients.ses, config.configurationSetName), {
    publish: (envelope) => buses.default.publish(envelope),
    trackingBaseUrl: `${api.url}/t`,
    configurationSetName: config.configurationSetName,
    clock,
    outcome: options.outcome,
  });
  lazy.playback = playback;
  const queues = localQueues(() => lazy.app!, options.engagementConsumers?.concurrency);
  const reportJobs = new LocalReportJobs(() => makeReportHandler(lazy.app!));
  const adapters = localAdapters(aws, config, { queues, playback, reportJobs, clock, playSesEvents: options.playSesEvents });
  const app = { ...buildApp(adapters, config), adapters };
  lazy.app = app;
  addRules(buses, queues, app);
  const followUps = startFollowUps(app, options.followUpIntervalMs);
  return {
    app,
    apiUrl: api.url,
    inboxUrl: aws.endpoints.ses,
    eventBridgeUrl: aws.endpoints.eventBridge,
    endpoints: aws.endpoints,
    sesPlayback: playback,
    queues,
    reportJobs,
    clients: { dynamodb: clients.dynamodb },
    dynamodbFaults: aws.faultyDynamo,
    sesTraffic: aws.sesThrottle?.traffic,
    sesEndpoint: aws.sesEndpoint,
    buses,
    followUps,
    settle: () => settle(queues, buses, reportJobs),
    async stop() {
      await followUps?.stop();
      await api.close();
      await aws.stop();
    },
  };
}

/**
 * The AWS side, played locally: the stand-ins with the table and bucket created, the optional
 * DynamoDB fault proxy and SES throttle in front of them, the in-process buses, and SDK clients.
 */
async function startLocalAws(options: LocalRuntimeOptions) {
  const standIns = await startStandIns({ dataDir: options.dataDir, ports: options.standInPorts });
  const { dynamoClient, faultyDynamo } = await connectDynamo(standIns, options.dynamodbFaults);
  const s3 = new S3Client(localS3Config(standIns.endpoints.s3));
  const sesThrottle = options.sesMaxSendRate
    ? await startSesThrottleStandIn(standIns.endpoints.ses, { maxSendRate: options.sesMaxSendRate })
    : undefined;
  const sesEndpoint = sesThrottle?.url ?? standIns.endpoints.ses;
  // One attempt per call, as on AWS (aws-runtime.ts): the sender retries through its pacer.
  const ses = new SESv2Client({ ...localClientConfig(sesEndpoint), maxAttempts: 1 });
  await createBucket(s3, BUCKET);
  const { buses, eventBridge } = await startEventBridge(options.standInPorts?.eventBridge);
  const eventBridgeClient = new EventBridgeClient(localClientConfig(eventBridge.url));
  return {
    endpoints: { ...standIns.endpoints, eventBridge: eventBridge.url },
    clients: { dynamodb: dynamoClient, ses, eventBridge: eventBridgeClient, s3 },
    buses,
    faultyDynamo,
    sesThrottle,
    sesEndpoint,
    async stop() {
      await eventBridge.close();
      await sesThrottle?.close();
      for (const client of [dynamoClient, s3, ses, eventBridgeClient]) client.destroy();
      await faultyDynamo?.close();
      await standIns.stop();
    },
  };
}

/** Creates the table, and puts the fault proxy between the adapters and dynalite when asked. */
async function connectDynamo(standIns: StandIns, faults: DynamoFaults | undefined) {
  const setupClient = new DynamoDBClient(localClientConfig(standIns.endpoints.dynamodb));
  await createTable(setupClient, TABLE);
  setupClient.destroy();
  const faultyDynamo: FaultyDynamoEndpoint | undefined = faults
    ? await startFaultyDynamoEndpoint(standIns.endpoints.dynamodb, faults)
    : undefined;
  const dynamoClient = new DynamoDBClient({
    ...localClientConfig(faultyDynamo?.url ?? standIns.endpoints.dynamodb),
    // Under injected faults: the SDK's three attempts and its retry quota as on AWS, but backoff in
    // milliseconds instead of up to seconds, so the fault suite tests what is retried, not how long.
    ...(faultyDynamo ? { retryStrategy: new ConfiguredRetryStrategy(3, (attempt: number) => 5 * attempt) } : {}),
  });
  return { dynamoClient, faultyDynamo };
}

/** The default bus (SES events) and the project bus, and the PutEvents endpoint in front of them. */
async function startEventBridge(port: number | undefined) {
  const buses = {
    default: new LocalEventBus('default'),
    // Like a separate EventBridge rule target: the notifier runs beside the engagement handler,
    // not inside its PutEvents call.
    project: new LocalEventBus(PROJECT_BUS, { asynchronous: true, retries: 8 }), // the stack's Lead Qualified rule retries 8 times
  };
  const eventBridge = await startEventBridgeEndpoint([buses.default, buses.project], port);
  return { buses, eventBridge };
}

function localConfig(apiUrl: string, options: LocalRuntimeOptions): AppConfig {
  return configSchema.parse({
    tableName: TABLE,
    reportBucket: BUCKET,
    sendQueueUrl: 'local://send-queue',
    projectBusName: PROJECT_BUS,
    configurationSetName: CONFIGURATION_SET,
    // The local SES and event bus speak for this account, as an AWS account's own bus does.
    accountId: LOCAL_ACCOUNT_ID,
    salesInbox: process.env.MQL_SALES_INBOX ?? 'sales@acme.example',
    notificationFrom: 'MQL Pipeline <mql@acme.example>',
    unsubscribeBaseUrl: `${apiUrl}/u`,
    unsubscribeMailto: 'unsubscribe@acme.example',
    unsubscribeSecret: options.unsubscribeSecret ?? process.env.MQL_UNSUBSCRIBE_SECRET ?? randomBytes(32).toString('hex'),
    maxSendRate: options.maxSendRate ?? (options.sesMaxSendRate ? undefined : 200),
    sending: options.sending,
    // One events consumer unless told otherwise, so no batch is ever in flight beside another: nothing to wait for.
    inFlightGraceMs: options.engagementConsumers?.inFlightGraceMs ?? 1,
    syncReportRecipients: options.syncReportRecipients,
  });
}

/** The same adapters as on AWS, on the stand-ins' clients, with the in-process queue, SES playback and report jobs. */
function localAdapters(
  aws: Awaited<ReturnType<typeof startLocalAws>>,
  config: ReturnType<typeof localConfig>,
  parts: { queues: LocalRuntime['queues']; playback: SesPlayback; reportJobs: LocalReportJobs; clock: Clock; playSesEvents?: boolean },
) {
  const { clients } = aws;
  const dynamodb = DynamoDBDocumentClient.from(clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  return buildAdapters({ ...clients, dynamodb }, config, {
    queue: {
      enqueue: (jobs, enqueueOptions) =>
        parts.queues.send.send(
          jobs.map((j) => JSON.stringify(j)),
          enqueueOptions,
        ),
    },
    campaignMail: parts.playSesEvents === false ? new SesMailSender(clients.ses, config.configurationSetName) : parts.playback,
    clock: parts.clock,
    reportPublicBaseUrl: aws.endpoints.s3,
    // s3rver keeps no versions (docs/infrastructure.md): nothing noncurrent to delete.
    reportsVersioned: false,
    reportJobs: parts.reportJobs,
  });
}
