import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MqlPipeline } from '../../src/infra/aws/mql-pipeline';
import { PipelineOperations } from '../../src/infra/aws/operations';

let template: Template;
let jwtTemplate: Template;

beforeAll(() => {
  const app = new App();
  const stack = new Stack(app, 'Ops');
  const pipeline = new MqlPipeline(stack, 'Pipeline', {
    senderDomain: 'acme.example', salesInbox: 'sales@acme.example', customTrackingRedirectDomain: 'click.acme.example',
  });
  new PipelineOperations(stack, 'Operations', { pipeline, alarmEmail: 'ops@acme.example' });
  template = Template.fromStack(stack);
  // A second app: a synthesized app's construct tree may not change.
  const jwtStack = new Stack(new App(), 'Jwt');
  new MqlPipeline(jwtStack, 'Pipeline', {
    senderDomain: 'acme.example', salesInbox: 'sales@acme.example',
    apiAuthorization: { type: 'jwt', issuer: 'https://auth.acme.example/', audience: ['mql-api'] },
  });
  jwtTemplate = Template.fromStack(jwtStack);
}, 120_000);

type AlarmProps = { Threshold: number; ComparisonOperator: string; AlarmActions: unknown[]; MetricName?: string; Namespace?: string; Dimensions?: { Name: string; Value: unknown }[] };
const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => (r as { Properties: AlarmProps }).Properties);

describe('operations', () => {
  it('alarms on any message in each of the three dead-letter queues', () => {
    const dlqAlarms = alarms().filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlqAlarms).toHaveLength(3);
    for (const a of dlqAlarms) expect([a.Threshold, a.ComparisonOperator]).toEqual([0, 'GreaterThanThreshold']);
  });

  it('alarms on each function\'s errors and throttles, and on queues falling behind', () => {
    expect(alarms().filter((a) => a.MetricName === 'Errors')).toHaveLength(5);
    expect(alarms().filter((a) => a.MetricName === 'Throttles')).toHaveLength(5);
    expect(alarms().filter((a) => a.MetricName === 'ApproximateAgeOfOldestMessage').map((a) => a.Threshold)).toEqual([900, 900]);
  });

  it('alarms on SES bounce and complaint rates before SES\'s own review thresholds', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/SES', MetricName: 'Reputation.BounceRate', Threshold: 0.04 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/SES', MetricName: 'Reputation.ComplaintRate', Threshold: 0.0008 });
  });

  it('sends every alarm to one encrypted topic with the on-call email subscribed', () => {
    const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    for (const a of alarms()) expect(a.AlarmActions).toEqual([{ Ref: topics[0] }]);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@acme.example' });
  });

  it('has a health dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('uses a custom tracking domain for SES links when given one', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { TrackingOptions: Match.objectLike({ CustomRedirectDomain: 'click.acme.example' }) });
  });

  it('can authorize the API with a JWT issuer instead of IAM, keeping unsubscribe open', () => {
    jwtTemplate.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT', JwtConfiguration: { Issuer: 'https://auth.acme.example/', Audience: ['mql-api'] } });
    jwtTemplate.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /{proxy+}', AuthorizationType: 'JWT' });
    jwtTemplate.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /u/{token}', AuthorizationType: 'NONE' });
  });
});
