import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Observability for every function, in one style: Powertools logger and metrics here; the tracer
 * and the Lambda entry wrapper in ./instrumented (loaded by the Lambda entry points only).
 *
 * Log ids (campaignId, contactId, messageId), never email addresses or whole events: they are
 * personal data. Service name and level come from the environment (POWERTOOLS_SERVICE_NAME,
 * POWERTOOLS_LOG_LEVEL) that the CDK function construct sets; the metrics namespace is set here,
 * once, and the CDK stack's dashboard and alarms import it.
 */
export const METRICS_NAMESPACE = 'MqlPipeline';

/** Metric names the functions emit (EMF, through the logs: no API call, no extra permission). */
export const metricNames = {
  /** SQS messages a queue consumer was handed. */
  messagesReceived: 'MessagesReceived',
  /** SQS messages it handed back for a retry (partial batch response). */
  messagesRetried: 'MessagesRetried',
} as const;

export const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'mql-pipeline';
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
