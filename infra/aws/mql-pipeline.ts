import { Aws, type CfnElement, Duration, RemovalPolicy, Stack, TimeZone, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpNoneAuthorizer, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule, type EventPattern as CdkEventPattern } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { ManagedPolicy, Policy, PolicyStatement, Role, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IPublicHostedZone } from 'aws-cdk-lib/aws-route53';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  ConfigurationSet,
  ConfigurationSetEventDestination,
  DkimIdentity,
  EasyDkimSigningKeyLength,
  EmailIdentity,
  EmailSendingEvent,
  EventDestination,
  Identity,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { envNames } from '../../lib/config';
import { leadQualifiedPattern, publishedSesEventTypes, sesEventsPattern, type EventPattern } from '../event-patterns';
import { tableKeys } from '../../adapters/dynamodb/table-schema';
import { engagementBatchSize, eventsMaxReceiveCount } from '../queue-settings';
import { PipelineFunction } from './pipeline-function';

export interface MqlPipelineProps {
  /**
   * The SES identity (a domain) campaigns and notifications are sent from. It must be verified in
   * SES in the stack's region: create it with `createSenderIdentity`, or verify it yourself
   * (docs/deploy.md). Senders may use any address at this domain.
   */
  senderDomain: string;
  /** Where MQL notifications go when no routing rule names an owner. */
  salesInbox: string;
  /** From of MQL notifications. @default `MQL Pipeline <mql@${senderDomain}>` */
  notificationFrom?: string;
  /** Mailto address in List-Unsubscribe. @default `unsubscribe@${senderDomain}` */
  unsubscribeMailto?: string;
  /** SES configuration set name. @default 'mql-pipeline-events' */
  configurationSetName?: string;
  /**
   * Let the stack create the SES domain identity for `senderDomain`, with Easy DKIM (2048-bit).
   * With `hostedZone` (a public zone named exactly `senderDomain`) the three DKIM CNAME records are
   * published there; without it the default stack prints them as outputs to add at your DNS host.
   * Leave it out when the identity already exists in the account (CloudFormation cannot adopt it).
   * @default undefined: the identity is managed outside the stack
   */
  createSenderIdentity?: { hostedZone?: IPublicHostedZone };
  /**
   * Messages per second for the whole account (MAX_SEND_RATE), shared by the sender instances
   * through one send schedule in the table (docs/sending.md, "Pace"). Set it below the account's
   * rate when other mail shares the account.
   * @default undefined: the application's own default (SES GetAccount's MaxSendRate where it reads it, see lib/app.ts)
   */
  maxSendRate?: number;
  /**
   * How many sender functions run at once: the send queue's maximum concurrency and the sender's
   * reserved concurrency. At least 2 (the least SQS event sources accept). A new account whose
   * Lambda concurrency quota is 10 cannot reserve any: raise the quota first (docs/deploy.md).
   * @default 2
   */
  senderConcurrency?: number;
  /**
   * While the SES account is in the sandbox, SES authorizes a send against the recipient's
   * identity too: list the verified addresses you test with (and the sales inbox) so the sender
   * and notifier may send to them. Leave empty once the account has production access.
   * @default []
   */
  sandboxRecipients?: string[];
  /** Daily report time. @default { hour: 6, minute: 0, timeZone: 'Etc/UTC' } */
  reportSchedule?: { hour: number; minute: number; /** IANA name, e.g. 'Europe/Berlin'. */ timeZone?: string };
  /**
   * For the table, buckets and secret. RETAIN also turns on the table's deletion protection.
   * @default RemovalPolicy.RETAIN
   */
  removalPolicy?: RemovalPolicy;
  /** Of the functions' and the API's logs. @default RetentionDays.ONE_MONTH */
  logRetention?: RetentionDays;
  /**
   * Days a report (it holds recipients' addresses) is kept in S3; overwritten versions go after
   * 30 days, S3 access logs after 90. @default 365
   */
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
  /** Override the Lambda entry files (tests). @default the files under functions */
  entries?: Partial<Record<FunctionName, string>>;
}

export type FunctionName = 'api' | 'sender' | 'engagement' | 'notifier' | 'report';
const entryOf = (name: FunctionName) => fileURLToPath(new URL(`../../functions/${name}/index.ts`, import.meta.url));

