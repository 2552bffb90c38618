import { Aws } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { envNames } from '../../lib/config';
import { acknowledge, nagArnOf } from './nag-acknowledgements';
import type { PipelineFunctions } from './pipeline-function';
import type { MqlPipelineProps } from './pipeline-props';

export interface CriteriaReviewScheduleProps {
  pipeline: MqlPipelineProps;
  functions: PipelineFunctions;
  /** Where a schedule invocation that still fails after its retries is kept. */
  deadLetterQueue: IQueue;
}

/**
 * The quarterly criteria review (docs/qualification.md, "The quarterly review"): on the first day of
 * each quarter at 06:00 UTC, EventBridge Scheduler invokes the report function with
 * `{ "review": "quarterly" }`; it writes the previous quarter's review of every published criteria
 * set and emails its link once to the marketing and sales inboxes. Its own construct, role and
 * grants, so it stays apart from the daily schedule.
 */
export class CriteriaReviewSchedule extends Construct {
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, { pipeline, functions, deadLetterQueue }: CriteriaReviewScheduleProps) {
    super(scope, id);
    const report = functions.report;
    if (pipeline.marketingInbox) report.addEnvironment(envNames.marketingInbox, pipeline.marketingInbox);
    // The review's email goes out as the notifications do: untracked, from the identity alone.
    const sesArn = (resource: string) => `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:identity/${resource}`;
    report.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [sesArn(pipeline.senderDomain), ...(pipeline.sandboxRecipients ?? []).map(sesArn)],
      }),
    );
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Quarterly criteria review (first day of each quarter)',
      schedule: ScheduleExpression.cron({ minute: '0', hour: '6', day: '1', month: '1,4,7,10' }),
      target: new LambdaInvoke(report, {
        input: ScheduleTargetInput.fromObject({ review: 'quarterly' }),
        deadLetterQueue,
        retryAttempts: 3,
        role,
      }),
    });
    acknowledge(
      [role],
      `AwsSolutions-IAM5[Resource::${nagArnOf(report)}:*]`,
      "The schedule may invoke the report function's versions (how aws-scheduler-targets grants); the function itself is named.",
    );
  }
}
