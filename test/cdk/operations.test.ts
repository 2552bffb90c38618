import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App as PipelineApp } from '../../lib/app';
import { makeEngagementHandler } from '../../functions/engagement/handler';
import { logger } from '../../functions/observability';
import { MqlPipeline } from '../../infra/aws/mql-pipeline';
import { PipelineOperations, followUpFailuresLog, pausedLog, setAsideLog } from '../../infra/aws/operations';
import { makeNotifierHandler } from '../../functions/notifier/handler';
import { followUpRunInput } from '../../functions/notifier/follow-up-schedule';
import { makeSenderHandler } from '../../functions/sender/handler';

let template: Template;
let jwtTemplate: Template;
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

beforeAll(() => {
  const stack = new Stack(newApp(), 'Ops');
  const pipeline = new MqlPipeline(stack, 'Pipeline', {
    senderDomain: 'acme.example',
    salesInbox: 'sales@acme.example',
    customTrackingRedirectDomain: 'click.acme.example',
  });
  new PipelineOperations(stack, 'Operations', { pipeline, alarmEmail: 'ops@acme.example' });
  template = Template.fromStack(stack);
  const jwtStack = new Stack(newApp(), 'Jwt');
  new MqlPipeline(jwtStack, 'Pipeline', {
    senderDomain: 'acme.example',
    salesInbox: 'sales@acme.example',
    apiAuthorization: { type: 'jwt', issuer: 'https://auth.acme.example/', audience: ['mql-api'] },
  });
  jwtTemplate = Template.fromStack(jwtStack);
}, 120_000);
afterEach(() => vi.restoreAllMocks());

type AlarmProps = {
  AlarmName: string;
  AlarmDescription: string;
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  AlarmActions: unknown[];
  MetricName?: string;
  Namespace?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Metrics?: { Expression?: string }[];
};
const alarms = () =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => (r as { Properties: AlarmProps }).Properties);
const named = (name: string) => alarms().find((a) => a.AlarmName === `Ops-${name}`)!;

