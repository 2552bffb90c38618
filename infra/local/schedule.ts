import { logger } from '../../functions/observability';

/**
 * A job run every `intervalMs`, as EventBridge Scheduler runs it on AWS: never two runs at once here
 * (a tick that finds the last run still going is skipped and counted), a failed run logged and left
 * to the next tick (as the schedule's retries would), and `stop` waits for the run in flight.
 */
export class LocalSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Runs finished (failed ones included), ticks skipped because a run was still going, runs that threw. */
  readonly counts = { runs: 0, skipped: 0, failed: 0 };

  constructor(
    readonly name: string,
    readonly intervalMs: number,
    private readonly job: () => Promise<unknown>,
  ) {
    if (!(intervalMs > 0)) throw new Error(`schedule ${name}: the interval must be a positive number of milliseconds`);
  }

  start(): this {
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref(); // never keeps the process alive on its own
    return this;
  }

  /** One run now, unless one is going (then this tick is skipped). Resolves when the run ends. */
  async tick(): Promise<void> {
    if (this.running) {
      this.counts.skipped++;
      return;
    }
    this.running = this.job().then(
      () => {},
      (error: unknown) => {
        this.counts.failed++;
        logger.error('scheduled run failed; the next tick runs it again', { schedule: this.name, error: error as Error });
      },
    );
    try {
      await this.running;
    } finally {
      this.counts.runs++;
      this.running = undefined;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
