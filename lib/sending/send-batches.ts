import type { Campaign } from './campaign';
import { backoffDelay } from '../common/backoff';
import { chunk, mapWithConcurrency } from '../common/concurrency';
import { isRetryable, SendOutcomeUnknownError, SendingBlockedError } from '../common/errors';
import { batchSizeFor, waitForSendSlot } from './pacing';
import type { RecipientOutcome, SendOutcome } from './ports';
import { isLive, type SendDeps, type SendJobOf } from './send-deps';
import { recordOutcomes, type JobRun, type Recipient, type Tally } from './send-job-run';

/** How the batches of a run ended, beyond the outcomes recorded on the tally. */
export interface BatchesOutcome {
  /** Not attempted: the deadline, the campaign stopped, or a dependency failed. */
  leftover: Recipient[];
  /** Retryable failures after this invocation's tries: never dropped, the continuation (or a resume) sends them. */
  retryLater: number;
  /** The campaign stopped (paused, cancelled, restarted) while sending. */
  stopped: boolean;
  /** SES refuses to send for the account (sending paused): the campaign must pause. */
  blockedReason?: string;
}

/** The state the concurrent batches of one run share. */
interface Sending extends BatchesOutcome {
  deps: SendDeps;
  job: SendJobOf<'send'>;
  run: JobRun;
  tally: Tally;
  rate: number;
  deadline?: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  campaign: Campaign | undefined;
  lastStatusCheck: number;
  /** A dependency failed: no new call starts, and the job hands itself back. */
  failure?: { error: unknown };
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Calls SES for `recipients` in batches of at most one second's worth, `callsInFlight` at a time,
 * each booked on the shared schedule first (pacing.ts), and records each outcome as it comes.
 * Throws the first dependency failure once the calls on the wire have finished: the job hands
 * itself back, with the outcomes that could not be recorded.
 */
export async function sendBatches(
  deps: SendDeps,
  job: SendJobOf<'send'>,
  run: JobRun,
  campaign: Campaign,
  recipients: Recipient[],
  tally: Tally,
  deadline: number | undefined,
): Promise<BatchesOutcome> {
  const rate = recipients.length ? await deps.sendRate() : 1;
  const now = () => deps.clock.now().getTime();
  const s: Sending = {
    deps,
    job,
    run,
    tally,
    rate,
    deadline,
    now,
    sleep: deps.sleep ?? realSleep,
    campaign,
    lastStatusCheck: now(),
    leftover: [],
    retryLater: 0,
    stopped: false,
  };
  await mapWithConcurrency(chunk(recipients, batchSizeFor(rate, deps.mail.maxBatch)), deps.callsInFlight ?? 2, (batch) =>
    sendBatch(s, batch),
  );
  if (s.failure) throw s.failure.error;
  return { leftover: s.leftover, retryLater: s.retryLater, stopped: s.stopped, blockedReason: s.blockedReason };
}

async function sendBatch(s: Sending, batch: Recipient[]): Promise<void> {
  if (s.stopped || s.blockedReason || s.failure || pastDeadline(s, s.now())) {
    s.leftover.push(...batch);
    return;
  }
  try {
    if (!(await stillLive(s))) {
      s.stopped = true;
      s.leftover.push(...batch);
      return;
    }
  } catch (error) {
    return failed(s, error, batch);
  }
  let pending = batch;
  for (let tries = 0; pending.length && !s.blockedReason; tries++) {
    if (tries > 0) {
      const wait = backoffDelay(tries - 1, { baseMs: 250, capMs: 8_000, random: s.deps.random ?? Math.random });
      if (tries >= (s.deps.triesPerInvocation ?? 4) || pastDeadline(s, s.now() + wait)) break;
      await s.sleep(wait);
    }
    const again = await tryBatch(s, pending);
    if (!again) return; // a dependency failed
    pending = again;
  }
  s.retryLater += pending.length;
}

/** One call to SES for `pending`, at its booked time. Returns those to try again; undefined when a dependency failed. */
async function tryBatch(s: Sending, pending: Recipient[]): Promise<Recipient[] | undefined> {
  let inTime: boolean;
  try {
    inTime = await waitForSendSlot(s.deps.limiter, { count: pending.length, perSecond: s.rate, deadline: s.deadline }, s.now, s.sleep);
  } catch (error) {
    failed(s, error, pending);
    return undefined;
  }
  if (!inTime) {
    s.leftover.push(...pending);
    return [];
  }
  let outcomes: SendOutcome[];
  try {
    outcomes = await s.deps.mail.sendBatch(pending.map((r) => r.message));
  } catch (error) {
    outcomes = pending.map(() => ({ ok: false, error: error as Error }));
  }
  const { recorded, again } = sortOutcomes(s, pending, outcomes);
  try {
    await recordOutcomes(s.deps, s.job.campaignId, s.run, recorded);
  } catch (error) {
    failed(s, error, again); // SES has answered: the continuation records what DynamoDB did not take
    return undefined;
  }
  for (const o of recorded) o.state === 'sent' ? s.tally.sent++ : s.tally.failed++;
  return again;
}

/** SES's answers: outcomes to record, and recipients to try again. A lost answer or a blocked account is noted on the run. */
function sortOutcomes(s: Sending, pending: Recipient[], outcomes: SendOutcome[]): { recorded: RecipientOutcome[]; again: Recipient[] } {
  const at = s.deps.clock.now().toISOString();
  const recorded: RecipientOutcome[] = [];
  const again: Recipient[] = [];
  pending.forEach((r, i) => {
    const outcome = outcomes[i]!;
    const contactId = r.contact.contactId;
    if (outcome.ok) recorded.push({ contactId, at, state: 'sent', messageId: outcome.messageId });
    else if (outcome.error instanceof SendOutcomeUnknownError)
      s.run.sesUnknown = true; // settled by the takeover
    else if (outcome.error instanceof SendingBlockedError) s.blockedReason = outcome.error.message;
    else if (isRetryable(outcome.error)) again.push(r);
    else recorded.push({ contactId, at, state: 'failed', reason: outcome.error.message });
  });
  return { recorded, again };
}

/** The campaign's status, read again at most every `statusCheckMs`: pause and cancel act within that. */
async function stillLive(s: Sending): Promise<boolean> {
  if (s.now() - s.lastStatusCheck >= (s.deps.statusCheckMs ?? 1_000)) {
    s.lastStatusCheck = s.now();
    s.campaign = await s.deps.campaigns.get(s.job.campaignId);
  }
  return isLive(s.campaign, s.job.generation);
}

/** A dependency's failure is caught per call, so a call on the wire beside it still gets its outcome recorded (or carried). */
function failed(s: Sending, error: unknown, unsent: Recipient[]): void {
  s.failure ??= { error };
  s.leftover.push(...unsent);
}

const pastDeadline = (s: Sending, at: number) => s.deadline !== undefined && at >= s.deadline;
