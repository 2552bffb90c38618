import type { Clock } from '../lib/common/ports';

/**
 * The demo's present: the real clock, moved forward as the simulated audience reads its mail over
 * the days after the send. SES never publishes an event dated after its present, and the pipeline
 * bounds what it shows by its own (a report draws activity up to the moment it is written; sales is
 * alerted only for fresh interest), so the demo's time must pass as its audience acts: each open or
 * click is played at the demo's present, and the report written at the end covers all of them.
 */
export class DemoClock implements Clock {
  private aheadMs = 0;

  /** `passes` false: the wall clock, never moved. */
  constructor(private readonly passes: boolean) {}

  now(): Date {
    return new Date(Date.now() + this.aheadMs);
  }

  /** Moves the present forward to `at` when `at` is later; never back. */
  advanceTo(at: string): void {
    if (!this.passes) return;
    const gap = Date.parse(at) - this.now().getTime();
    if (gap > 0) this.aheadMs += gap;
  }
}
