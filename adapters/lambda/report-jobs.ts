import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ReportJob } from '../../lib/reports/job';
import type { ReportJobs } from '../../lib/reports/ports';

/**
 * Hands a report to the report function as an asynchronous invocation: Lambda queues it, retries
 * twice, then sends it to the function's on-failure destination (the stack's dead-letter queue).
 */
export class LambdaReportJobs implements ReportJobs {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string | undefined,
  ) {}

  async start(job: ReportJob) {
    if (!this.functionName) throw new Error('REPORT_FUNCTION_NAME is not set: a large report cannot be handed to the report function');
    const payload = { ...job.request, stamp: job.stamp };
    await this.client.send(
      new InvokeCommand({ FunctionName: this.functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }),
    );
  }
}
