import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { PublicHostedZone } from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { MqlPipeline, type MqlPipelineProps } from './mql-pipeline';
import { PipelineOperations, type PipelineOperationsProps } from './operations';

export interface MqlPipelineStackProps extends StackProps {
  pipeline: MqlPipelineProps;
  /** Who is emailed when an alarm fires. @default no subscription */
  alarmEmail?: string;
  /** Alarm and runbook settings. @default PipelineOperations' defaults */
  operations?: Omit<PipelineOperationsProps, 'pipeline' | 'alarmEmail'>;
  /**
   * Id of the Route 53 public zone named `pipeline.senderDomain`: the stack then creates the SES
   * identity and publishes its DKIM records there (a reference by id: synth stays offline).
   * @default undefined
   */
  senderHostedZoneId?: string;
}

/**
 * The project's default stack: the MqlPipeline construct, its operations (alarms, dashboard), and
 * the outputs a deployment needs next (docs/deploy.md). cdk-nag acknowledgements live with the
 * resources they concern (MqlPipeline, PipelineFunction), so any new finding fails synth.
 */
export class MqlPipelineStack extends Stack {
  readonly pipeline: MqlPipeline;

  readonly operations: PipelineOperations;

  constructor(scope: Construct, id: string, props: MqlPipelineStackProps) {
    super(scope, id, props);
    const hostedZone = props.senderHostedZoneId
      ? PublicHostedZone.fromPublicHostedZoneAttributes(this, 'SenderZone', {
          hostedZoneId: props.senderHostedZoneId,
          zoneName: props.pipeline.senderDomain,
        })
      : undefined;
    this.pipeline = new MqlPipeline(
      this,
      'Pipeline',
      hostedZone ? { ...props.pipeline, createSenderIdentity: { hostedZone } } : props.pipeline,
    );
    this.operations = new PipelineOperations(this, 'Operations', {
      ...props.operations,
      pipeline: this.pipeline,
      alarmEmail: props.alarmEmail,
    });

    const { pipeline } = this;
    new CfnOutput(this, 'ApiUrl', { value: pipeline.api.apiEndpoint, description: 'MQL_API_URL for the mql CLI (SigV4-signed requests)' });
    if (pipeline.apiInvokePolicy) {
      new CfnOutput(this, 'ApiInvokePolicyArn', {
        value: pipeline.apiInvokePolicy.managedPolicyArn,
        description: "Attach to marketers' roles: SigV4 access to the API",
      });
    }
    new CfnOutput(this, 'ReportBucketName', { value: pipeline.reportBucket.bucketName });
    new CfnOutput(this, 'ConfigurationSetName', { value: pipeline.configurationSet.configurationSetName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.operations.topic.topicArn, description: 'Subscribe the on-call rota here' });
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboardName });
    const identity = pipeline.senderIdentity;
    if (identity && !hostedZone) {
      // The three Easy DKIM CNAMEs to publish at the domain's DNS host (docs/deploy.md).
      identity.dkimRecords.forEach((record, i) => {
        new CfnOutput(this, `DkimRecord${i + 1}`, {
          value: `${record.name} CNAME ${record.value}`,
          description: 'Publish at your DNS host',
        });
      });
    }
  }
}
