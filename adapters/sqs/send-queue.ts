import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { chunk } from '../../lib/common/concurrency';
import { TransientDependencyError } from '../../lib/common/errors';
import type { SendJob, SendQueue } from '../../lib/sending/ports';

export class SqsSendQueue implements SendQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(jobs: SendJob[], options: { delaySeconds?: number } = {}) {
    // SQS delays a message by at most 15 minutes.
    const delay = options.delaySeconds ? Math.min(900, Math.max(0, Math.round(options.delaySeconds))) : undefined;
    for (const part of chunk(jobs, 10)) {
      const result = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: part.map((job, i) => ({ Id: String(i), MessageBody: JSON.stringify(job), DelaySeconds: delay })),
        }),
      );
      if (result.Failed?.length) {
        throw new TransientDependencyError(`SQS refused ${result.Failed.length} send jobs: ${result.Failed[0]?.Code}`);
      }
    }
  }
}
