import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import type { App } from '../../app';
import { logger } from '../observability';

const sendJobSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fanout'), campaignId: z.string().min(1), cursor: z.string().optional() }),
  z.object({ kind: z.literal('send'), campaignId: z.string().min(1), contactIds: z.array(z.string().min(1)).min(1) }),
]);

/** Consumes the send queue: fan-out pages and send jobs. Retryable failures come back alone. */
export function makeSenderHandler(app: App) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      let job;
      try {
        job = sendJobSchema.parse(JSON.parse(record.body));
      } catch (error) {
        // A malformed job can never succeed: leave it to the queue's DLQ after its retries.
        logger.error('malformed send job', { messageId: record.messageId, error: (error as Error).message });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      try {
        const result = await app.handleSendJob(job);
        logger.info('send job done', { campaignId: job.campaignId, kind: job.kind, ...result });
      } catch (error) {
        logger.warn('send job will be retried', { campaignId: job.campaignId, error: (error as Error).message });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
}
