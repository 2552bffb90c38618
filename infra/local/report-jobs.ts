import type { ReportJob } from '../../lib/reports/job';
import type { ReportJobs } from '../../lib/reports/ports';
import { logger } from '../../functions/observability';

/**
 * The local stand-in for an asynchronous invocation of the report function: the job runs beside
 * the request that started it, through the same handler; `drain()` waits for every job so far.
 */
export class LocalReportJobs implements ReportJobs {
  private readonly running = new Set<Promise<void>>();
  /** Jobs that failed, with the reason (on AWS: the on-failure destination). */
  readonly failures: { job: ReportJob; reason: string }[] = [];

  constructor(private readonly handler: () => (event: unknown) => Promise<unknown>) {}

  async start(job: ReportJob) {
    const run: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.handler()({ ...job.request, stamp: job.stamp }))
      .then(
        () => undefined,
        (error: unknown) => {
          this.failures.push({ job, reason: (error as Error).message });
          logger.error('report job failed', { error: error as Error });
        },
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  async drain() {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
