import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { followUpRunInput } from '../../functions/notifier/follow-up-schedule';
import { createTableInput, tableKeys } from '../../adapters/dynamodb/table-schema';
import { MqlPipeline, type MqlPipelineProps } from '../../infra/aws/mql-pipeline';
import { MqlPipelineStack } from '../../infra/aws/stack';
import { leadQualifiedPattern, publishedSesEventTypes, sesEventsPattern } from '../../infra/event-patterns';
import { parseSesEvent } from '../../lib/engagement/ses-event';

const pipelineProps: MqlPipelineProps = { senderDomain: 'acme.example', salesInbox: 'sales@acme.example' };
/** Templates only: no Lambda bundling (`npm run synth` bundles, in CI too). */
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const synthWithNag = (app: App) => {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
};
/** Every optional setting at once, in one more template (each synth costs seconds). */
const variantProps: Partial<MqlPipelineProps> = {
  followUpIntervalMinutes: 2,
  createSenderIdentity: {},
  maxSendRate: 14,
  senderConcurrency: 2,
  sandboxRecipients: ['tester@acme.example'],
  reportSchedule: { hour: 7, minute: 30, timeZone: 'Europe/Berlin' },
  removalPolicy: RemovalPolicy.DESTROY,
  apiAuthorization: { type: 'jwt', issuer: 'https://auth.acme.example/', audience: ['mql'] },
};

