import { Duration } from 'aws-cdk-lib';
import { GraphWidget, MathExpression, Metric, SingleValueWidget, TextWidget, type IMetric, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { METRICS_NAMESPACE, metricNames } from '../../functions/observability';
import type { MqlPipeline } from './mql-pipeline';

/** The health dashboard of the operations construct (operations.ts), row by row. */

export const fiveMinutes = Duration.minutes(5);
/** SES's account-wide metrics (reputation rates hourly, the counts summed per 5 minutes on the dashboard). */
export const sesMetric = (metricName: string, statistic = 'Maximum') =>
  new Metric({ namespace: 'AWS/SES', metricName, period: Duration.hours(1), statistic });
export const sesSum = (metricName: string) => sesMetric(metricName, 'Sum').with({ period: fiveMinutes, label: metricName });

type ConsumerMetric = (metricName: string, fn: 'sender' | 'engagement') => Metric;

/** The health dashboard, row by row: throughput, functions, queues, dead letters, SES, the API. */
export function healthWidgets(pipeline: MqlPipeline, runbook: string, dlqs: [string, Queue][], setAside: MetricFilter): IWidget[][] {
  // Powertools EMF metrics (functions/observability.ts), by function (the `service` dimension).
  const consumerMetric: ConsumerMetric = (metricName, fn) =>
    new Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: pipeline.functions[fn].serviceName },
      statistic: 'Sum',
      period: fiveMinutes,
      label: `${fn} ${metricName}`,
    });
  return [
    [
      new TextWidget({
        markdown: `# mql-pipeline\nHealth of sending, engagement recording and qualification. Runbook: ${runbook}`,
        width: 24,
        height: 2,
      }),
    ],
    [throughputWidget(consumerMetric(metricNames.messagesReceived, 'engagement').with({ label: 'SES events received' }))],
    ...functionAndQueueRows(pipeline),
    [queueRetriesWidget(consumerMetric), deadLettersWidget(dlqs, setAside)],
    ...sesAndApiRows(pipeline),
  ];
}

function functionAndQueueRows(pipeline: MqlPipeline): IWidget[][] {
  const fns = Object.values(pipeline.functions);
  const perFunction = (metric: (f: (typeof fns)[number]) => IMetric, title: string) =>
    new GraphWidget({ title, width: 12, left: fns.map(metric) });
  const { sendQueue, eventsQueue } = pipeline;
  return [
    [
      perFunction((f) => f.metricInvocations({ period: fiveMinutes }), 'Invocations'),
      perFunction((f) => f.metricErrors({ period: fiveMinutes }), 'Errors'),
    ],
    [
      perFunction((f) => f.metricDuration({ period: fiveMinutes, statistic: 'p95' }), 'Duration p95'),
      new GraphWidget({
        title: 'Queues: depth and age of oldest',
        width: 12,
        left: [sendQueue.metricApproximateNumberOfMessagesVisible(), eventsQueue.metricApproximateNumberOfMessagesVisible()],
        right: [sendQueue.metricApproximateAgeOfOldestMessage(), eventsQueue.metricApproximateAgeOfOldestMessage()],
      }),
    ],
  ];
}

function queueRetriesWidget(consumerMetric: ConsumerMetric): IWidget {
  return new GraphWidget({
    title: 'Queue messages: received and handed back for retry',
    width: 12,
    left: (['sender', 'engagement'] as const).flatMap((fn) => [
      consumerMetric(metricNames.messagesReceived, fn),
      consumerMetric(metricNames.messagesRetried, fn),
    ]),
  });
}

function deadLettersWidget(dlqs: [string, Queue][], setAside: MetricFilter): IWidget {
  return new GraphWidget({
    title: 'Dead letters: DLQs and events set aside',
    width: 12,
    left: dlqs.map(([, q]) => q.metricApproximateNumberOfMessagesVisible()),
    right: [setAside.metric({ period: fiveMinutes, statistic: 'Sum', label: 'EventsSetAside' })],
  });
}

function sesAndApiRows({ api }: MqlPipeline): IWidget[][] {
  return [
    [
      new GraphWidget({
        title: 'SES: sends, deliveries, bounces, complaints',
        width: 12,
        left: ['Send', 'Delivery', 'Bounce', 'Complaint'].map(sesSum),
      }),
      new GraphWidget({
        title: 'SES reputation (account)',
        width: 12,
        left: [sesMetric('Reputation.BounceRate'), sesMetric('Reputation.ComplaintRate')],
      }),
    ],
    [
      new GraphWidget({
        title: 'API: requests, 4xx, 5xx',
        width: 24,
        left: [
          api.metricCount({ period: fiveMinutes }),
          api.metricClientError({ period: fiveMinutes }),
          api.metricServerError({ period: fiveMinutes }),
        ],
      }),
    ],
  ];
}

function throughputWidget(sesEventsReceived: IMetric) {
  return new SingleValueWidget({
    title: 'Campaign throughput (last 5 minutes)',
    width: 24,
    metrics: [
      sesSum('Send'),
      sesSum('Delivery'),
      sesEventsReceived,
      new MathExpression({
        expression: 'bounces / sends',
        usingMetrics: { bounces: sesSum('Bounce'), sends: sesSum('Send') },
        label: 'bounces per send',
        period: fiveMinutes,
      }),
    ],
  });
}