/**
 * The DynamoDB operations each function's code performs, and whether it queries the listing index.
 * Nothing else is granted: no Scan, no DeleteItem, no stream or table-management actions.
 * test/cdk/permissions.test.ts runs a campaign through every handler and fails when a function
 * calls an operation missing here, or is granted one it never calls: add an operation here when a
 * use case starts to need it.
 */
export const tableAccess: Record<FunctionName, { operations: string[]; queriesIndex: boolean }> = {
  api: { operations: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'], queriesIndex: true },
  // Sending also records audience pages and job outcomes (conditional PutItem) and reads progress (Query).
  sender: { operations: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'], queriesIndex: true },
  engagement: { operations: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'], queriesIndex: false },
  // PutItem: a malformed Lead Qualified event is set aside as a dead-letter item.
  notifier: { operations: ['GetItem', 'PutItem', 'UpdateItem'], queriesIndex: false },
  // Reports read; they never write the table.
  report: { operations: ['GetItem', 'BatchGetItem', 'Query'], queriesIndex: true },
};

/** The least the SQS event source accepts as maximum concurrency. */
const MIN_SENDER_CONCURRENCY = 2;

/** Fails synth with a message naming the prop, before CloudFormation would fail half-way. */
function validate(props: MqlPipelineProps) {
  const problems: string[] = [];
  const known = (value: string) => !Token.isUnresolved(value);
  if (known(props.senderDomain) && !/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(props.senderDomain)) {
    problems.push(`senderDomain "${props.senderDomain}" is not a domain name (e.g. acme.example)`);
  }
  const email = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
  if (known(props.salesInbox) && !email.test(props.salesInbox)) problems.push(`salesInbox "${props.salesInbox}" is not an email address`);
  for (const r of props.sandboxRecipients ?? []) if (known(r) && !email.test(r)) problems.push(`sandboxRecipients: "${r}" is not an email address`);
  if (props.maxSendRate !== undefined && !(props.maxSendRate > 0)) problems.push(`maxSendRate must be a positive number of messages per second, got ${props.maxSendRate}`);
  const concurrency = props.senderConcurrency;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= MIN_SENDER_CONCURRENCY)) {
    problems.push(`senderConcurrency must be an integer of at least ${MIN_SENDER_CONCURRENCY} (the SQS event source's minimum), got ${concurrency}`);
  }
  const at = props.reportSchedule;
  if (at && !(Number.isInteger(at.hour) && at.hour >= 0 && at.hour <= 23 && Number.isInteger(at.minute) && at.minute >= 0 && at.minute <= 59)) {
    problems.push(`reportSchedule must be { hour: 0–23, minute: 0–59 }, got ${JSON.stringify(at)}`);
  }
  if (props.reportRetentionDays !== undefined && !(Number.isInteger(props.reportRetentionDays) && props.reportRetentionDays >= 1)) {
    problems.push(`reportRetentionDays must be a whole number of days ≥ 1, got ${props.reportRetentionDays}`);
  }
  const zone = props.createSenderIdentity?.hostedZone;
  if (zone && known(zone.zoneName) && known(props.senderDomain) && zone.zoneName.replace(/\.$/, '') !== props.senderDomain.toLowerCase()) {
    problems.push(`createSenderIdentity.hostedZone "${zone.zoneName}" must be the zone of senderDomain "${props.senderDomain}"`);
  }
  if (problems.length) throw new Error(`MqlPipeline: ${problems.join('; ')}`);
}

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
  /** The HMAC key of unsubscribe tokens. */
  readonly unsubscribeKey: Secret;
  /** The sending domain's identity, when the stack creates it (`createSenderIdentity`). */
  readonly senderIdentity?: EmailIdentity;
  /**
   * Attach to the marketers' roles or groups: it lets them call this API (SigV4), nothing else.
   * Only with IAM authorization.
   */
  readonly apiInvokePolicy?: ManagedPolicy;

  constructor(scope: Construct, id: string, props: MqlPipelineProps) {
    super(scope, id);
    validate(props);
    // S3 access logs are delivered under a bucket policy for the logging service, not the legacy
    // log-delivery ACL (AWS's current recommendation); must be set before any child exists.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
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
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
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
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
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
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          expiration: Duration.days(props.reportRetentionDays ?? 365),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy,
    });

    const secret = (this.unsubscribeKey = new Secret(this, 'UnsubscribeKey', {
      description: 'HMAC key of mql-pipeline unsubscribe tokens',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    }));

    const queue = (name: string, visibility: Duration, maxReceiveCount = 5) => {
      const dlq = new Queue(this, `${name}Dlq`, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
      return new Queue(this, name, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: visibility,
        deadLetterQueue: { queue: dlq, maxReceiveCount },
      });
    };
    const senderTimeout = Duration.minutes(2);
    const engagementTimeout = Duration.seconds(60);
    const engagementBatchingWindow = Duration.seconds(5);
    // AWS's guidance for SQS event sources: visibility timeout at least 6× the function timeout
    // plus the batching window, so a message is not redelivered while its first try may still run.
    const visibility = (timeout: Duration, window = Duration.seconds(0)) => Duration.seconds(timeout.toSeconds() * 6 + window.toSeconds());
    this.sendQueue = queue('SendQueue', visibility(senderTimeout));
    this.eventsQueue = queue('EventsQueue', visibility(engagementTimeout, engagementBatchingWindow), eventsMaxReceiveCount);
    this.projectBus = new EventBus(this, 'ProjectBus', { eventBusName: `${id.toLowerCase()}-events` });

    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName,
      customTrackingRedirectDomain: props.customTrackingRedirectDomain,
      // Per-configuration-set bounce and complaint rates in CloudWatch, beside the account's.
      reputationMetrics: true,
      // Never send again to an address that bounced hard or complained, whatever the account setting.
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    if (props.createSenderIdentity) {
      const zone = props.createSenderIdentity.hostedZone;
      // No default configuration set on the identity: notifications to sales must stay untracked.
      this.senderIdentity = new EmailIdentity(this, 'SenderIdentity', {
        identity: zone ? Identity.publicHostedZone(zone) : Identity.domain(props.senderDomain),
        dkimIdentity: DkimIdentity.easyDkim(EasyDkimSigningKeyLength.RSA_2048_BIT),
      });
    }
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
        // No source IP (personal data) and the route template, not the path: an unsubscribe path
        // carries the contact's token. The caller's IAM identity is an id.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            caller: '$context.identity.userArn',
          }),
        ),
      },
      throttle: { rateLimit: 50, burstLimit: 100 },
    });
    const unsubscribeBaseUrl = `${this.api.apiEndpoint}/u`;
    if (props.apiAuthorization?.type !== 'jwt') {
      this.apiInvokePolicy = new ManagedPolicy(this, 'ApiInvokePolicy', {
        description: 'Call the mql-pipeline marketers API (every route of this API, $default stage)',
        statements: [new PolicyStatement({ actions: ['execute-api:Invoke'], resources: [this.api.arnForExecuteApi('*', '/*', '$default')] })],
      });
    }

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
    };
    // Only the functions that sign (sender) or check (api) unsubscribe tokens know where the key is;
    // they alone may read it.
    const withUnsubscribeKey = { [envNames.unsubscribeSecretArn]: secret.secretArn };
    const fn = (
      name: FunctionName,
      extra: Partial<{ timeout: Duration; reservedConcurrentExecutions: number; memorySize: number; environment: Record<string, string> }> = {},
    ) =>
      new PipelineFunction(this, `${name[0]!.toUpperCase()}${name.slice(1)}Function`, {
        entry: entry(name),
        logRetention: props.logRetention,
        ...extra,
        environment: { ...environment, ...extra.environment },
      });
    const senderConcurrency = props.senderConcurrency ?? MIN_SENDER_CONCURRENCY;
    this.functions = {
      api: fn('api', { environment: withUnsubscribeKey }),
      // Senders share one send schedule in the table (docs/sending.md, "Pace"), so the rate is the
      // account's whole rate, whatever their number; reserved concurrency keeps them from being
      // starved by other functions.
      sender: fn('sender', {
        timeout: senderTimeout,
        reservedConcurrentExecutions: senderConcurrency,
        environment: { ...withUnsubscribeKey, ...(props.maxSendRate ? { [envNames.maxSendRate]: String(props.maxSendRate) } : {}) },
      }),
      engagement: fn('engagement', { timeout: engagementTimeout }),
      notifier: fn('notifier'),
      report: fn('report', { timeout: Duration.minutes(5), memorySize: 1024 }),
    };
    const { api, sender, engagement, notifier, report } = this.functions;

    // Grants, with the environment above: each function gets what its use cases touch, no more.
    const sesArn = (resource: string) => `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
    const identityArn = sesArn(`identity/${props.senderDomain}`);
    const configSetArn = sesArn(`configuration-set/${configurationSetName}`);
    // In the SES sandbox every recipient is an identity SES authorizes the send against.
    const sandboxRecipientArns = (props.sandboxRecipients ?? []).map((address) => sesArn(`identity/${address}`));
    const indexArn = `${this.table.tableArn}/index/${tableKeys.gsi1.indexName}`;
    const grantTable = (name: FunctionName) => {
      const { operations, queriesIndex } = tableAccess[name];
      const fnc = this.functions[name];
      fnc.addToRolePolicy(new PolicyStatement({ actions: operations.map((o) => `dynamodb:${o}`), resources: [this.table.tableArn] }));
      if (queriesIndex) fnc.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [indexArn] }));
    };
    // The key is read once per cold start (functions/aws-runtime.ts); DescribeSecret is not needed.
    const readUnsubscribeKey = (grantee: IGrantable) =>
      grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
    // SendMessageBatch is authorized as sqs:SendMessage; queue attributes and URL are never read.
    const enqueueSendJobs = new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.sendQueue.queueArn] });
    // On-demand reports are written by the api function: put and get under reports/, nothing else.
    // (GetObject is what the presigned report links are signed with; AbortMultipartUpload: a streamed
    // CSV upload that fails is aborted, never left half-written.)
    const reportObjects = new PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'], resources: [this.reportBucket.arnForObjects('reports/*')] });

    grantTable('api');
    api.addToRolePolicy(enqueueSendJobs);
    api.addToRolePolicy(reportObjects);
    readUnsubscribeKey(api);
    // Engagement events posted through the API can qualify a contact: the api publishes Lead Qualified.
    this.projectBus.grantPutEventsTo(api);

    grantTable('sender');
    sender.addToRolePolicy(enqueueSendJobs); // fan-out queues the next page
    readUnsubscribeKey(sender);
    sender.addToRolePolicy(new PolicyStatement({ actions: ['ses:SendEmail'], resources: [identityArn, configSetArn, ...sandboxRecipientArns] }));
    // Campaigns go out through SendBulkEmail (up to 50 recipients a call; the template is inline,
    // so no template resource).
    sender.addToRolePolicy(new PolicyStatement({ actions: ['ses:SendBulkEmail'], resources: [identityArn, configSetArn, ...sandboxRecipientArns] }));
    // GetAccount has no resource type in the Service Authorization Reference (SES v2): it can
    // only be granted on "*". It reads the account's own send quota, nothing else. A policy of its
    // own, so that its cdk-nag acknowledgement covers this statement and nothing else.
    const sendQuota = new Policy(this, 'SenderReadsSendQuota', {
      statements: [new PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] })],
      roles: [sender.role!],
    });
    sender.addEventSource(
      new SqsEventSource(this.sendQueue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: senderConcurrency }),
    );

    grantTable('engagement');
    this.projectBus.grantPutEventsTo(engagement);
    engagement.addEventSource(
      new SqsEventSource(this.eventsQueue, { batchSize: engagementBatchSize, maxBatchingWindow: engagementBatchingWindow, reportBatchItemFailures: true }),
    );

    grantTable('notifier');
    // Notifications go without the configuration set (untracked): the identity alone.
    notifier.addToRolePolicy(new PolicyStatement({ actions: ['ses:SendEmail'], resources: [identityArn, ...sandboxRecipientArns] }));

    grantTable('report');
    report.addToRolePolicy(reportObjects);
    // Large on-demand reports: the api function invokes the report function asynchronously.
    api.addEnvironment(envNames.reportFunctionName, report.functionName);
    api.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [report.functionArn] }));

    const integration = new HttpLambdaIntegration('ApiIntegration', api);
    this.api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration });
    // RFC 8058 one-click unsubscribe: mailbox providers POST without credentials; the token is HMAC-signed.
    this.api.addRoutes({ path: '/u/{token}', methods: [HttpMethod.GET, HttpMethod.POST], integration, authorizer: new HttpNoneAuthorizer() });

    const rulesDlq = new Queue(this, 'RuleTargetsDlq', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    this.ruleTargetsDlq = rulesDlq;
    // A report job that still fails after Lambda's two retries is kept, with its request, not lost.
    // (Bound by hand: the stock SqsDestination also grants GetQueueAttributes and GetQueueUrl.)
    report.configureAsyncInvoke({ retryAttempts: 2, onFailure: { bind: () => ({ destination: rulesDlq.queueArn }) } });
    report.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [rulesDlq.queueArn] }));
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
    // Our own role (not the stack-wide one aws-scheduler-targets would share), so what it may do is
    // visible here and its acknowledgement stays scoped to it; confused-deputy guard on the account.
    const scheduleRole = new Role(this, 'DailyReportsRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
    });
    new Schedule(this, 'DailyReports', {
      description: 'Daily campaign reports',
      schedule: ScheduleExpression.cron({
        hour: String(at.hour),
        minute: String(at.minute),
        timeZone: at.timeZone ? TimeZone.of(at.timeZone) : undefined,
      }),
      target: new LambdaInvoke(report, { input: ScheduleTargetInput.fromObject({}), deadLetterQueue: rulesDlq, retryAttempts: 3, role: scheduleRole }),
    });

    // Each cdk-nag finding we accept, on the one resource it concerns, with why (docs/infrastructure.md).
    // As cdk-nag prints ARNs: a stack's region and account literally when known, else the pseudo parameter.
    const pseudo = (key: 'partition' | 'region' | 'account') => {
      const value = Stack.of(this)[key];
      return Token.isUnresolved(value) ? `<AWS::${{ partition: 'Partition', region: 'Region', account: 'AccountId' }[key]}>` : value;
    };
    const arnOf = (c: IConstruct) => `<${Stack.of(this).resolve((c.node.defaultChild as CfnElement).logicalId)}.Arn>`;
    const acknowledge = (where: IConstruct[], id: string, reason: string) => {
      for (const c of where) Validations.of(c).acknowledge({ id: `AwsSolutions::${id}`, reason });
    };
    acknowledge([secret], 'AwsSolutions-SMG4', 'Rotating the unsubscribe HMAC key would break every unsubscribe link already in inboxes; rotation needs key versions in the token first (docs/decisions.md).');
    acknowledge(
      this.api.node.children.filter((c) => c.node.id.includes('--u--')),
      'AwsSolutions-APIG4',
      'Only the RFC 8058 one-click unsubscribe routes are open: mailbox providers POST them without credentials, and their HMAC-signed token is the authorization.',
    );
    acknowledge(
      [api.role!, report.role!].map((r) => r.node.findChild('DefaultPolicy')),
      `AwsSolutions-IAM5[Resource::${arnOf(this.reportBucket)}/reports/*]`,
      'Report objects are date-stamped keys under reports/: put and get, nothing else, on that prefix only.',
    );
    acknowledge([sendQuota], 'AwsSolutions-IAM5[Resource::*]', 'ses:GetAccount has no resource-level permission (SES v2 Service Authorization Reference): "*" is the only resource it accepts.');
    if (this.apiInvokePolicy) {
      acknowledge(
        [this.apiInvokePolicy],
        `AwsSolutions-IAM5[Resource::arn:${pseudo('partition')}:execute-api:${pseudo('region')}:${pseudo('account')}:<${Stack.of(this).resolve((this.api.node.defaultChild as CfnElement).logicalId)}>/$default/*/*]`,
        'The marketers API is one proxy route: calling it means calling any of its paths, on this API and stage only.',
      );
    }
    acknowledge([rulesDlq], 'AwsSolutions-SQS3', 'RuleTargetsDlq is itself the dead-letter queue of the EventBridge rule and schedule targets.');
    acknowledge(
      [scheduleRole],
      `AwsSolutions-IAM5[Resource::${arnOf(report)}:*]`,
      'The schedule may invoke the report function\'s versions (how aws-scheduler-targets grants); the function itself is named.',
    );
  }
}