let template: Template;
let variant: Template;
let synthError: unknown;

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };
const actionsOfStatement = (s: Statement) => [s.Action].flat();
/** The IAM statements granted to a function's role, found by the function's logical id prefix. */
function statementsOf(functionPrefix: string, t = template): Statement[] {
  return Object.entries(t.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(`Pipeline${functionPrefix}`))
    .flatMap(([, p]) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}
const actionsOf = (functionPrefix: string, t = template) => statementsOf(functionPrefix, t).flatMap(actionsOfStatement);
const functions = ['ApiFunction', 'SenderFunction', 'EngagementFunction', 'NotifierFunction', 'ReportFunction'];
const resources = (type: string, t = template) =>
  Object.entries(t.findResources(type)) as [string, { Properties: Record<string, unknown> }][];

beforeAll(() => {
  const app = newApp();
  const stack = new MqlPipelineStack(app, 'Test', { pipeline: pipelineProps });
  try {
    synthWithNag(app);
  } catch (error) {
    synthError = error;
  }
  template = Template.fromStack(stack);
  variant = Template.fromStack(new MqlPipelineStack(newApp(), 'Variant', { pipeline: { ...pipelineProps, ...variantProps } }));
}, 120_000);

describe('cdk-nag AwsSolutions', () => {
  it('passes with only the reviewed acknowledgements', () => {
    expect(synthError).toBeUndefined();
  });

  it('fails synth on a finding nobody reviewed, even beside the pipeline', () => {
    const app = newApp();
    const stack = new MqlPipelineStack(app, 'Bad', { pipeline: pipelineProps });
    new Queue(stack, 'NoDlqNoSsl'); // AwsSolutions-SQS3 and SQS4
    expect(() => synthWithNag(app)).toThrow(/AwsSolutions-SQS3/);
  });

  it('keeps each acknowledgement on the resource it concerns: a new "*" grant elsewhere, or a wider one, still fails', () => {
    const app = newApp();
    const stack = new MqlPipelineStack(app, 'Beside', { pipeline: pipelineProps });
    // "*" is acknowledged on the functions' X-Ray statements, not for a role beside them.
    new Role(stack, 'Other', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }),
    );
    expect(() => synthWithNag(app)).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);

    const widened = newApp();
    const wide = new MqlPipelineStack(widened, 'Widened', { pipeline: pipelineProps });
    wide.pipeline.functions.report.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${wide.pipeline.table.tableArn}/index/*`] }),
    );
    expect(() => synthWithNag(widened)).toThrow(/AwsSolutions-IAM5/);
  });

  it("is clean as a construct in someone else's stack under another id (acknowledgements follow the logical ids)", () => {
    const app = newApp();
    new MqlPipeline(new Stack(app, 'TeamStack'), 'Mql', {
      ...pipelineProps,
      sandboxRecipients: ['tester@acme.example'],
      createSenderIdentity: {},
    });
    // An environment-specific stack: ARNs carry the literal region and account.
    new MqlPipeline(new Stack(app, 'PinnedStack', { env: { account: '111122223333', region: 'eu-west-1' } }), 'Mql', pipelineProps);
    expect(() => synthWithNag(app)).not.toThrow();
  });
});

describe('SES', () => {
  it('publishes exactly the SES event types the engagement parser understands, to the default bus', () => {
    const fixtureDir = join(__dirname, '../fixtures/ses-eventbridge');
    const fixtures = readdirSync(fixtureDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')));
    for (const f of fixtures) expect(parseSesEvent(f).ok).toBe(true);
    const normal = (t: string) => t.toUpperCase().replace(/[^A-Z]/g, '');
    expect(new Set(fixtures.map((f) => normal(f.detail.eventType)))).toEqual(new Set(publishedSesEventTypes.map(normal)));

    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: Match.arrayEquals(
          publishedSesEventTypes.map((t) => t.toLowerCase().replace(/_(\w)/g, (_, c: string) => c.toUpperCase())),
        ),
        EventBridgeDestination: { EventBusArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':event-bus/default$')])] } },
      },
    });
  });

  it('keeps reputation metrics and bounce/complaint suppression on the configuration set', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      Name: 'mql-pipeline-events',
      ReputationOptions: { ReputationMetricsEnabled: true },
      SuppressionOptions: { SuppressedReasons: Match.arrayEquals(['BOUNCE', 'COMPLAINT']) },
    });
  });

  it('creates the sending identity with 2048-bit Easy DKIM only when asked, and never gives it a default configuration set', () => {
    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    const withIdentity = variant;
    withIdentity.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'acme.example',
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      ConfigurationSetAttributes: Match.absent(),
    });
    expect(Object.keys(withIdentity.findOutputs('*')).filter((k) => k.startsWith('DkimRecord'))).toHaveLength(3);
  });
});

describe('EventBridge', () => {
  it("routes only our configuration set's SES events, by the shared pattern, to the events queue, with a DLQ and retries", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.ses'], detail: { mail: { tags: { 'ses:configuration-set': ['mql-pipeline-events'] } } } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineEventsQueue'), 'Arn'] } })],
    });
    expect(sesEventsPattern('mql-pipeline-events')).toEqual({
      source: ['aws.ses'],
      detail: { mail: { tags: { 'ses:configuration-set': ['mql-pipeline-events'] } } },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: leadQualifiedPattern,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineNotifierFunction'), 'Arn'] } })],
    });
  });

  it('gives every rule target and the daily schedule a dead-letter queue and a retry policy', () => {
    const rules = resources('AWS::Events::Rule');
    expect(rules).toHaveLength(2);
    for (const [, rule] of rules) {
      for (const target of rule.Properties.Targets as Record<string, unknown>[]) {
        expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineRuleTargetsDlq/), 'Arn'] } });
        expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) });
      }
    }
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      Target: {
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineRuleTargetsDlq'), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 3 },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineDailyReportsRole'), 'Arn'] },
      },
    });
  });

  it('runs the follow-ups (reminders, escalations) every 5 minutes through the notifier, with a DLQ, retries and its own role', () => {
    const schedules = resources('AWS::Scheduler::Schedule').filter(([id]) => id.startsWith('PipelineFollowUps'));
    expect(schedules).toHaveLength(1);
    const target = schedules[0]![1].Properties.Target as Record<string, unknown>;
    expect(schedules[0]![1].Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(target).toMatchObject({
      Arn: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineNotifierFunction/), 'Arn'] },
      Input: JSON.stringify(followUpRunInput),
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineRuleTargetsDlq/), 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
      RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineFollowUpsRole/), 'Arn'] },
    });
    // The schedule's role may invoke the notifier and put a failed run in the DLQ, nothing else.
    const rolePolicies = resources('AWS::IAM::Policy').filter(([id]) => id.startsWith('PipelineFollowUpsRole'));
    const actions = rolePolicies
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .flatMap(actionsOfStatement);
    expect([...new Set(actions)].sort()).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
    variant.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(2 minutes)' });
    expect(() => new MqlPipelineStack(newApp(), 'Bad', { pipeline: { ...pipelineProps, followUpIntervalMinutes: 0.5 } })).toThrow(
      /followUpIntervalMinutes/,
    );
  });

  it('runs the daily reports at the configured hour and time zone', () => {
    variant.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 7 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });
});

describe('SQS and event sources', () => {
  it('gives every work queue a dead-letter queue and a visibility timeout of six function timeouts plus the batching window', () => {
    const queues = resources('AWS::SQS::Queue').map(([id, q]) => ({ id, ...q.Properties })) as {
      id: string;
      RedrivePolicy?: { maxReceiveCount: number };
      VisibilityTimeout?: number;
    }[];
    const workQueues = queues.filter((q) => !/Dlq/.test(q.id));
    expect(workQueues.map((q) => q.id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['PipelineEventsQueue', 'PipelineSendQueue']);
    const receives = Object.fromEntries(workQueues.map((q) => [q.id.replace(/[0-9A-F]{8}$/, ''), q.RedrivePolicy]));
    expect(receives).toEqual({
      PipelineSendQueue: { deadLetterTargetArn: expect.anything(), maxReceiveCount: 5 },
      // Only passing failures come back on the events queue (malformed events are set aside at once).
      PipelineEventsQueue: { deadLetterTargetArn: expect.anything(), maxReceiveCount: 10 },
    });
    const visibility = Object.fromEntries(workQueues.map((q) => [q.id.replace(/[0-9A-F]{8}$/, ''), q.VisibilityTimeout]));
    expect(visibility).toEqual({ PipelineSendQueue: 6 * 120, PipelineEventsQueue: 6 * 60 + 5 });
  });

  it('encrypts every queue and refuses requests without TLS', () => {
    for (const [, q] of resources('AWS::SQS::Queue')) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    const queuePolicies = resources('AWS::SQS::QueuePolicy');
    expect(queuePolicies).toHaveLength(resources('AWS::SQS::Queue').length);
    for (const [, p] of queuePolicies) {
      expect((p.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('consumes the events queue in batches of 500 with a 5 s window and partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^PipelineEngagementFunction') },
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('paces the senders: as many instances as reserved, sharing one schedule at the account rate', () => {
    const t = variant;
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^PipelineSenderFunction') },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 2,
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'mql-pipeline-sender', MAX_SEND_RATE: '14' }) },
    });
    // Only the sender paces: no other function carries the rate.
    const others = resources('AWS::Lambda::Function', t).filter(([id]) => !id.startsWith('PipelineSenderFunction'));
    for (const [, f] of others)
      expect((f.Properties.Environment as { Variables: Record<string, unknown> }).Variables.MAX_SEND_RATE).toBeUndefined();
  });
});

describe('functions', () => {
  it('run on Node.js 22, arm64, with tracing, source maps, Powertools settings and a log group kept a month', () => {
    const fns = resources('AWS::Lambda::Function');
    expect(fns).toHaveLength(5);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('Logs') } },
      Environment: {
        Variables: Match.objectLike({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_METRICS_NAMESPACE: 'MqlPipeline',
          POWERTOOLS_SERVICE_NAME: Match.stringLikeRegexp('^mql-pipeline-'),
        }),
      },
    });
    for (const [, g] of resources('AWS::Logs::LogGroup')) expect(g.Properties.RetentionInDays).toBe(30);
  });

  it('never hold the unsubscribe key: api and sender get its ARN and may only read it, the others neither', () => {
    for (const [id, f] of resources('AWS::Lambda::Function')) {
      const vars = (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(vars).filter((k) => /SECRET$|KEY$/.test(k))).toEqual([]);
      // A function that is told the ARN reads the secret at cold start, so it must also be allowed to.
      const needsKey = /^Pipeline(Api|Sender)Function/.test(id);
      expect({ id, arn: vars.UNSUBSCRIBE_SECRET_ARN }).toEqual({
        id,
        arn: needsKey ? { Ref: expect.stringMatching(/^PipelineUnsubscribeKey/) } : undefined,
      });
    }
    for (const fn of functions) {
      const secretActions = actionsOf(fn).filter((a) => a.startsWith('secretsmanager:'));
      expect({ fn, secretActions }).toEqual({
        fn,
        secretActions: ['ApiFunction', 'SenderFunction'].includes(fn) ? ['secretsmanager:GetSecretValue'] : [],
      });
    }
  });
});

describe('IAM, per function', () => {
  it('lets the report writers stream CSVs (multipart, aborted on failure) under reports/ only, and cleans up abandoned parts', () => {
    for (const fn of ['ApiFunction', 'ReportFunction']) {
      expect(actionsOf(fn)).toEqual(
        expect.arrayContaining(['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:DeleteObject', 's3:DeleteObjectVersion']),
      );
    }
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } })]),
      },
    });
  });

  it('lets the api function hand large reports to the report function, and keeps failed report jobs in a dead-letter queue', () => {
    const invoke = statementsOf('ApiFunction').find((st) => JSON.stringify(st.Action) === JSON.stringify('lambda:InvokeFunction'))!;
    expect(JSON.stringify(invoke.Resource)).toMatch(/ReportFunction[0-9A-F]+","Arn"/);
    expect(JSON.stringify(invoke.Resource)).not.toContain(':*');
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    const withName = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, f]) =>
      JSON.stringify(f).includes('REPORT_FUNCTION_NAME'),
    );
    expect(withName.map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual(['PipelineApiFunction']);
  });

  it('grants nothing on "*" but X-Ray, and SES GetAccount to the sender in a policy of its own', () => {
    for (const fn of functions) {
      const starActions = statementsOf(fn)
        .filter((s) => s.Resource === '*')
        .flatMap(actionsOfStatement)
        .sort();
      expect({ fn, starActions }).toEqual({ fn, starActions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'] });
    }
    expect(statementsOf('SenderReadsSendQuota')).toEqual([{ Effect: 'Allow', Action: 'ses:GetAccount', Resource: '*' }]);
  });

  it('lets only the sender, the notifier and the report function (the quarterly review) send email, from the sender identity; only the sender with the configuration set', () => {
    for (const fn of ['ApiFunction', 'EngagementFunction']) expect(actionsOf(fn).filter((a) => a.startsWith('ses:'))).toEqual([]);
    const sesResources = (fn: string) => JSON.stringify(statementsOf(fn).find((s) => s.Action === 'ses:SendEmail')!.Resource);
    expect(sesResources('SenderFunction')).toMatch(/:identity\/acme\.example".*:configuration-set\/mql-pipeline-events"/);
    expect(sesResources('NotifierFunction')).toMatch(/:identity\/acme\.example"/);
    expect(sesResources('NotifierFunction')).not.toMatch(/configuration-set/);
    expect(sesResources('ReportFunction')).toMatch(/:identity\/acme\.example"/);
    expect(sesResources('ReportFunction')).not.toMatch(/configuration-set/);
    expect(actionsOf('ReportFunction').filter((a) => a.startsWith('ses:'))).toEqual(['ses:SendEmail']);
    // Campaigns go out through SendBulkEmail: the sender alone, on the same resources as SendEmail.
    const bulk = (fn: string) => statementsOf(fn).find((s) => s.Action === 'ses:SendBulkEmail');
    expect(JSON.stringify(bulk('SenderFunction')!.Resource)).toBe(sesResources('SenderFunction'));
    expect(bulk('NotifierFunction')).toBeUndefined();
  });

  it("adds the sandbox's verified recipients to the send permissions when given", () => {
    const t = variant;
    for (const fn of ['SenderFunction', 'NotifierFunction']) {
      expect(JSON.stringify(statementsOf(fn, t).find((s) => s.Action === 'ses:SendEmail')!.Resource)).toContain(
        ':identity/tester@acme.example',
      );
    }
  });

  it('lets the api and sender only enqueue send jobs (and the report function only set aside a failed job), the engagement and api functions only publish to the project bus, api and report only put, get and abort uploads under reports/', () => {
    const grant = (fn: string, prefix: string) => statementsOf(fn).filter((s) => actionsOfStatement(s).some((a) => a.startsWith(prefix)));
    for (const fn of functions) {
      const enqueue = grant(fn, 'sqs:SendMessage');
      expect(enqueue.map((s) => [s.Action, s.Resource])).toEqual(
        ['ApiFunction', 'SenderFunction'].includes(fn)
          ? [['sqs:SendMessage', { 'Fn::GetAtt': [expect.stringMatching(/^PipelineSendQueue/), 'Arn'] }]]
          : // The report function's failed asynchronous jobs (large on-demand reports) go to the rule-targets DLQ.
            fn === 'ReportFunction'
            ? [['sqs:SendMessage', { 'Fn::GetAtt': [expect.stringMatching(/^PipelineRuleTargetsDlq/), 'Arn'] }]]
            : [],
      );
      const puts = grant(fn, 'events:');
      expect(puts.map((s) => [s.Action, s.Resource])).toEqual(
        // The api publishes too: engagement events posted through it can qualify a contact.
        ['EngagementFunction', 'ApiFunction'].includes(fn)
          ? [['events:PutEvents', { 'Fn::GetAtt': [expect.stringMatching(/^PipelineProjectBus/), 'Arn'] }]]
          : [],
      );
      const objects = grant(fn, 's3:');
      expect(objects.map((s) => [s.Action, JSON.stringify(s.Resource)])).toEqual(
        ['ApiFunction', 'ReportFunction'].includes(fn)
          ? [
              [
                ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:DeleteObject', 's3:DeleteObjectVersion'],
                expect.stringMatching(/PipelineReports[0-9A-F]+","Arn"\]\},"\/reports\/\*"/),
              ],
              // Listing, for erasure and for removing a failed report's versions: under reports/ only.
              [
                ['s3:ListBucket', 's3:ListBucketVersions'],
                expect.stringMatching(/^\{"Fn::GetAtt":\["PipelineReports[0-9A-F]+","Arn"\]\}$/),
              ],
            ]
          : [],
      );
    }
  });

  it('never grants a scan, a delete (but the notifier deleting a sent follow-up), or table management', () => {
    for (const fn of functions) {
      const dynamo = actionsOf(fn).filter((a) => a.startsWith('dynamodb:'));
      const refused = /Scan|Delete|BatchWrite|Describe|Stream|Records|Shard|Create|Update(Table|TimeToLive)/;
      // The follow-up schedule deletes each due item once its reminder or escalation is sent or answered.
      const allowed = fn === 'NotifierFunction' ? ['dynamodb:DeleteItem'] : [];
      expect({ fn, refused: dynamo.filter((a) => refused.test(a)) }).toEqual({ fn, refused: allowed });
    }
  });
});

describe('API', () => {
  it('requires IAM authorization on every route except the signed one-click unsubscribe, logs access and throttles', () => {
    const routes = resources('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties as { RouteKey: string; AuthorizationType: string });
    expect(routes.map((r) => `${r.RouteKey} ${r.AuthorizationType}`).sort()).toEqual([
      'ANY /{proxy+} AWS_IAM',
      'GET /u/{token} NONE',
      'POST /u/{token} NONE',
    ]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"routeKey":"\\$context.routeKey"') },
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    // Access logs keep no source IP and no raw path (an unsubscribe path carries a contact's token).
    const format = String((resources('AWS::ApiGatewayV2::Stage')[0]![1].Properties.AccessLogSettings as { Format: string }).Format);
    expect(format).not.toMatch(/sourceIp|\$context\.path|resourcePath/);
    expect(JSON.parse(format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });
});

describe("marketers' access", () => {
  it('offers a managed policy that may invoke this API and nothing else (IAM authorization only)', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'execute-api:Invoke',
            Resource: { 'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('^PipelineApi') }, '/$default/*/*'])] },
          },
        ],
      },
    });
    expect(Object.keys(template.findOutputs('*'))).toEqual(expect.arrayContaining(['ApiUrl', 'ApiInvokePolicyArn', 'AlarmTopicArn']));
    variant.resourceCountIs('AWS::IAM::ManagedPolicy', 0); // JWT authorization: no IAM callers
  });
});

