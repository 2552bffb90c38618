import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, Metric, TextWidget, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { MqlPipeline } from './mql-pipeline';

export interface PipelineOperationsProps {
  pipeline: MqlPipeline;
  /** Who is emailed when an alarm fires. @default no subscription (subscribe to the topic yourself) */
  alarmEmail?: string;
  /**
   * Alarm before SES's own review thresholds (bounce 5 %, complaint 0.1 %), so there is time to act.
   * @default { bounceRate: 0.04, complaintRate: 0.0008 }
   */
  reputationAlarms?: { bounceRate: number; complaintRate: number };
}

/**
 * Alarms and a dashboard for the people on call: anything in a dead-letter queue, function errors
 * and throttles, queues falling behind, and SES reputation heading for a review or a suspension.
 * Runbook: docs/operations.md.
 */
export class PipelineOperations extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineOperationsProps) {
    super(scope, id);
    const { pipeline } = props;
    this.topic = new Topic(this, 'Alarms', {
      displayName: 'mql-pipeline alarms',
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);
    const alarm = (name: string, metric: IMetric, threshold: number, description: string, periods = 1) => {
      const a = new Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: periods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: `${description} Runbook: docs/operations.md#${name.toLowerCase()}`,
      });
      a.addAlarmAction(action);
      this.alarms.push(a);
      return a;
    };

    const dlqs: [string, Queue][] = [
      ['SendDlq', pipeline.sendQueue.deadLetterQueue!.queue as Queue],
      ['EventsDlq', pipeline.eventsQueue.deadLetterQueue!.queue as Queue],
      ['RuleTargetsDlq', pipeline.ruleTargetsDlq],
    ];
    for (const [name, queue] of dlqs) {
      alarm(`${name}Depth`, queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), 0, `Messages are waiting in ${name}: something failed repeatedly.`);
    }
    for (const [name, queue] of [['SendQueue', pipeline.sendQueue], ['EventsQueue', pipeline.eventsQueue]] as const) {
      alarm(`${name}Age`, queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }), 15 * 60, `${name} is falling behind (oldest message over 15 minutes).`, 2);
    }
    for (const [name, fn] of Object.entries(pipeline.functions)) {
      alarm(`${name}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 0, `The ${name} function failed.`);
      alarm(`${name}Throttles`, fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), 0, `The ${name} function was throttled.`);
    }
    const reputation = props.reputationAlarms ?? { bounceRate: 0.04, complaintRate: 0.0008 };
    const ses = (metricName: string, statistic = 'Maximum') => new Metric({ namespace: 'AWS/SES', metricName, period: Duration.hours(1), statistic });
    alarm('SesBounceRate', ses('Reputation.BounceRate'), reputation.bounceRate, `SES bounce rate is above ${reputation.bounceRate * 100} % (SES reviews the account at 5 %).`);
    alarm('SesComplaintRate', ses('Reputation.ComplaintRate'), reputation.complaintRate, `SES complaint rate is above ${reputation.complaintRate * 100} % (SES reviews the account at 0.1 %).`);

    const fns = Object.entries(pipeline.functions);
    const perFunction = (metric: (f: (typeof fns)[number][1]) => IMetric, title: string) =>
      new GraphWidget({ title, width: 12, left: fns.map(([, f]) => metric(f)) });
    new Dashboard(this, 'Dashboard', {
      dashboardName: `${pipeline.node.id}-health`.replace(/[^A-Za-z0-9_-]/g, '-'),
      widgets: [
        [new TextWidget({ markdown: '# mql-pipeline\nHealth of sending, engagement recording and qualification. Runbook: docs/operations.md', width: 24, height: 2 })],
        [perFunction((f) => f.metricInvocations({ period: Duration.minutes(5) }), 'Invocations'), perFunction((f) => f.metricErrors({ period: Duration.minutes(5) }), 'Errors')],
        [
          perFunction((f) => f.metricDuration({ period: Duration.minutes(5), statistic: 'p95' }), 'Duration p95'),
          new GraphWidget({
            title: 'Queues: depth and age of oldest',
            width: 12,
            left: [pipeline.sendQueue.metricApproximateNumberOfMessagesVisible(), pipeline.eventsQueue.metricApproximateNumberOfMessagesVisible()],
            right: [pipeline.sendQueue.metricApproximateAgeOfOldestMessage(), pipeline.eventsQueue.metricApproximateAgeOfOldestMessage()],
          }),
        ],
        [
          new GraphWidget({ title: 'Dead-letter queues', width: 12, left: dlqs.map(([, q]) => q.metricApproximateNumberOfMessagesVisible()) }),
          new GraphWidget({ title: 'SES: sends, deliveries, bounces, complaints', width: 12, left: ['Send', 'Delivery', 'Bounce', 'Complaint'].map((m) => ses(m, 'Sum')) }),
        ],
        [
          new GraphWidget({ title: 'SES reputation', width: 12, left: [ses('Reputation.BounceRate'), ses('Reputation.ComplaintRate')] }),
          new GraphWidget({ title: 'Campaign throughput: send jobs handled', width: 12, left: [pipeline.functions.sender.metricInvocations({ period: Duration.minutes(1) })] }),
        ],
      ],
    });
  }
}
