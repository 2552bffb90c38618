import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpNoneAuthorizer, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule, type EventPattern as CdkEventPattern } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ConfigurationSet, ConfigurationSetEventDestination, EmailSendingEvent, EventDestination } from 'aws-cdk-lib/aws-ses';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { envNames } from '../../config';
import { leadQualifiedPattern, publishedSesEventTypes, sesEventsPattern, type EventPattern } from '../event-patterns';
import { tableKeys } from '../table-schema';
import { PipelineFunction } from './pipeline-function';

export interface MqlPipelineProps {
  /** Verified SES identity (domain) campaigns and notifications are sent from. */
  senderDomain: string;
  /** Where MQL notifications go when no routing rule names an owner. */
  salesInbox: string;
  /** From of MQL notifications. @default `MQL Pipeline <mql@${senderDomain}>` */
  notificationFrom?: string;
  /** Mailto address in List-Unsubscribe. @default `unsubscribe@${senderDomain}` */
  unsubscribeMailto?: string;
  /** SES configuration set name. @default 'mql-pipeline-events' */
  configurationSetName?: string;
  /** Messages per second; SES GetAccount's MaxSendRate when left out. @default undefined */
  maxSendRate?: number;
  /** Daily report time, UTC. @default { hour: 6, minute: 0 } */
  reportSchedule?: { hour: number; minute: number };
  /** For the table, bucket and secret. @default RemovalPolicy.RETAIN */
  removalPolicy?: RemovalPolicy;
  /** @default RetentionDays.ONE_MONTH */
  logRetention?: RetentionDays;
  /** Days before old report versions expire. @default 365 */
  reportRetentionDays?: number;
  /**
   * Your own domain for SES's open and click tracking links (a CNAME to SES's tracking endpoint),
   * so links carry your brand instead of SES's. @default SES's tracking domain
   */
  customTrackingRedirectDomain?: string;
  /**
   * API authorization: IAM (SigV4) by default, or a JWT authorizer (e.g. Cognito, Auth0) for teams
   * whose marketers sign in through an identity provider. @default { type: 'iam' }
   */
  apiAuthorization?: { type: 'iam' } | { type: 'jwt'; issuer: string; audience: string[] };
  /** Override the Lambda entry files (tests). @default the files under src/functions */
  entries?: Partial<Record<FunctionName, string>>;
}

export type FunctionName = 'api' | 'sender' | 'engagement' | 'notifier' | 'report';
const entryOf = (name: FunctionName) => fileURLToPath(new URL(`../../functions/${name}/index.ts`, import.meta.url));

/** Our pattern syntax (EventBridge JSON) to aws-cdk-lib's camel-cased EventPattern. */
export function toCdkPattern(pattern: EventPattern): CdkEventPattern {
  const { source, 'detail-type': detailType, detail, ...rest } = pattern as Record<string, unknown>;
  if (Object.keys(rest).length) throw new Error(`unsupported pattern fields: ${Object.keys(rest).join(', ')}`);
  return { source: source as string[], detailType: detailType as string[] | undefined, detail: detail as Record<string, unknown> | undefined };
}

/**
 * The whole pipeline of DESIGN.md §4 as one construct a team can add to its own CDK app:
 * API (IAM-authorized) → api λ → table, send queue → sender λ → SES (configuration set →
 * default bus → rule → events queue → engagement λ → project bus → notifier λ), scheduled reports → S3.
 */
export class MqlPipeline extends Construct {
  readonly table: Table;
  readonly api: HttpApi;
  readonly reportBucket: Bucket;
  readonly sendQueue: Queue;
  readonly eventsQueue: Queue;
  readonly projectBus: EventBus;
  readonly configurationSet: ConfigurationSet;
  /** Dead letters of the EventBridge rule and schedule targets. */
  readonly ruleTargetsDlq: Queue;
  readonly functions: Record<FunctionName, PipelineFunction>;

