import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MqlPipeline, type MqlPipelineProps } from '../../infra/aws/mql-pipeline';
import { MqlPipelineStack } from '../../infra/aws/stack';

/**
 * The logical ids of the resources that hold data, written out as literals on purpose: a
 * CloudFormation update that sees a logical id change deletes the old resource and creates a new
 * one. A change of any id below REPLACES DATA ON UPDATE (the table and its items, the reports, a
 * queue's waiting messages, the unsubscribe key that signs every link already in inboxes) or fails
 * the update half-way (the named configuration set and bus, the sending identity). Refactor the
 * constructs freely, but keep these ids: never "fix" this test by changing them.
 */
const statefulIds: Record<string, string> = {
  PipelineTable0C1A5F45: 'AWS::DynamoDB::Table',
  PipelineAccessLogs3A10AC0B: 'AWS::S3::Bucket',
  PipelineReports85019C45: 'AWS::S3::Bucket',
  PipelineUnsubscribeKey2A9AD6BE: 'AWS::SecretsManager::Secret',
  PipelineSendQueue8C4A1637: 'AWS::SQS::Queue',
  PipelineSendQueueDlq7BFED407: 'AWS::SQS::Queue',
  PipelineEventsQueueFC9FD828: 'AWS::SQS::Queue',
  PipelineEventsQueueDlq386C40C2: 'AWS::SQS::Queue',
  PipelineRuleTargetsDlqB7F33E07: 'AWS::SQS::Queue',
  PipelineConfigurationSet59B4120D: 'AWS::SES::ConfigurationSet',
  PipelineProjectBus8D26474A: 'AWS::Events::EventBus',
  // The alarm topic's customer-managed key (#16): CloudWatch can publish only through such a key.
  OperationsAlarmTopicKey52078457: 'AWS::KMS::Key',
};
/** Only with `createSenderIdentity`: its DKIM keys are what the published CNAMEs point at. */
const senderIdentityId = { PipelineSenderIdentityA57E736E: 'AWS::SES::EmailIdentity' };
/** The same resources of the construct added under the id 'Mql' to a team's own stack. */
const embeddedIds: Record<string, string> = {
  MqlTable5BD83E4A: 'AWS::DynamoDB::Table',
  MqlAccessLogs1F68F816: 'AWS::S3::Bucket',
  MqlReports0E2F4ED6: 'AWS::S3::Bucket',
  MqlUnsubscribeKey8EEB46C5: 'AWS::SecretsManager::Secret',
  MqlSendQueue3239D322: 'AWS::SQS::Queue',
  MqlSendQueueDlqB95519E5: 'AWS::SQS::Queue',
  MqlEventsQueue490108F0: 'AWS::SQS::Queue',
  MqlEventsQueueDlq943B7EB1: 'AWS::SQS::Queue',
  MqlRuleTargetsDlqBA046EF3: 'AWS::SQS::Queue',
  MqlConfigurationSet0E0036BC: 'AWS::SES::ConfigurationSet',
  MqlProjectBusA99118C4: 'AWS::Events::EventBus',
};
/** The resource types that hold data or carry a fixed name: every one of them must be pinned above. */
const statefulTypes = new Set([
  'AWS::DynamoDB::Table',
  'AWS::S3::Bucket',
  'AWS::SecretsManager::Secret',
  'AWS::SQS::Queue',
  'AWS::KMS::Key',
  'AWS::SES::ConfigurationSet',
  'AWS::SES::EmailIdentity',
  'AWS::Events::EventBus',
]);

const pipelineProps: MqlPipelineProps = { senderDomain: 'acme.example', salesInbox: 'sales@acme.example' };
/** Templates only: no Lambda bundling. */
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const typesById = (template: Template) =>
  Object.fromEntries(Object.entries(template.toJSON().Resources as Record<string, { Type: string }>).map(([id, r]) => [id, r.Type]));
const statefulOf = (template: Template) =>
  Object.fromEntries(Object.entries(typesById(template)).filter(([, type]) => statefulTypes.has(type)));

let defaultStack: Template;
let withIdentity: Template;
let embedded: Template;

beforeAll(() => {
  // The id of the default app's stack (infra/aws/app.ts).
  defaultStack = Template.fromStack(new MqlPipelineStack(newApp(), 'MqlPipeline', { pipeline: pipelineProps }));
  withIdentity = Template.fromStack(
    new MqlPipelineStack(newApp(), 'MqlPipeline', { pipeline: { ...pipelineProps, createSenderIdentity: {} } }),
  );
  const team = new Stack(newApp(), 'TeamStack');
  new MqlPipeline(team, 'Mql', pipelineProps);
  embedded = Template.fromStack(team);
}, 120_000);

describe('logical ids of the resources that hold data (a change replaces them on update)', () => {
  it('keeps every stateful resource of the default stack under its id and type, and no other', () => {
    expect(statefulOf(defaultStack)).toEqual(statefulIds);
  });

  it('keeps the sending identity under its id when the stack creates it', () => {
    expect(statefulOf(withIdentity)).toEqual({ ...statefulIds, ...senderIdentityId });
  });

  it("keeps the ids of the construct in a team's own stack", () => {
    expect(statefulOf(embedded)).toEqual(embeddedIds);
  });
});
