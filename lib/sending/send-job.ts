import type { Campaign } from './campaign';
import { exclusionReason } from './audience';
import { backoffDelay } from '../common/backoff';
import { isRetryable } from '../common/errors';
import { completeIfDone } from './complete-send';
import { composeMessage } from './compose-message';
import { TemplateRenderError } from './render';
import { fanout } from './fan-out';
import { handBackDelaySeconds, newClaimAttempt } from './hand-back';
import type { SendJob } from './ports';
import { sendBatches, type BatchesOutcome } from './send-batches';
import { isLive, nothingDone, type SendDeps, type SendJobOf, type SendJobResult, type SendJobStatus } from './send-deps';
import { continuation, recordOutcomes, type JobRun, type Recipient, type Tally } from './send-job-run';
import { RECOVERED_MESSAGE_ID } from '../engagement/verify-events';

export interface SendJobOptions {
  /** Epoch ms by which the invocation must hand back the rest of its work (Lambda's remaining time, less a margin). */
  deadline?: number;
}

/** The sender's entry point: a queue message is either a fan-out page (fan-out.ts) or a send job (below). */
export async function handleSendJob(deps: SendDeps, job: SendJob, options: SendJobOptions = {}): Promise<SendJobResult> {
  return job.kind === 'fanout' ? fanout(deps, job) : sendJob(deps, job, options);
}

/** The message id recorded for a recipient whose message SES accepted while its sender died. */
export const RECOVERED = RECOVERED_MESSAGE_ID;

/**
 * Sends one job at the account's pace, each recipient at most once: the job is claimed (one
 * sender at a time), recipients with an outcome are skipped, SES is called in batches booked on
 * the shared schedule (send-batches.ts), and each outcome is recorded. A job whose every recipient
 * has an outcome records that once. A claim taken over from a sender that died first asks SES's
 * Send events who was accepted already.
 *
 * A retryable failure of a dependency (DynamoDB throttling, a lost answer) never fails the queue
 * message while work remains possible: the calls on the wire finish, and the job hands itself back
 * — its claim, and the outcomes SES gave that could not be recorded — as a continuation with a
 * short delay. The continuation records those outcomes first and sends only to whoever has none.
 */
async function sendJob(deps: SendDeps, job: SendJobOf<'send'>, options: SendJobOptions): Promise<SendJobResult> {
  const run: JobRun = {
    claims: job.claims ?? [],
    unrecorded: [...(job.unrecorded ?? [])],
    takeover: !!job.takeover,
    sesUnknown: false,
    progressed: false,
  };
  try {
    return await runSendJob(deps, job, options, run);
  } catch (error) {
    if (error instanceof TemplateRenderError) return stopOnBadTemplate(deps, job, run, error);
    // Not retryable (a bug, a refused permission): the queue's redelivery, then its DLQ. The claim
    // stays, as if this sender had died: after the lease, a takeover settles it from SES's Send events.
    if (!isRetryable(error)) throw error;
    const stalls = run.progressed ? 0 : (job.stalls ?? 0) + 1;
    // After a lost SES answer the claim is not handed on: the next run must take it over (and ask SES) after the lease.
    const delaySeconds = run.sesUnknown ? leaseSeconds(deps) : handBackDelaySeconds(stalls);
    await deps.queue.enqueue([continuation(job, run, { attempt: job.attempt, stalls })], { delaySeconds });
    return { ...nothingDone, status: 'continued' };
  }
}

/**
 * A template the renderer refuses fails for every recipient on every retry: the campaign is paused
 * with the reason (shown in stats and the CLI; the sender's "paused" log line raises the
 * CampaignPaused alarm) instead of staying `sending` while the queue retries it into its DLQ.
 */
async function stopOnBadTemplate(deps: SendDeps, job: SendJobOf<'send'>, run: JobRun, error: TemplateRenderError): Promise<SendJobResult> {
  await deps.ledger.releaseJob(job.campaignId, job.jobId, run.claims);
  run.claims = [];
  await pause(deps, job.campaignId, job.generation, error.message);
  return { ...nothingDone, status: 'paused' };
}