describe('storage', () => {
  it('keeps the table on demand, encrypted, with point-in-time recovery and deletion protection while retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    });
    variant.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
  });

  it('declares the table exactly as the local runtime creates it: keys, index and TTL from the one schema', () => {
    const local = createTableInput('any');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: local.KeySchema,
      AttributeDefinitions: Match.arrayEquals(local.AttributeDefinitions!),
      GlobalSecondaryIndexes: [
        {
          IndexName: tableKeys.gsi1.indexName,
          KeySchema: local.GlobalSecondaryIndexes![0]!.KeySchema,
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: tableKeys.ttlAttribute, Enabled: true },
    });
  });

  it('keeps both buckets private, encrypted, owner-enforced, SSL-only, and expiring what they hold', () => {
    const buckets = resources('AWS::S3::Bucket');
    expect(buckets).toHaveLength(2);
    for (const [, b] of buckets) {
      expect(b.Properties).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
      expect(b.Properties.AccessControl).toBeUndefined();
      expect(
        (b.Properties.LifecycleConfiguration as { Rules: { ExpirationInDays?: number }[] }).Rules[0]!.ExpirationInDays,
      ).toBeGreaterThan(0);
    }
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'reports/' },
      LifecycleConfiguration: {
        Rules: [
          {
            Status: 'Enabled',
            ExpirationInDays: 365,
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          },
        ],
      },
    });
  });

  it("lets nobody in through the bucket policies but the S3 logging service, for the report bucket's logs only", () => {
    const policies = resources('AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(2);
    for (const [, p] of policies) {
      const statements = (p.Properties.PolicyDocument as { Statement: Statement[] & { Principal: unknown }[] }).Statement as (Statement & {
        Principal: unknown;
      })[];
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      for (const s of statements.filter((s) => s.Effect === 'Allow')) {
        expect(s).toEqual({
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^PipelineAccessLogs/), 'Arn'] }, '/reports/*']] },
          Condition: {
            ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [expect.stringMatching(/^PipelineReports/), 'Arn'] } },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        });
      }
    }
  });
});

describe('props', () => {
  it.each([
    [{ senderDomain: 'not a domain' }, /senderDomain "not a domain" is not a domain name/],
    [{ salesInbox: 'sales' }, /salesInbox "sales" is not an email address/],
    [{ senderConcurrency: 1 }, /senderConcurrency must be an integer of at least 2/],
    [{ maxSendRate: 0 }, /maxSendRate must be a positive number/],
    [{ reportSchedule: { hour: 24, minute: 0 } }, /reportSchedule must be/],
    [{ reportRetentionDays: 0 }, /reportRetentionDays must be a whole number/],
    [{ sandboxRecipients: ['nobody'] }, /sandboxRecipients: "nobody" is not an email address/],
  ] as [Partial<MqlPipelineProps>, RegExp][])('refuses %j with a message naming the setting', (bad, message) => {
    expect(() => new MqlPipeline(new Stack(newApp(), 'Bad'), 'Pipeline', { ...pipelineProps, ...bad })).toThrow(message);
  });
});
