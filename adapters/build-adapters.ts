import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoIdempotencyStore } from './dynamodb/idempotency-store';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Adapters } from '../lib/app';
import type { AppConfig } from '../lib/config';
import { systemClock, type Clock } from '../lib/common/ports';
import type { CampaignMailSender, SendQueue } from '../lib/sending/ports';
import type { ReportJobs } from '../lib/reports/ports';
import { DynamoActivityStore } from './dynamodb/activity-store';
import { DynamoCampaignStore, DynamoProfileStore } from './dynamodb/campaign-store';
import { DynamoContactStore } from './dynamodb/contact-store';
import { DynamoCriteriaStore } from './dynamodb/criteria-store';
import { DynamoDeadLetterSink } from './dynamodb/dead-letter-sink';
import { DynamoSentRecords } from './dynamodb/sent-records';
import { DynamoEngagementStore } from './dynamodb/engagement-store';
import { DynamoLeadStore } from './dynamodb/lead-store';
import { DynamoRoutingStore } from './dynamodb/routing-store';
import { DynamoReviewMailLog } from './dynamodb/review-mail-log';
import { DynamoSendLedger } from './dynamodb/send-ledger';
import { DynamoSendProgressStore } from './dynamodb/send-progress-store';
import { DynamoSendRateLimiter } from './dynamodb/send-rate-limiter';
import { EventBridgePublisher } from './eventbridge/event-publisher';
import { LambdaReportJobs } from './lambda/report-jobs';
import { S3ReportStore } from './s3/report-store';
import { SesMailSender, getMaxSendRate } from './ses/mail-sender';
import { SqsSendQueue } from './sqs/send-queue';
import { withoutSdkCallLogging } from './sdk-call-logging';

export interface Clients {
  dynamodb: DynamoDBDocumentClient;
  ses: SESv2Client;
  sqs?: SQSClient;
  eventBridge: EventBridgeClient;
  s3: S3Client;
  /** Hands large on-demand reports to the report function (AWS). */
  lambda?: LambdaClient;
}

/**
 * The adapters both runtimes use, over whichever clients they are given (AWS, or the same SDK
 * clients pointed at the stand-ins). `overrides` replace single adapters where a runtime must
 * (the local runtime has an in-process queue and plays SES's event publishing).
 */
export function buildAdapters(
  clients: Clients,
  config: AppConfig,
  overrides: Partial<{
    queue: SendQueue;
    campaignMail: CampaignMailSender;
    clock: Clock;
    reportPublicBaseUrl: string;
    /** False where the report bucket keeps no versions (s3rver). @default true, as the stack's bucket */
    reportsVersioned: boolean;
    reportJobs: ReportJobs;
  }> = {},
): Adapters {
  const table = config.tableName;
  const db = clients.dynamodb;
  withoutSdkCallLogging(db, clients.ses, clients.sqs, clients.eventBridge, clients.s3, clients.lambda);
  if (!overrides.queue && !clients.sqs) throw new Error('buildAdapters needs an SQS client or a queue override');
  return {
    contacts: new DynamoContactStore(db, table),
    profiles: new DynamoProfileStore(db, table),
    campaigns: new DynamoCampaignStore(db, table),
    ledger: new DynamoSendLedger(db, table),
    progress: new DynamoSendProgressStore(db, table),
    sendLimiter: new DynamoSendRateLimiter(db, table),
    sendQuota: { maxSendRate: () => getMaxSendRate(clients.ses) },
    engagement: new DynamoEngagementStore(db, table),
    leads: new DynamoLeadStore(db, table),
    criteria: new DynamoCriteriaStore(db, table),
    activities: new DynamoActivityStore(db, table),
    routing: new DynamoRoutingStore(db, table),
    deadLetters: new DynamoDeadLetterSink(db, table),
    idempotency: new DynamoIdempotencyStore(db, table),
    reviewMail: new DynamoReviewMailLog(db, table),
    sentRecords: new DynamoSentRecords(db, table),
    queue: overrides.queue ?? new SqsSendQueue(clients.sqs!, config.sendQueueUrl),
    campaignMail: overrides.campaignMail ?? new SesMailSender(clients.ses, config.configurationSetName),
    // Notifications to sales are not campaign mail: no configuration set, so they are not tracked.
    salesMail: new SesMailSender(clients.ses, undefined),
    events: new EventBridgePublisher(clients.eventBridge, config.projectBusName),
    reports: new S3ReportStore(clients.s3, config.reportBucket, {
      publicBaseUrl: overrides.reportPublicBaseUrl,
      versioned: overrides.reportsVersioned,
    }),
    clock: overrides.clock ?? systemClock,
    reportJobs:
      overrides.reportJobs ??
      (clients.lambda
        ? new LambdaReportJobs(clients.lambda, config.reportFunctionName)
        : {
            start: async () => {
              throw new Error('no report function in this runtime: large reports cannot be handed off');
            },
          }),
  };
}
