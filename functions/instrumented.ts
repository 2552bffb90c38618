import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { logger, metricNames, metrics, serviceName } from './observability';

/**
 * The tracer, for the Lambda entry points and the AWS composition root only. Loading it loads the
 * X-Ray SDK, whose context tracking (cls-hooked) enables async hooks for the whole process: every
 * promise then costs about 15 times as much (2,000,000 awaits: 63 ms → 938 ms, measured here). On
 * Lambda that is the price of tracing; the local runtime, tests and benchmarks never load it.
 * Disabled outside Lambda (Powertools checks the environment), so nothing is sent from elsewhere.
 */
export const tracer = new Tracer({ serviceName });

interface LambdaContextLike {
  awsRequestId: string;
  functionName: string;
  /** The sender hands work back before its timeout (functions/sender/handler.ts). */
  getRemainingTimeInMillis?: () => number;
}
const isSqsEvent = (event: unknown): event is { Records: unknown[] } => Array.isArray((event as { Records?: unknown } | null)?.Records);
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
