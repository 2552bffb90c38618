import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { MqlPipelineStack } from '../../infra/aws/stack';
import { validatePipelineProps } from '../../infra/aws/pipeline-props';

/** The quarterly criteria review's schedule (infra/aws/criteria-review-schedule.ts). */
let template: Template;
let synthError: unknown;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new MqlPipelineStack(app, 'Review', {
    pipeline: { senderDomain: 'acme.example', salesInbox: 'sales@acme.example', marketingInbox: 'marketing@acme.example' },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  template = Template.fromStack(stack);
}, 120_000);

describe('the quarterly criteria review schedule', () => {
  it('passes cdk-nag with only its reviewed acknowledgement', () => {
    expect(synthError).toBeUndefined();
  });

  it('invokes the report function with { review: "quarterly" } at 06:00 UTC on the first day of each quarter, with retries and a DLQ, under its own role', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 1 1,4,7,10 ? *)',
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineReportFunction'), 'Arn'] },
        Input: JSON.stringify({ review: 'quarterly' }),
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineRuleTargetsDlq'), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 3 },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineCriteriaReviewRole'), 'Arn'] },
      },
    });
    const role = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) => id.startsWith('PipelineCriteriaReviewRole'))!;
    expect(JSON.stringify(role[1])).toContain('scheduler.amazonaws.com');
    expect(JSON.stringify(role[1])).toContain('aws:SourceAccount');
  });

  it("tells the report function the marketing inbox; the sales inbox is every function's", () => {
    const report = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('PipelineReportFunction'))!;
    const env = (report[1] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
    expect(env.MARKETING_INBOX).toBe('marketing@acme.example');
    expect(env.SALES_INBOX).toBe('sales@acme.example');
  });

  it('refuses a marketing inbox that is not an address, naming the prop', () => {
    expect(() =>
      validatePipelineProps({ senderDomain: 'acme.example', salesInbox: 'sales@acme.example', marketingInbox: 'marketing' }),
    ).toThrow(/marketingInbox "marketing" is not an email address/);
  });
});