  constructor(scope: Construct, id: string, props: MqlPipelineProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const configurationSetName = props.configurationSetName ?? 'mql-pipeline-events';
    const entry = (name: FunctionName) => props.entries?.[name] ?? entryOf(name);

    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableKeys.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableKeys.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: tableKeys.ttlAttribute,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: tableKeys.gsi1.indexName,
      partitionKey: { name: tableKeys.gsi1.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableKeys.gsi1.sortKey, type: AttributeType.STRING },
    });

    const accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy,
    });
    this.reportBucket = new Bucket(this, 'Reports', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'reports/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(props.reportRetentionDays ?? 365) }],
      removalPolicy,
    });

    const secret = new Secret(this, 'UnsubscribeKey', {
      description: 'HMAC key of mql-pipeline unsubscribe tokens',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });

    const queue = (name: string, visibility: Duration) => {
      const dlq = new Queue(this, `${name}Dlq`, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
      return new Queue(this, name, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: visibility,
        deadLetterQueue: { queue: dlq, maxReceiveCount: 5 },
      });
    };
    const senderTimeout = Duration.minutes(2);
    const engagementTimeout = Duration.seconds(60);
    // AWS's guidance for SQS event sources: visibility timeout at least 6× the function timeout.
    this.sendQueue = queue('SendQueue', Duration.seconds(senderTimeout.toSeconds() * 6));
    this.eventsQueue = queue('EventsQueue', Duration.seconds(engagementTimeout.toSeconds() * 6));
    this.projectBus = new EventBus(this, 'ProjectBus', { eventBusName: `${id.toLowerCase()}-events` });

    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName,
      customTrackingRedirectDomain: props.customTrackingRedirectDomain,
    });
    new ConfigurationSetEventDestination(this, 'SesToEventBridge', {
      configurationSet: this.configurationSet,
      // SES publishes to EventBridge on the default bus only.
      destination: EventDestination.eventBus(EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: publishedSesEventTypes.map((t) => EmailSendingEvent[t]),
    });

    this.api = new HttpApi(this, 'Api', {
      description: 'mql-pipeline marketers API (SigV4 / IAM authorization)',
      defaultAuthorizer:
        props.apiAuthorization?.type === 'jwt'
          ? new HttpJwtAuthorizer('JwtAuthorizer', props.apiAuthorization.issuer, { jwtAudience: props.apiAuthorization.audience })
          : new HttpIamAuthorizer(),
      createDefaultStage: false,
    });
    new HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(
          new LogGroup(this, 'ApiAccessLogs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
        ),
      },
      throttle: { rateLimit: 50, burstLimit: 100 },
    });
    const unsubscribeBaseUrl = `${this.api.apiEndpoint}/u`;

    const environment = {
      [envNames.tableName]: this.table.tableName,
      [envNames.reportBucket]: this.reportBucket.bucketName,
      [envNames.sendQueueUrl]: this.sendQueue.queueUrl,
      [envNames.projectBusName]: this.projectBus.eventBusName,
      [envNames.configurationSetName]: configurationSetName,
      [envNames.salesInbox]: props.salesInbox,
      [envNames.notificationFrom]: props.notificationFrom ?? `MQL Pipeline <mql@${props.senderDomain}>`,
      [envNames.unsubscribeBaseUrl]: unsubscribeBaseUrl,
      [envNames.unsubscribeMailto]: props.unsubscribeMailto ?? `unsubscribe@${props.senderDomain}`,
      [envNames.unsubscribeSecretArn]: secret.secretArn,
      ...(props.maxSendRate ? { [envNames.maxSendRate]: String(props.maxSendRate) } : {}),
    };
    const fn = (name: FunctionName, extra: Partial<{ timeout: Duration; reservedConcurrentExecutions: number; memorySize: number }> = {}) =>
      new PipelineFunction(this, `${name[0]!.toUpperCase()}${name.slice(1)}Function`, { entry: entry(name), environment, logRetention: props.logRetention, ...extra });
    this.functions = {
      api: fn('api'),
      // One sender at a time keeps the account's send rate a single pacer's job.
      sender: fn('sender', { timeout: senderTimeout, reservedConcurrentExecutions: 2 }),
      engagement: fn('engagement', { timeout: engagementTimeout }),
      notifier: fn('notifier'),
      report: fn('report', { timeout: Duration.minutes(5), memorySize: 1024 }),
    };
    const { api, sender, engagement, notifier, report } = this.functions;

    // Grants, with the environment above: each function gets what its use cases touch, no more.
    const identityArn = `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:identity/${props.senderDomain}`;
    const configSetArn = `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:configuration-set/${configurationSetName}`;
    this.table.grantReadWriteData(api);
    this.sendQueue.grantSendMessages(api);
    // On-demand reports are written by the api function: put and get under reports/, nothing else.
    const reportObjects = new PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [this.reportBucket.arnForObjects('reports/*')] });
    api.addToRolePolicy(reportObjects);
    secret.grantRead(api);

    this.table.grantReadWriteData(sender);
    this.sendQueue.grantSendMessages(sender); // fan-out queues the next page
    secret.grantRead(sender);
    sender.addToRolePolicy(new PolicyStatement({ actions: ['ses:SendEmail'], resources: [identityArn, configSetArn] }));
    sender.addToRolePolicy(new PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }));
    sender.addEventSource(new SqsEventSource(this.sendQueue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }));

    this.table.grantReadWriteData(engagement);
    this.projectBus.grantPutEventsTo(engagement);
    engagement.addEventSource(
      new SqsEventSource(this.eventsQueue, { batchSize: 100, maxBatchingWindow: Duration.seconds(5), reportBatchItemFailures: true }),
    );

    this.table.grantReadWriteData(notifier);
    notifier.addToRolePolicy(new PolicyStatement({ actions: ['ses:SendEmail'], resources: [identityArn] }));

    this.table.grantReadData(report);
    report.addToRolePolicy(reportObjects);

    const integration = new HttpLambdaIntegration('ApiIntegration', api);
    this.api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration });
    // RFC 8058 one-click unsubscribe: mailbox providers POST without credentials; the token is HMAC-signed.
    this.api.addRoutes({ path: '/u/{token}', methods: [HttpMethod.GET, HttpMethod.POST], integration, authorizer: new HttpNoneAuthorizer() });

    const rulesDlq = new Queue(this, 'RuleTargetsDlq', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    this.ruleTargetsDlq = rulesDlq;
    new Rule(this, 'SesEventsRule', {
      eventBus: EventBus.fromEventBusName(this, 'DefaultBusForRule', 'default'),
      eventPattern: toCdkPattern(sesEventsPattern(configurationSetName)),
      targets: [new SqsQueue(this.eventsQueue, { deadLetterQueue: rulesDlq, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });
    new Rule(this, 'LeadQualifiedRule', {
      eventBus: this.projectBus,
      eventPattern: toCdkPattern(leadQualifiedPattern),
      targets: [new LambdaFunction(notifier, { deadLetterQueue: rulesDlq, retryAttempts: 8, maxEventAge: Duration.hours(6) })],
    });

    const at = props.reportSchedule ?? { hour: 6, minute: 0 };
    new Schedule(this, 'DailyReports', {
      description: 'Daily campaign reports',
      schedule: ScheduleExpression.cron({ hour: String(at.hour), minute: String(at.minute) }),
      target: new LambdaInvoke(report, { input: ScheduleTargetInput.fromObject({}), deadLetterQueue: rulesDlq, retryAttempts: 3 }),
    });
  }
}
