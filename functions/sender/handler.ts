import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import type { App } from '../../lib/app';
import type { SendJob } from '../../lib/sending/ports';
import { mapWithConcurrency } from '../../lib/common/concurrency';
import { logger } from '../observability';

const exclusions = z.record(z.string(), z.number());
/** Claim tokens a continuation carries (ports.ts `ClaimAttempt`). */
const claims = z.array(z.string().min(1)).min(1).max(8).optional();
const stalls = z.number().int().nonnegative().optional();
const recipientOutcome = z.discriminatedUnion('state', [
  z.object({ contactId: z.string().min(1), at: z.string().min(1), state: z.literal('sent'), messageId: z.string() }),
  z.object({ contactId: z.string().min(1), at: z.string().min(1), state: z.literal('failed'), reason: z.string() }),
]);
const sendJobSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('fanout'),
    campaignId: z.string().min(1),
    generation: z.number().int().positive(),
    page: z.number().int().nonnegative(),
    cursor: z.string().optional(),
    totals: z.object({ recipients: z.number(), jobs: z.number(), excluded: exclusions }).optional(),
    claims,
    stalls,
  }),
  z.object({
    kind: z.literal('send'),
    campaignId: z.string().min(1),
    generation: z.number().int().positive(),
    jobId: z.string().min(1),
    contactIds: z.array(z.string().min(1)).min(1),
    attempt: z.number().int().nonnegative().optional(),
    claims,
    unrecorded: z.array(recipientOutcome).min(1).optional(),
    takeover: z.literal(true).optional(),
    stalls,
  }),
]);

/** Jobs of one SQS batch processed at once. */
export const JOBS_IN_PARALLEL = 4;

/** Work is handed back (as a continuation on the queue) this long before the function's timeout. */
export const DEADLINE_MARGIN_MS = 15_000;

/**
 * Consumes the send queue: fan-out pages and send jobs. A job that cannot finish before the
 * function's timeout, or that DynamoDB fails under, queues its own continuation; errors retrying
 * cannot cure come back alone (partial batch), and go to the DLQ after the queue's retries.
 */
export function makeSenderHandler(app: App) {
  return async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
    const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS : undefined;
    const batchItemFailures: { itemIdentifier: string }[] = [];
    // Jobs of a batch run side by side: while one waits for its send slot or for DynamoDB, another
    // has a call on the wire. The shared schedule keeps them, together, within the rate.
    await mapWithConcurrency(event.Records, JOBS_IN_PARALLEL, async (record) => {
      let job: SendJob;
      try {
        job = sendJobSchema.parse(JSON.parse(record.body)) as SendJob;
      } catch (error) {
        // A malformed job can never succeed: leave it to the queue's DLQ after its retries.
        logger.error('malformed send job', { messageId: record.messageId, error: (error as Error).message });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        return;
      }
      try {
        const result = await app.handleSendJob(job, { deadline });
        logger.info('send job done', {
          campaignId: job.campaignId,
          kind: job.kind,
          job: job.kind === 'send' ? job.jobId : job.page,
          ...result,
        });
      } catch (error) {
        logger.warn('send job will be retried', { campaignId: job.campaignId, error: (error as Error).message });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    });
    return { batchItemFailures };
  };
}
