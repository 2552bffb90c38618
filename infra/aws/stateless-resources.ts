import { Aws, Duration, TimeZone } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { EventBus, Rule, type EventPattern as CdkEventPattern } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal, type ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
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
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { envNames } from '../../lib/config';
import { DEFAULT_FOLLOW_UP_INTERVAL_MINUTES, followUpRunInput } from '../../functions/notifier/follow-up-schedule';
import { leadQualifiedPattern, publishedSesEventTypes, sesEventsPattern, type EventPattern } from '../event-patterns';
import { grantFunctionAccess } from './function-grants';
import { acknowledge, nagArnOf } from './nag-acknowledgements';
import { addApiRoutes, createHttpApi } from './pipeline-api';
import { PipelineFunction, type PipelineFunctions } from './pipeline-function';
import { configurationSetNameOf, senderConcurrencyOf, type FunctionName, type MqlPipelineProps } from './pipeline-props';
import { queueConsumers, type PipelineStatefulResources } from './stateful-resources';

/** Our pattern syntax (EventBridge JSON) to aws-cdk-lib's camel-cased EventPattern. */
export function toCdkPattern(pattern: EventPattern): CdkEventPattern {
  const { source, 'detail-type': detailType, detail, ...rest } = pattern as Record<string, unknown>;
  if (Object.keys(rest).length) throw new Error(`unsupported pattern fields: ${Object.keys(rest).join(', ')}`);
  return {
    source: source as string[],
    detailType: detailType as string[] | undefined,
    detail: detail as Record<string, unknown> | undefined,
  };
}

/**
 * The half of the pipeline that holds no data and can be replaced at will: SES's configuration set
 * and its event publishing, the project bus, the API, the functions and their grants, the rules and
 * the daily schedule. Like the stateful half, its resources are children of the MqlPipeline scope it
 * is given (not of a construct of its own), so their logical ids stay those of the first release.
 */
export class PipelineStatelessResources {
  readonly projectBus: EventBus;
  readonly configurationSet: ConfigurationSet;
  /** The sending domain's identity, when the stack creates it (`createSenderIdentity`). */
  readonly senderIdentity?: EmailIdentity;
  readonly api: HttpApi;
  /** With IAM authorization: lets marketers call this API (SigV4), nothing else. */
  readonly apiInvokePolicy?: ManagedPolicy;
  readonly functions: PipelineFunctions;

  constructor(scope: Construct, props: MqlPipelineProps, stateful: PipelineStatefulResources) {
    this.projectBus = new EventBus(scope, 'ProjectBus', { eventBusName: `${scope.node.id.toLowerCase()}-events` });
    this.configurationSet = createConfigurationSet(scope, props);
    this.senderIdentity = props.createSenderIdentity
      ? createSenderIdentity(scope, props.senderDomain, props.createSenderIdentity)
      : undefined;
    publishSesEventsToDefaultBus(scope, this.configurationSet);
    const { api, apiInvokePolicy } = createHttpApi(scope, props);
    this.api = api;
    this.apiInvokePolicy = apiInvokePolicy;
    this.functions = createFunctions(scope, props, { stateful, projectBus: this.projectBus, api: this.api });
    grantFunctionAccess({ scope, props, functions: this.functions, stateful, projectBus: this.projectBus });
    addApiRoutes(this.api, this.functions.api);
    routeEvents(scope, props, { stateful, functions: this.functions, projectBus: this.projectBus });
    scheduleDailyReports(scope, props, this.functions, stateful.ruleTargetsDlq);
    scheduleFollowUps(scope, props, this.functions, stateful.ruleTargetsDlq);
  }
}

function createConfigurationSet(scope: Construct, props: MqlPipelineProps) {
  return new ConfigurationSet(scope, 'ConfigurationSet', {
    configurationSetName: configurationSetNameOf(props),
    customTrackingRedirectDomain: props.customTrackingRedirectDomain,
    // Per-configuration-set bounce and complaint rates in CloudWatch, beside the account's.
    reputationMetrics: true,
    // Never send again to an address that bounced hard or complained, whatever the account setting.
    suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
  });
}