async function runSendJob(deps: SendDeps, job: SendJobOf<'send'>, options: SendJobOptions, run: JobRun): Promise<SendJobResult> {
  const { campaignId } = job;
  // Facts first: SES answered these in an earlier run that could not record them. Written even if
  // the campaign has stopped since, so that no later run or resume mails them again.
  const carried = run.unrecorded;
  run.unrecorded = [];
  await recordOutcomes(deps, campaignId, run, carried);
  const campaign = await deps.campaigns.get(campaignId);
  if (!isLive(campaign, job.generation)) {
    await deps.ledger.releaseJob(campaignId, job.jobId, run.claims); // a claim handed on to this run
    return nothingDone;
  }
  if (!(await claimJob(deps, job, run))) return { ...nothingDone, status: 'continued' };
  const tally: Tally = { sent: 0, failed: 0, excluded: {} };
  const recipients = await settleTakeover(deps, job, run, await recipientsToMail(deps, job, campaign, tally), tally);
  const batches = await sendBatches(deps, job, run, campaign, recipients, tally, options.deadline);
  return finishRun(deps, job, run, tally, batches);
}

/** Claims the job for this run. False when another copy of it is at work (SQS delivers at least once): a continuation looks again later. */
async function claimJob(deps: SendDeps, job: SendJobOf<'send'>, run: JobRun): Promise<boolean> {
  const attempt = newClaimAttempt(run, deps.clock.now(), deps.claimLeaseMs ?? 900_000);
  const claim = await deps.ledger.claimJob(job.campaignId, job.jobId, attempt);
  if (claim === 'busy') {
    run.claims = [];
    await deps.queue.enqueue([continuation(job, run, { attempt: job.attempt ?? 0 })], { delaySeconds: 30 });
    return false;
  }
  run.claims = [attempt.token];
  if (claim === 'taken-over') run.takeover = true;
  return true;
}

/** The job's recipients without an outcome who may still be mailed, each with their message; the others are counted on the tally. */
async function recipientsToMail(deps: SendDeps, job: SendJobOf<'send'>, campaign: Campaign, tally: Tally): Promise<Recipient[]> {
  const records = await deps.ledger.outcomes(job.campaignId, job.contactIds);
  const open = job.contactIds.filter((id) => {
    const r = records.get(id);
    if (r?.state === 'sent') tally.sent++;
    else if (r?.state === 'failed') tally.failed++;
    return !r;
  });
  // Strongly consistent: a withdrawal or suppression written a moment ago stops this send (docs/sending.md).
  const contacts = new Map((await deps.contacts.getMany(open, { consistent: true })).map((c) => [c.contactId, c]));
  const recipients: Recipient[] = [];
  for (const id of open) {
    const contact = contacts.get(id);
    // Checked again at send time: a contact may have unsubscribed, withdrawn consent or been suppressed since the fan-out.
    const reason = exclusionReason(contact);
    if (reason) tally.excluded[reason] = (tally.excluded[reason] ?? 0) + 1;
    else recipients.push({ contact: contact!, message: composeMessage(deps.unsubscribe, campaign, contact!) });
  }
  return recipients;
}

/**
 * After a takeover, the recipients SES accepted from the sender that died are recorded as sent
 * (SES's Send events prove it) and not mailed again. Returns the recipients left to mail.
 */
async function settleTakeover(
  deps: SendDeps,
  job: SendJobOf<'send'>,
  run: JobRun,
  recipients: Recipient[],
  tally: Tally,
): Promise<Recipient[]> {
  if (!run.takeover || !recipients.length) {
    run.takeover = false; // nobody left to send to: nothing to settle
    return recipients;
  }
  const accepted = await acceptedBySes(
    deps,
    job.campaignId,
    recipients.map((r) => r.contact.contactId),
  );
  run.takeover = false; // settled: whoever SES had accepted is recorded now, or carried on if DynamoDB fails
  if (!accepted.size) return recipients;
  const at = deps.clock.now().toISOString();
  await recordOutcomes(
    deps,
    job.campaignId,
    run,
    [...accepted].map((contactId) => ({ contactId, at, state: 'sent', messageId: RECOVERED })),
  );
  tally.sent += accepted.size;
  return recipients.filter((r) => !accepted.has(r.contact.contactId));
}

