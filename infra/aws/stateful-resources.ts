import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { tableKeys } from '../../adapters/dynamodb/table-schema';
import { eventsMaxReceiveCount } from '../queue-settings';
import { acknowledge } from './nag-acknowledgements';
import type { MqlPipelineProps } from './pipeline-props';

/**
 * How long the queue consumers may run, which sizes the queues' visibility timeouts: AWS's guidance
 * for SQS event sources is at least 6× the function timeout plus the batching window, so a message
 * is not redelivered while its first try may still run.
 */
export const queueConsumers = {
  sender: { timeout: Duration.minutes(2) },
  engagement: { timeout: Duration.seconds(60), batchingWindow: Duration.seconds(5) },
};
const visibilityFor = (consumer: { timeout: Duration; batchingWindow?: Duration }) =>
  Duration.seconds(consumer.timeout.toSeconds() * 6 + (consumer.batchingWindow?.toSeconds() ?? 0));

/**
 * The half of the pipeline that holds data: the table, the report and access-log buckets, the
 * unsubscribe key, and the queues with their dead-letter queues. Replacing any of these loses what
 * it holds, so its logical ids are pinned (test/cdk/logical-ids.test.ts).
 *
 * Not a construct of its own: its resources are children of the MqlPipeline scope it is given, so
 * their construct paths, and the logical ids CloudFormation derives from them, stay those of the
 * first release (a construct in between would rename, and so replace, every one of them).
 */
export class PipelineStatefulResources {
  readonly table: Table;
  readonly reportBucket: Bucket;
  /** The HMAC key of unsubscribe tokens. */
  readonly unsubscribeKey: Secret;
  readonly sendQueue: Queue;
  readonly eventsQueue: Queue;
  /** Dead letters of the EventBridge rule and schedule targets, and of failed report jobs. */
  readonly ruleTargetsDlq: Queue;

  constructor(scope: Construct, props: MqlPipelineProps) {
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = createTable(scope, removalPolicy);
    this.reportBucket = createReportBucket(scope, removalPolicy, props.reportRetentionDays ?? 365);
    this.unsubscribeKey = new Secret(scope, 'UnsubscribeKey', {
      description: 'HMAC key of mql-pipeline unsubscribe tokens',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    acknowledge(
      [this.unsubscribeKey],
      'AwsSolutions-SMG4',
      'Rotating the unsubscribe HMAC key would break every unsubscribe link already in inboxes; rotation needs key versions in the token first (docs/decisions.md).',
    );
    this.sendQueue = createWorkQueue(scope, 'SendQueue', visibilityFor(queueConsumers.sender));
    this.eventsQueue = createWorkQueue(scope, 'EventsQueue', visibilityFor(queueConsumers.engagement), eventsMaxReceiveCount);
    this.ruleTargetsDlq = new Queue(scope, 'RuleTargetsDlq', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      [this.ruleTargetsDlq],
      'AwsSolutions-SQS3',
      'RuleTargetsDlq is itself the dead-letter queue of the EventBridge rule and schedule targets.',
    );
  }
}

/** The single table, keys and index as adapters/dynamodb/table-schema.ts describes them. */
function createTable(scope: Construct, removalPolicy: RemovalPolicy) {
  const { partitionKey, sortKey, gsi1, ttlAttribute } = tableKeys;
  const table = new Table(scope, 'Table', {
    partitionKey: { name: partitionKey, type: AttributeType.STRING },
    sortKey: { name: sortKey, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: ttlAttribute,
    deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
    removalPolicy,
  });
  table.addGlobalSecondaryIndex({
    indexName: gsi1.indexName,
    partitionKey: { name: gsi1.partitionKey, type: AttributeType.STRING },
    sortKey: { name: gsi1.sortKey, type: AttributeType.STRING },
  });
  return table;
}

/** The reports bucket, with its S3 access logs in a bucket of their own. */
function createReportBucket(scope: Construct, removalPolicy: RemovalPolicy, reportRetentionDays: number) {
  const accessLogs = new Bucket(scope, 'AccessLogs', {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ expiration: Duration.days(90) }],
    removalPolicy,
  });
  return new Bucket(scope, 'Reports', {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    versioned: true,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: 'reports/',
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [
      {
        expiration: Duration.days(reportRetentionDays),
        noncurrentVersionExpiration: Duration.days(30),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ],
    removalPolicy,
  });
}

/** A queue a function consumes, with its dead-letter queue `${id}Dlq`. */
function createWorkQueue(scope: Construct, id: string, visibilityTimeout: Duration, maxReceiveCount = 5) {
  const dlq = new Queue(scope, `${id}Dlq`, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  return new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout,
    deadLetterQueue: { queue: dlq, maxReceiveCount },
  });
}