function createSenderIdentity(
  scope: Construct,
  senderDomain: string,
  { hostedZone }: NonNullable<MqlPipelineProps['createSenderIdentity']>,
) {
  // No default configuration set on the identity: notifications to sales must stay untracked.
  return new EmailIdentity(scope, 'SenderIdentity', {
    identity: hostedZone ? Identity.publicHostedZone(hostedZone) : Identity.domain(senderDomain),
    dkimIdentity: DkimIdentity.easyDkim(EasyDkimSigningKeyLength.RSA_2048_BIT),
  });
}

function publishSesEventsToDefaultBus(scope: Construct, configurationSet: ConfigurationSet) {
  new ConfigurationSetEventDestination(scope, 'SesToEventBridge', {
    configurationSet,
    // SES publishes to EventBridge on the default bus only.
    destination: EventDestination.eventBus(EventBus.fromEventBusName(scope, 'DefaultBus', 'default')),
    events: publishedSesEventTypes.map((t) => EmailSendingEvent[t]),
  });
}

/**
 * SES events of our configuration set → events queue; Lead Qualified → notifier; a report job that
 * still fails after Lambda's two retries is kept, with its request, in the rule targets' DLQ.
 */
function routeEvents(
  scope: Construct,
  props: MqlPipelineProps,
  routed: { stateful: PipelineStatefulResources; functions: PipelineFunctions; projectBus: EventBus },
) {
  const { stateful, functions, projectBus } = routed;
  const rulesDlq = stateful.ruleTargetsDlq;
  // (Bound by hand: the stock SqsDestination also grants GetQueueAttributes and GetQueueUrl.)
  functions.report.configureAsyncInvoke({ retryAttempts: 2, onFailure: { bind: () => ({ destination: rulesDlq.queueArn }) } });
  functions.report.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [rulesDlq.queueArn] }));
  new Rule(scope, 'SesEventsRule', {
    eventBus: EventBus.fromEventBusName(scope, 'DefaultBusForRule', 'default'),
    eventPattern: toCdkPattern(sesEventsPattern(configurationSetNameOf(props))),
    targets: [new SqsQueue(stateful.eventsQueue, { deadLetterQueue: rulesDlq, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
  });
  new Rule(scope, 'LeadQualifiedRule', {
    eventBus: projectBus,
    eventPattern: toCdkPattern(leadQualifiedPattern),
    targets: [new LambdaFunction(functions.notifier, { deadLetterQueue: rulesDlq, retryAttempts: 8, maxEventAge: Duration.hours(6) })],
  });
}

function scheduleDailyReports(scope: Construct, props: MqlPipelineProps, functions: PipelineFunctions, deadLetterQueue: IQueue) {
  const at = props.reportSchedule ?? { hour: 6, minute: 0 };
  // Our own role (not the stack-wide one aws-scheduler-targets would share), so what it may do is
  // visible here and its acknowledgement stays scoped to it; confused-deputy guard on the account.
  const role = new Role(scope, 'DailyReportsRole', {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
  });
  new Schedule(scope, 'DailyReports', {
    description: 'Daily campaign reports',
    schedule: ScheduleExpression.cron({
      hour: String(at.hour),
      minute: String(at.minute),
      timeZone: at.timeZone ? TimeZone.of(at.timeZone) : undefined,
    }),
    target: new LambdaInvoke(functions.report, { input: ScheduleTargetInput.fromObject({}), deadLetterQueue, retryAttempts: 3, role }),
  });
  acknowledge(
    [role],
    `AwsSolutions-IAM5[Resource::${nagArnOf(functions.report)}:*]`,
    "The schedule may invoke the report function's versions (how aws-scheduler-targets grants); the function itself is named.",
  );
}

/**
 * Speed-to-lead: every few minutes the notifier sends the reminders and escalations that are due
 * (docs/qualification.md). Overlapping runs (a slow run, a retry) are safe: each follow-up is
 * claimed on its lead before SES is called. A run that still fails after its retries is kept in the
 * rule targets' DLQ; the next run sends what it left anyway.
 */
function scheduleFollowUps(scope: Construct, props: MqlPipelineProps, functions: PipelineFunctions, deadLetterQueue: IQueue) {
  const minutes = props.followUpIntervalMinutes ?? DEFAULT_FOLLOW_UP_INTERVAL_MINUTES;
  const role = new Role(scope, 'FollowUpsRole', {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
  });
  new Schedule(scope, 'FollowUps', {
    description: 'Speed-to-lead reminders and escalations',
    schedule: ScheduleExpression.rate(Duration.minutes(minutes)),
    target: new LambdaInvoke(functions.notifier, {
      input: ScheduleTargetInput.fromObject(followUpRunInput),
      deadLetterQueue,
      retryAttempts: 2,
      // A run older than its interval is superseded by the next one.
      maxEventAge: Duration.minutes(Math.max(minutes, 1)),
      role,
    }),
  });
  acknowledge(
    [role],
    `AwsSolutions-IAM5[Resource::${nagArnOf(functions.notifier)}:*]`,
    "The schedule may invoke the notifier's versions (how aws-scheduler-targets grants); the function itself is named.",
  );
}

const entryOf = (name: FunctionName) => fileURLToPath(new URL(`../../functions/${name}/index.ts`, import.meta.url));

type FunctionSettings = Partial<{
  timeout: Duration;
  reservedConcurrentExecutions: number;
  memorySize: number;
  environment: Record<string, string>;
}>;

/** What the functions are told where to find. */
type FunctionUses = { stateful: PipelineStatefulResources; projectBus: EventBus; api: HttpApi };

/** The five functions, each with the environment its use cases read (lib/config.ts names it). */
function createFunctions(scope: Construct, props: MqlPipelineProps, uses: FunctionUses) {
  const environment = sharedEnvironment(props, uses);
  // Only the functions that sign (sender) or check (api) unsubscribe tokens know where the key is;
  // they alone may read it.
  const withUnsubscribeKey = { [envNames.unsubscribeSecretArn]: uses.stateful.unsubscribeKey.secretArn };
  const fn = (name: FunctionName, settings: FunctionSettings = {}) =>
    new PipelineFunction(scope, `${name[0]!.toUpperCase()}${name.slice(1)}Function`, {
      entry: props.entries?.[name] ?? entryOf(name),
      logRetention: props.logRetention,
      ...settings,
      environment: { ...environment, ...settings.environment },
    });
  const functions: PipelineFunctions = {
    api: fn('api', { environment: withUnsubscribeKey }),
    // Senders share one send schedule in the table (docs/sending.md, "Pace"), so the rate is the
    // account's whole rate, whatever their number; reserved concurrency keeps them from being
    // starved by other functions.
    sender: fn('sender', {
      timeout: queueConsumers.sender.timeout,
      reservedConcurrentExecutions: senderConcurrencyOf(props),
      environment: { ...withUnsubscribeKey, ...(props.maxSendRate ? { [envNames.maxSendRate]: String(props.maxSendRate) } : {}) },
    }),
    engagement: fn('engagement', { timeout: queueConsumers.engagement.timeout }),
    // Also runs the follow-up schedule (scheduleFollowUps): a page of due follow-ups per Query.
    notifier: fn('notifier', { timeout: Duration.minutes(2) }),
    report: fn('report', { timeout: Duration.minutes(5), memorySize: 1024 }),
  };
  return functions;
}

/** What every function is told: where the resources are, who is notified, how unsubscribing works. */
function sharedEnvironment(props: MqlPipelineProps, uses: FunctionUses) {
  const { stateful } = uses;
  return {
    [envNames.tableName]: stateful.table.tableName,
    [envNames.reportBucket]: stateful.reportBucket.bucketName,
    [envNames.sendQueueUrl]: stateful.sendQueue.queueUrl,
    [envNames.projectBusName]: uses.projectBus.eventBusName,
    [envNames.configurationSetName]: configurationSetNameOf(props),
    // SES events naming another account are set aside (lib/engagement/verify-events.ts).
    [envNames.accountId]: Aws.ACCOUNT_ID,
    [envNames.salesInbox]: props.salesInbox,
    [envNames.notificationFrom]: props.notificationFrom ?? `MQL Pipeline <mql@${props.senderDomain}>`,
    [envNames.unsubscribeBaseUrl]: `${uses.api.apiEndpoint}/u`,
    [envNames.unsubscribeMailto]: props.unsubscribeMailto ?? `unsubscribe@${props.senderDomain}`,
    [envNames.senderDomain]: props.senderDomain,
  };
}
