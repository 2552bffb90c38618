import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * Observability for every function, in one style: Powertools logger, metrics and tracer.
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

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'mql-pipeline';
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
/** Disabled outside Lambda (Powertools checks the environment), so local runs send no traces. */
export const tracer = new Tracer({ serviceName });

interface LambdaContextLike {
  awsRequestId: string;
  functionName: string;
  /** The sender hands work back before its timeout (functions/sender/handler.ts). */
  getRemainingTimeInMillis?: () => number;
}
const isSqsEvent = (event: unknown): event is { Records: unknown[] } =>
  Array.isArray((event as { Records?: unknown } | null)?.Records);
const retriedOf = (result: unknown) => (result as { batchItemFailures?: unknown[] } | null)?.batchItemFailures;

/**
 * Wraps a Lambda entry point: request id and cold start in every log line, a `## handler` trace
 * subsegment annotated with ColdStart and Service, the ColdStart metric, received/retried counts
 * for queue consumers, and metrics flushed after every invocation, also when it throws.
 */
export function instrumented<E, R>(handler: (event: E, context?: LambdaContextLike) => Promise<R>) {
  let coldStart = true;
  return async (event: E, context?: LambdaContextLike): Promise<R> => {
    if (context) logger.addContext(context as never);
    if (coldStart) metrics.captureColdStartMetric(context?.functionName);
    coldStart = false;
    const segment = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    const subsegment = segment?.addNewSubsegment('## handler');
    if (subsegment) {
      tracer.setSegment(subsegment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
    }
    try {
      const result = await handler(event, context);
      if (isSqsEvent(event)) {
        metrics.addMetric(metricNames.messagesReceived, MetricUnit.Count, event.Records.length);
        metrics.addMetric(metricNames.messagesRetried, MetricUnit.Count, retriedOf(result)?.length ?? 0);
      }
      // The response is not added to the trace: reports and contacts carry personal data.
      return result;
    } catch (error) {
      if (subsegment) tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      subsegment?.close();
      if (segment) tracer.setSegment(segment);
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
