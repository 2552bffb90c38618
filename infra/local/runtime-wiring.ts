import type { App } from '../../lib/app';
import { makeEngagementHandler } from '../../functions/engagement/handler';
import { followUpRunInput } from '../../functions/notifier/follow-up-schedule';
import { makeNotifierHandler } from '../../functions/notifier/handler';
import { makeSenderHandler } from '../../functions/sender/handler';
import { leadQualifiedPattern, sesEventsPattern } from '../event-patterns';
import { engagementBatchSize, eventsMaxReceiveCount } from '../queue-settings';
import { LocalQueue } from './queue';
import type { LocalReportJobs } from './report-jobs';
import type { LocalRuntime } from './runtime';
import { LocalSchedule } from './schedule';

/** How the local runtime's in-process queues, rules and schedule reach the handlers, as the stack wires them on AWS. */

/** The send and events queues, consumed by the sender and engagement handlers as on AWS. */
export function localQueues(app: () => App, engagementConcurrency = 1) {
  return {
    // Two consumers, like the sender's maxConcurrency on AWS; SQS delays capped at a second locally.
    send: new LocalQueue({
      name: 'mql-send',
      batchSize: 10,
      concurrency: 2,
      maxDelayMs: 1_000,
      consumer: (e) => makeSenderHandler(app())(e),
    }),
    events: new LocalQueue({
      name: 'mql-events',
      batchSize: engagementBatchSize,
      maxReceiveCount: eventsMaxReceiveCount,
      batchWindowMs: 25,
      concurrency: engagementConcurrency,
      // A message handed back (an event whose send is not recorded yet waits for it) is seen again
      // after its visibility timeout, about 6 minutes on AWS; 20 ms locally spent all ten receives
      // before a sender slowed by DynamoDB faults had recorded its outcomes. Still far shorter than AWS.
      redeliveryDelayMs: 250,
      consumer: (e) => makeEngagementHandler(app())(e),
    }),
  };
}

/** The stack's two rules, with the same patterns: SES events → events queue, Lead Qualified → notifier. */
export function addRules(buses: LocalRuntime['buses'], queues: LocalRuntime['queues'], app: App) {
  buses.default.addRule('ses-events-to-queue', sesEventsPattern(app.config.configurationSetName), async (event) => {
    await queues.events.send([JSON.stringify(event)]);
  });
  const notifier = makeNotifierHandler(app);
  buses.project.addRule('lead-qualified-to-notifier', leadQualifiedPattern, async (event) => notifier(event as never));
}

/** As the stack's follow-up schedule does on AWS: the notifier, given the schedule's input, every `intervalMs`. */
export function startFollowUps(app: App, intervalMs: number | undefined): LocalSchedule | undefined {
  if (!intervalMs) return undefined;
  const notifier = makeNotifierHandler(app);
  return new LocalSchedule('follow-ups', intervalMs, () => notifier(followUpRunInput)).start();
}

/** Drains queues, the project bus and report jobs until nothing is left to do. */
export async function settle(queues: LocalRuntime['queues'], buses: LocalRuntime['buses'], reportJobs: LocalReportJobs) {
  for (let i = 0; i < 1000; i++) {
    await queues.send.drain();
    await queues.events.drain();
    await buses.project.drain();
    await reportJobs.drain();
    if (!queues.send.depth && !queues.events.depth) return;
  }
}