/** SES publishes a Send event for every message it accepts; once recorded, a resend would be a duplicate. */
async function acceptedBySes(deps: SendDeps, campaignId: string, contactIds: string[]): Promise<Set<string>> {
  const found = await deps.engagement.getRecipients(contactIds.map((contactId) => ({ campaignId, contactId })));
  const wanted = new Set(contactIds);
  return new Set(
    [...found.values()]
      .filter((r) => r.state.campaignId === campaignId && wanted.has(r.state.contactId) && r.state.sentAt)
      .map((r) => r.state.contactId),
  );
}

/** After the batches: the job is done, stopped, paused (SES refuses, or keeps failing), or continued later. */
async function finishRun(
  deps: SendDeps,
  job: SendJobOf<'send'>,
  run: JobRun,
  tally: Tally,
  batches: BatchesOutcome,
): Promise<SendJobResult> {
  const { campaignId } = job;
  const attempt = job.attempt ?? 0;
  const { leftover, retryLater, stopped, blockedReason } = batches;
  const result = (status: SendJobStatus) => resultOf(status, tally);
  const unfinished = leftover.length > 0 || retryLater > 0 || run.sesUnknown || !!blockedReason;
  // Keep the claim when an answer was lost: the next claim, after the lease, is a takeover that asks SES.
  if (unfinished && !run.sesUnknown) {
    await deps.ledger.releaseJob(campaignId, job.jobId, run.claims);
    run.claims = [];
  }
  if (blockedReason) {
    await pause(deps, campaignId, job.generation, `SES refused to send: ${blockedReason}`);
    return result('paused');
  }
  if (stopped) return result('stopped');
  if (retryLater && attempt + 1 >= (deps.maxJobAttempts ?? 8)) {
    await pause(
      deps,
      campaignId,
      job.generation,
      `SES kept refusing with retryable errors after ${attempt + 1} attempts; resume to try again`,
    );
    return result('paused');
  }
  if (unfinished) {
    // The same job again; the ledger skips whoever has an outcome.
    const delaySeconds = continuationDelaySeconds(deps, attempt, retryLater > 0, run.sesUnknown);
    await deps.queue.enqueue([continuation(job, run, { attempt: retryLater ? attempt + 1 : attempt })], { delaySeconds });
    return result('continued');
  }
  await deps.progress.recordJobOutcome(campaignId, { jobId: job.jobId, ...tally, at: deps.clock.now().toISOString() });
  run.progressed = true;
  await deps.ledger.releaseJob(campaignId, job.jobId, run.claims);
  run.claims = [];
  const { finished, jobs } = await deps.progress.countFinishedJob(campaignId);
  if (jobs !== undefined && finished >= jobs) await completeIfDone(deps, campaignId);
  return result('done');
}

const resultOf = (status: SendJobStatus, tally: Tally): SendJobResult => ({
  status,
  sent: tally.sent,
  failed: tally.failed,
  excluded: Object.values(tally.excluded).reduce((s, n) => s + (n ?? 0), 0),
});

/** A retry backs off (30 s, doubling per attempt, at most 15 min); an unknown outcome waits out its claim's lease. */
function continuationDelaySeconds(deps: SendDeps, attempt: number, retry: boolean, sesUnknown: boolean): number {
  const retryDelay = retry ? backoffDelay(attempt, { baseMs: 30_000, capMs: 900_000, jitter: 'none' }) / 1000 : 0;
  return Math.min(900, Math.max(retryDelay, sesUnknown ? leaseSeconds(deps) : 0));
}

const leaseSeconds = (deps: SendDeps) => Math.min(900, Math.ceil((deps.claimLeaseMs ?? 900_000) / 1000));

async function pause(deps: SendDeps, campaignId: string, generation: number, reason: string) {
  const campaign = await deps.campaigns.get(campaignId);
  if (!isLive(campaign, generation)) return;
  await deps.campaigns.transition(campaignId, ['sending'], 'paused', { pausedReason: reason, pausedAt: deps.clock.now().toISOString() });
}
