import { Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, MathExpression, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../functions/observability';
import { alarmTopicKey, followUpFailuresLog, pausedLog, setAsideLog } from './alarm-sources';
import { fiveMinutes, healthWidgets, sesMetric } from './dashboard';
import type { MqlPipeline } from './mql-pipeline';

export { followUpFailuresLog, pausedLog, setAsideLog } from './alarm-sources';

export interface PipelineOperationsProps {
  pipeline: MqlPipeline;
  /** Who is emailed when an alarm fires. @default no subscription (subscribe to the topic yourself) */
  alarmEmail?: string;
  /**
   * Alarm before SES's own review thresholds (bounce 5 %, complaint 0.1 %), so there is time to act.
   * @default { bounceRate: 0.04, complaintRate: 0.0008 }
   */
  reputationAlarms?: { bounceRate: number; complaintRate: number };
  /**
   * Where the runbook lives; every alarm's description links `<runbookUrl>#<alarm name in lower case>`.
   * Point it at your repository's rendered docs/operations.md. @default 'docs/operations.md'
   */
  runbookUrl?: string;
}

/**
 * Alarms and a dashboard for the people on call: anything in a dead-letter queue, events set aside
 * as malformed, function errors and throttles, API server errors, queues falling behind, and SES
 * reputation heading for a review or a suspension. Runbook: docs/operations.md, one section per alarm.
 */
export class PipelineOperations extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  private readonly runbook: string;
  private readonly alarmAction: SnsAction;

  constructor(scope: Construct, id: string, props: PipelineOperationsProps) {
    super(scope, id);
    const { pipeline } = props;
    this.runbook = props.runbookUrl ?? 'docs/operations.md';
    this.topic = new Topic(this, 'Alarms', { displayName: 'mql-pipeline alarms', masterKey: alarmTopicKey(this), enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.alarmAction = new SnsAction(this.topic);

    const dlqs = deadLetterQueuesOf(pipeline);
    this.alarmOnQueues(pipeline, dlqs);
    this.alarmOnFunctionsAndApi(pipeline);
    const setAside = this.alarmOnEventsSetAside(pipeline);
    this.alarmOnCampaignsPaused(pipeline);
    this.alarmOnFollowUpFailures(pipeline);
    this.alarmOnSesReputation(props.reputationAlarms ?? { bounceRate: 0.04, complaintRate: 0.0008 });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-${pipeline.node.id}-health`.replace(/[^A-Za-z0-9_-]/g, '-'),
      widgets: healthWidgets(pipeline, this.runbook, dlqs, setAside),
    });
  }

  /** An alarm above `threshold`, to the topic, linking its runbook section. */
  /** A reminder or escalation SES refuses is retried every run and never arrives: sales's follow-up clock is silently broken. */
  private alarmOnFollowUpFailures(pipeline: MqlPipeline) {
    const failures = new MetricFilter(this, 'FollowUpsFailingFilter', {
      logGroup: pipeline.functions.notifier.logGroup,
      filterPattern: FilterPattern.stringValue('$.message', '=', followUpFailuresLog.message),
      metricNamespace: METRICS_NAMESPACE,
      metricName: 'FollowUpsFailed',
      metricValue: `$.${followUpFailuresLog.countField}`,
      defaultValue: 0,
    });
    this.alarm(
      'FollowUpsFailing',
      failures.metric({ period: fiveMinutes, statistic: 'Sum' }),
      0,
      'Speed-to-lead reminders or escalations failed to send (each is retried by the next scheduled run); the notifier log says which contact and why.',
      3,
    );
  }

  /** The sender pauses a campaign itself when SES refuses it or its template cannot be rendered: someone must look. */
  private alarmOnCampaignsPaused(pipeline: MqlPipeline) {
    const paused = new MetricFilter(this, 'CampaignsPausedFilter', {
      logGroup: pipeline.functions.sender.logGroup,
      filterPattern: FilterPattern.all(
        FilterPattern.stringValue('$.message', '=', pausedLog.message),
        FilterPattern.stringValue('$.status', '=', pausedLog.status),
      ),
      metricNamespace: METRICS_NAMESPACE,
      metricName: 'CampaignsPaused',
      metricValue: '1',
      defaultValue: 0,
    });
    this.alarm(
      'CampaignsPaused',
      paused.metric({ period: fiveMinutes, statistic: 'Sum' }),
      0,
      'The sender paused a campaign itself (SES refused to send, or the template cannot be rendered); its pausedReason says why.',
    );
  }
  private alarm(name: string, metric: IMetric, threshold: number, description: string, periods = 1) {
    const alarm = new Alarm(this, name, {
      // Readable in the alarm email and unique per stack.
      alarmName: `${Stack.of(this).stackName}-${name}`,
      metric,
      threshold,
      evaluationPeriods: periods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `${description} Runbook: ${this.runbook}#${name.toLowerCase()}`,
    });
    alarm.addAlarmAction(this.alarmAction);
    this.alarms.push(alarm);
    return alarm;
  }

  private alarmOnQueues(pipeline: MqlPipeline, dlqs: [string, Queue][]) {
    for (const [name, queue] of dlqs) {
      this.alarm(
        `${name}Depth`,
        queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }),
        0,
        `Messages are waiting in ${name}: something failed repeatedly.`,
      );
    }
    // A large campaign legitimately keeps send jobs waiting for hours (the senders pace at the
    // account's rate): the send queue alarms when jobs wait and none is being consumed.
    const sendStalled = new MathExpression({
      expression: 'IF(age > 900 AND consumed == 0, 1, 0)',
      usingMetrics: {
        age: pipeline.sendQueue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' }),
        consumed: pipeline.sendQueue.metricNumberOfMessagesDeleted({ period: fiveMinutes, statistic: 'Sum' }),
      },
      period: fiveMinutes,
      label: 'send queue stalled',
    });
    this.alarm(
      'SendQueueStalled',
      sendStalled,
      0,
      'Send jobs have waited over 15 minutes and none was consumed in 5 minutes: sending has stopped.',
      2,
    );
    // SES events should be recorded within seconds; a quarter of an hour means the engagement side is behind.
    const eventsAge = pipeline.eventsQueue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' });
    this.alarm('EventsQueueAge', eventsAge, 15 * 60, 'EventsQueue is falling behind (oldest SES event waiting over 15 minutes).', 2);
  }

  private alarmOnFunctionsAndApi(pipeline: MqlPipeline) {
    for (const [name, fn] of Object.entries(pipeline.functions)) {
      this.alarm(`${name}Errors`, fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }), 0, `The ${name} function failed.`);
      this.alarm(
        `${name}Throttles`,
        fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
        0,
        `The ${name} function was throttled.`,
      );
    }
    // The API handler answers unexpected errors with a 500 instead of failing: they show here, not in Errors.
    this.alarm(
      'ApiServerErrors',
      pipeline.api.metricServerError({ period: fiveMinutes, statistic: 'Sum' }),
      0,
      'The API answered with 5xx.',
    );
  }

  /** Malformed SES events are acknowledged (they never fail a batch) and set aside with their reason. */
  private alarmOnEventsSetAside(pipeline: MqlPipeline) {
    const setAside = new MetricFilter(this, 'EventsSetAsideFilter', {
      logGroup: pipeline.functions.engagement.logGroup,
      filterPattern: FilterPattern.stringValue('$.message', '=', setAsideLog.message),
      metricNamespace: METRICS_NAMESPACE,
      metricName: 'EventsSetAside',
      metricValue: `$.${setAsideLog.countField}`,
      defaultValue: 0,
    });
    this.alarm(
      'EventsSetAside',
      setAside.metric({ period: fiveMinutes, statistic: 'Sum' }),
      0,
      'SES events could not be understood and were set aside (dead letters in the table).',
    );
    return setAside;
  }

  private alarmOnSesReputation(reputation: { bounceRate: number; complaintRate: number }) {
    this.alarm(
      'SesBounceRate',
      sesMetric('Reputation.BounceRate'),
      reputation.bounceRate,
      `SES bounce rate is above ${reputation.bounceRate * 100} % (SES reviews the account at 5 %).`,
    );
    this.alarm(
      'SesComplaintRate',
      sesMetric('Reputation.ComplaintRate'),
      reputation.complaintRate,
      `SES complaint rate is above ${reputation.complaintRate * 100} % (SES reviews the account at 0.1 %).`,
    );
  }
}

const deadLetterQueuesOf = (pipeline: MqlPipeline): [string, Queue][] => [
  ['SendDlq', pipeline.sendQueue.deadLetterQueue!.queue as Queue],
  ['EventsDlq', pipeline.eventsQueue.deadLetterQueue!.queue as Queue],
  ['RuleTargetsDlq', pipeline.ruleTargetsDlq],
];
