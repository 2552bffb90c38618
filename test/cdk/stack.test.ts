import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { leadQualifiedPattern, publishedSesEventTypes, sesEventsPattern } from '../../src/infra/event-patterns';
import { MqlPipelineStack } from '../../src/infra/aws/stack';

const props = { pipeline: { senderDomain: 'acme.example', salesInbox: 'sales@acme.example' } };
let template: Template;
let synthError: unknown;

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
/** The IAM statements of the policy attached to a function's role, found by the function's logical id prefix. */
function statementsOf(functionPrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const entry = Object.entries(policies).find(([id]) => id.startsWith(`Pipeline${functionPrefix}ServiceRoleDefaultPolicy`));
  if (!entry) throw new Error(`no policy for ${functionPrefix}`);
  return (entry[1] as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement;
}
const actionsOf = (functionPrefix: string) => statementsOf(functionPrefix).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

beforeAll(() => {
  const app = new App();
  const stack = new MqlPipelineStack(app, 'Test', props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  template = Template.fromStack(stack);
}, 120_000);

describe('the CDK stack', () => {
  it('passes cdk-nag AwsSolutions with only the reviewed acknowledgements', () => {
    expect(synthError).toBeUndefined();
  });

  it('fails synth on an unacknowledged cdk-nag finding', () => {
    const app = new App();
    const stack = new MqlPipelineStack(app, 'Bad', props);
    new Queue(stack, 'NoDlqNoSsl'); // AwsSolutions-SQS3 and SQS4
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow();
  });

  it('publishes exactly the SES event types the pipeline reads to the default EventBridge bus', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: Match.arrayEquals(publishedSesEventTypes.map((t) => t.toLowerCase().replace(/_(\w)/g, (_, c: string) => c.toUpperCase()))),
        EventBridgeDestination: { EventBusArn: Match.anyValue() },
      },
    });
  });

  it('routes our configuration set\'s SES events, by the shared pattern, to the events queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: sesEventsPattern('mql-pipeline-events'),
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: leadQualifiedPattern,
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue() })],
    });
  });

  it('consumes the events queue in batches of 100 with a batching window and partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('gives every work queue a dead-letter queue and a visibility timeout of six function timeouts plus the batching window', () => {
    const queues = Object.values(template.findResources('AWS::SQS::Queue')) as { Properties: { RedrivePolicy?: { maxReceiveCount: number }; VisibilityTimeout?: number } }[];
    const workQueues = queues.filter((q) => q.Properties.RedrivePolicy);
    expect(workQueues).toHaveLength(2);
    for (const q of workQueues) expect(q.Properties.RedrivePolicy!.maxReceiveCount).toBe(5);
    expect(workQueues.map((q) => q.Properties.VisibilityTimeout).sort()).toEqual([6 * 60 + 5, 6 * 120]);
  });

  it('runs every function on Node.js 22, arm64, with tracing', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }));
    expect(functions).toHaveLength(5);
    template.allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
  });

  it('grants SES sending only to the sender and the notifier, on named resources', () => {
    expect(actionsOf('EngagementFunction')).not.toContain('ses:SendEmail');
    expect(actionsOf('ApiFunction')).not.toContain('ses:SendEmail');
    const send = statementsOf('SenderFunction').find((s) => s.Action === 'ses:SendEmail')!;
    expect(send.Resource).not.toBe('*');
    expect(JSON.stringify(send.Resource)).toContain('identity/acme.example');
    expect(JSON.stringify(send.Resource)).toContain('configuration-set/mql-pipeline-events');
    expect(actionsOf('NotifierFunction')).toContain('ses:SendEmail');
  });

  it('lets only the engagement function publish to the project bus, and no function delete reports', () => {
    expect(actionsOf('EngagementFunction')).toContain('events:PutEvents');
    expect(actionsOf('NotifierFunction')).not.toContain('events:PutEvents');
    for (const fn of ['ApiFunction', 'ReportFunction', 'SenderFunction', 'EngagementFunction', 'NotifierFunction']) {
      expect(actionsOf(fn).filter((a) => a.startsWith('s3:Delete'))).toEqual([]);
    }
  });

  it('requires IAM authorization on the API except the signed one-click unsubscribe routes', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /{proxy+}', AuthorizationType: 'AWS_IAM' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /u/{token}', AuthorizationType: 'NONE' });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as { Properties: { RouteKey: string; AuthorizationType: string } }[];
    for (const r of routes) if (!r.Properties.RouteKey.includes('/u/')) expect(r.Properties.AuthorizationType).toBe('AWS_IAM');
  });

  it('keeps the report bucket private, encrypted and SSL-only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: Match.anyValue(),
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('keeps the table on demand with point-in-time recovery, and schedules the daily report', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 6 * * ? *)' });
  });

  it('passes the unsubscribe key by secret ARN, never in clear', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables: Record<string, unknown> } } }[];
    for (const f of functions) {
      const vars = f.Properties.Environment?.Variables ?? {};
      expect(Object.keys(vars).some((k) => /SECRET$/.test(k))).toBe(false);
    }
  });
});
