import { Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MqlPipeline, type MqlPipelineProps } from './mql-pipeline';
import { PipelineOperations } from './operations';

/** The project's default stack: the MqlPipeline construct with the reviewed cdk-nag acknowledgements. */
export class MqlPipelineStack extends Stack {
  readonly pipeline: MqlPipeline;

  readonly operations: PipelineOperations;

  constructor(scope: Construct, id: string, props: StackProps & { pipeline: MqlPipelineProps; alarmEmail?: string }) {
    super(scope, id, props);
    this.pipeline = new MqlPipeline(this, 'Pipeline', props.pipeline);
    this.operations = new PipelineOperations(this, 'Operations', { pipeline: this.pipeline, alarmEmail: props.alarmEmail });
    acknowledgeReviewedFindings(this);
  }
}

/**
 * Each cdk-nag finding we accept, with why (docs/infrastructure.md lists them); anything not
 * listed here fails synth.
 */
export const reviewedFindings: { id: string; reason: string }[] = [
  {
    id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'The AWS-managed minimum for a function to write its own logs; a hand-made copy would add nothing.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason: 'X-Ray PutTraceSegments/PutTelemetryRecords and SES GetAccount have no resource-level permissions: AWS requires "*".',
  },
  {
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::<PipelineTable0C1A5F45.Arn>/index/*]',
    reason: 'Queries on the table\'s own index (gsi1); the wildcard covers only this table\'s indexes.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::<PipelineReports85019C45.Arn>/reports/*]',
    reason: 'Report objects are date-stamped keys under reports/: put and get, nothing else, on that prefix only.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::<PipelineReportFunctionF6DD1F4F.Arn>:*]',
    reason: 'The scheduler may invoke any version of the report function (the scheduler-targets default); the function is named.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-L1',
    reason: 'DESIGN.md fixes Node.js 22 for Lambda: the code is tested on Node 20 and 22, not on newer runtimes.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason: 'RuleTargetsDlq is itself the dead-letter queue of the EventBridge rule and schedule targets.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-SMG4',
    reason: 'Rotating the unsubscribe HMAC key would break every unsubscribe link already in inboxes; rotation needs key versions first (docs/infrastructure.md).',
  },
  {
    id: 'AwsSolutions::AwsSolutions-APIG4',
    reason: 'Only the RFC 8058 one-click unsubscribe routes are open: mailbox providers POST them without credentials, and their HMAC-signed token is the authorization.',
  },
];

function acknowledgeReviewedFindings(stack: Stack) {
  for (const finding of reviewedFindings) Validations.of(stack).acknowledge(finding);
}