describe('alarms', () => {
  it('alarms on any message in each of the three dead-letter queues', () => {
    for (const name of ['SendDlqDepth', 'EventsDlqDepth', 'RuleTargetsDlqDepth']) {
      const a = named(name);
      expect([a.MetricName, a.Threshold, a.ComparisonOperator]).toEqual(['ApproximateNumberOfMessagesVisible', 0, 'GreaterThanThreshold']);
      expect(a.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.stringMatching(/Dlq/), 'QueueName'] } }]);
    }
  });

  it("alarms on each function's errors and throttles, and on API server errors", () => {
    expect(alarms().filter((a) => a.MetricName === 'Errors')).toHaveLength(5);
    expect(alarms().filter((a) => a.MetricName === 'Throttles')).toHaveLength(5);
    expect(named('ApiServerErrors')).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5xx', Threshold: 0 });
  });

  it('alarms when the events queue falls behind, and when sending stalls (not merely when a big campaign waits)', () => {
    expect(named('EventsQueueAge')).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 900, EvaluationPeriods: 2 });
    const stalled = named('SendQueueStalled');
    expect(stalled.Metrics!.map((m) => m.Expression).filter(Boolean)).toEqual(['IF(age > 900 AND consumed == 0, 1, 0)']);
    expect(JSON.stringify(stalled.Metrics)).toContain('NumberOfMessagesDeleted');
  });

  it("alarms on SES bounce and complaint rates before SES's own review thresholds", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SES',
      MetricName: 'Reputation.BounceRate',
      Threshold: 0.04,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SES',
      MetricName: 'Reputation.ComplaintRate',
      Threshold: 0.0008,
    });
  });

  it('counts the events the engagement handler sets aside, from the very log line it writes', async () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: Match.stringLikeRegexp('^PipelineEngagementFunctionLogs') },
      FilterPattern: `{ $.message = "${setAsideLog.message}" }`,
      MetricTransformations: [
        { MetricNamespace: 'MqlPipeline', MetricName: 'EventsSetAside', MetricValue: `$.${setAsideLog.countField}`, DefaultValue: 0 },
      ],
    });
    expect(named('EventsSetAside')).toMatchObject({ Namespace: 'MqlPipeline', MetricName: 'EventsSetAside', Threshold: 0 });

    // Run the real handler on two malformed events and read what it logged.
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    }
    logger.setLogLevel('WARN');
    const app = {
      setAsideEvents: async () => {},
      recordEngagement: async () => ({ failedMessageIds: [] }),
    } as unknown as PipelineApp;
    await makeEngagementHandler(app)({
      Records: [
        { messageId: 'a', body: 'not json' },
        { messageId: 'b', body: '{"source":"aws.ses"}' },
      ],
    } as never);
    vi.restoreAllMocks();
    const logged = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.find((l) => l.message === setAsideLog.message)?.[setAsideLog.countField]).toBe(2);
  });

  it('sends every alarm to one encrypted topic with the on-call email subscribed, under readable names', () => {
    const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    for (const a of alarms()) {
      expect(a.AlarmActions).toEqual([{ Ref: topics[0] }]);
      expect(a.AlarmName).toMatch(/^Ops-[A-Za-z]+$/);
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@acme.example' });
  });

  it('encrypts the alarm topic with a customer-managed key CloudWatch may use (else alarm emails never arrive)', () => {
    const keys = template.findResources('AWS::KMS::Key');
    const [keyId, key] = Object.entries(keys).find(([id]) => id.startsWith('OperationsAlarmTopicKey'))!;
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const statements = (key as { Properties: { KeyPolicy: { Statement: Record<string, unknown>[] } } }).Properties.KeyPolicy.Statement;
    expect(statements).toContainEqual({
      Sid: 'AllowCloudWatchAlarmsToPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
    });
    expect((key as { Properties: { EnableKeyRotation: boolean } }).Properties.EnableKeyRotation).toBe(true);
    expect(JSON.stringify(template.findResources('AWS::SNS::Topic'))).not.toContain('alias/aws/sns');
  });

  it('alarms when the sender pauses a campaign itself, from the very log line it writes', async () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: Match.stringLikeRegexp('^PipelineSenderFunctionLogs') },
      FilterPattern: `{ ($.message = "${pausedLog.message}") && ($.status = "${pausedLog.status}") }`,
      MetricTransformations: [{ MetricNamespace: 'MqlPipeline', MetricName: 'CampaignsPaused', MetricValue: '1', DefaultValue: 0 }],
    });
    expect(named('CampaignsPaused')).toMatchObject({ Namespace: 'MqlPipeline', MetricName: 'CampaignsPaused', Threshold: 0 });
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    }
    logger.setLogLevel('INFO');
    const app = { handleSendJob: async () => ({ status: 'paused', sent: 0, failed: 0, excluded: 0 }) } as unknown as PipelineApp;
    const job = { kind: 'send', campaignId: 'cmp_1', generation: 1, jobId: 'j1', contactIds: ['ct_1'] };
    await makeSenderHandler(app)({ Records: [{ messageId: 'a', body: JSON.stringify(job) }] } as never);
    vi.restoreAllMocks();
    logger.setLogLevel('WARN');
    const logged = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(expect.objectContaining({ message: pausedLog.message, status: pausedLog.status }));
  });

  it('alarms when scheduled follow-ups keep failing, from the very log line the notifier writes', async () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: Match.stringLikeRegexp('^PipelineNotifierFunctionLogs') },
      FilterPattern: `{ $.message = "${followUpFailuresLog.message}" }`,
      MetricTransformations: [
        {
          MetricNamespace: 'MqlPipeline',
          MetricName: 'FollowUpsFailed',
          MetricValue: `$.${followUpFailuresLog.countField}`,
          DefaultValue: 0,
        },
      ],
    });
    expect(named('FollowUpsFailing')).toMatchObject({ Namespace: 'MqlPipeline', MetricName: 'FollowUpsFailed', Threshold: 0 });
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    }
    logger.setLogLevel('INFO');
    const app = {
      sendDueFollowUps: async () => ({ sent: 1, 'sent-unrecorded': 0, 'already-sent': 0, 'not-due': 0, answered: 0, failed: 2 }),
    } as unknown as PipelineApp;
    await makeNotifierHandler(app)(followUpRunInput);
    vi.restoreAllMocks();
    logger.setLogLevel('WARN');
    const logged = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = logged.find((l) => l.message === followUpFailuresLog.message);
    expect(line).toBeDefined();
    expect(followUpFailuresLog.countField.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], line)).toBe(2);
  });

  it('links every alarm to its own section of the runbook', () => {
    const runbook = readFileSync(join(__dirname, '../../docs/operations.md'), 'utf8');
    // GitHub's heading anchors: lower case, spaces to hyphens, punctuation dropped.
    const anchors = new Set(
      [...runbook.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    expect(alarms()).toHaveLength(21);
    for (const a of alarms()) {
      const anchor = a.AlarmDescription.match(/Runbook: docs\/operations\.md#([a-z0-9-]+)$/)?.[1];
      expect({ alarm: a.AlarmName, anchor, documented: anchor !== undefined && anchors.has(anchor) }).toEqual({
        alarm: a.AlarmName,
        anchor: a.AlarmName.slice('Ops-'.length).toLowerCase(),
        documented: true,
      });
    }
  });
});

describe('dashboard', () => {
  it('shows throughput, function health, queues, dead letters, SES and the API', () => {
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);
    for (const title of [
      'Campaign throughput',
      'Invocations',
      'Errors',
      'Duration p95',
      'Queues: depth and age of oldest',
      'Queue messages: received and handed back for retry',
      'Dead letters',
      'SES reputation',
      'API: requests, 4xx, 5xx',
    ]) {
      expect(body).toContain(title);
    }
    // The functions' own Powertools metrics, under the one namespace, by service.
    expect(body).toContain('MqlPipeline');
    expect(body).toContain('mql-pipeline-engagement');
  });
});

describe('API authorization and tracking', () => {
  it('uses a custom tracking domain for SES links when given one', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      TrackingOptions: Match.objectLike({ CustomRedirectDomain: 'click.acme.example' }),
    });
  });

  it('can authorize the API with a JWT issuer instead of IAM, keeping unsubscribe open', () => {
    jwtTemplate.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://auth.acme.example/', Audience: ['mql-api'] },
    });
    jwtTemplate.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /{proxy+}', AuthorizationType: 'JWT' });
    jwtTemplate.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /u/{token}', AuthorizationType: 'NONE' });
  });
});
