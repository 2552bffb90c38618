import { randomUUID } from 'node:crypto';
import { addCounts, exclusionReason, inAudience, type ExclusionCounts } from './audience';
import type { Campaign } from './campaign';
import type { Contact } from '../contacts/contact';
import { chunk, mapWithConcurrency } from '../shared/concurrency';
import { isRetryable, OutcomesNotRecordedError, SendOutcomeUnknownError, SendingBlockedError } from '../shared/errors';
import { backoffMs, batchSizeFor } from './pacing';
import type { AudiencePage, AudienceTotals, CampaignMailSender, CampaignStore, OutgoingMessage, SendJob, SendLedger, SendProgressStore, SendQueue, RecipientOutcome, SendOutcome, SendRateLimiter } from './ports';
import type { Clock } from '../shared/ports';
import type { ContactStore } from '../contacts/ports';
import type { EngagementStore } from '../engagement/ports';
import { renderMessage } from './render';
import { signUnsubscribeToken, unsubscribeHeaders } from '../contacts/unsubscribe-token';

export interface SendDeps {
  campaigns: CampaignStore;
  contacts: ContactStore;
  ledger: SendLedger;
  progress: SendProgressStore;
  queue: SendQueue;
  mail: CampaignMailSender;
  limiter: SendRateLimiter;
  /** Messages per second: the configured override, else SES GetAccount's MaxSendRate. */
  sendRate: () => Promise<number>;
  /** Read on a claim takeover: a recorded SES Send event proves SES accepted the message. */
  engagement: Pick<EngagementStore, 'getRecipients'>;
  clock: Clock;
  unsubscribe: { baseUrl: string; mailto: string; secret: string };
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** @default 100 — recipients per send job */
  recipientsPerJob?: number;
  /** @default 500 — contacts read per fan-out page */
  fanoutPageSize?: number;
  /** A job claim older than this belongs to a sender that died. @default 900000 (> the sender's timeout) */
  claimLeaseMs?: number;
  /**
   * A fan-out page claimed this long ago but not queued belongs to a fan-out that died; must be
   * shorter than the send queue's visibility timeout so the redelivered message can take it over.
   * @default 60000
   */
  fanoutLeaseMs?: number;
  /** How stale the campaign status may be while sending: pause and cancel act within this. @default 1000 */
  statusCheckMs?: number;
  /** SES calls in flight per job, so the next call is booked while one is on the wire. @default 2 */
  callsInFlight?: number;
  /** Tries of one batch within an invocation on throttling and other retryable errors. @default 4 */
  triesPerInvocation?: number;
  /** Continuations of a job that keeps failing retryably before the campaign pauses. @default 8 */
  maxJobAttempts?: number;
}

export interface SendJobOptions {
  /** Epoch ms by which the invocation must hand back the rest of its work (Lambda's remaining time, less a margin). */
  deadline?: number;
}

export type SendJobStatus = 'done' | 'stopped' | 'continued' | 'paused';
export interface SendJobResult {
  status: SendJobStatus;
  sent: number;
  failed: number;
  excluded: number;
}

const none: SendJobResult = { status: 'stopped', sent: 0, failed: 0, excluded: 0 };
const live = (c: Campaign | undefined, generation: number): c is Campaign => !!c && c.status === 'sending' && (c.generation ?? 1) === generation;
const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function handleSendJob(deps: SendDeps, job: SendJob, options: SendJobOptions = {}): Promise<SendJobResult> {
  return job.kind === 'fanout' ? fanout(deps, job) : sendJob(deps, job, options);
}

/**
 * One page of the audience. The page is recorded before its jobs are queued; a redelivered or
 * resumed fan-out finds it and queues the same jobs (minus finished ones), so the recipients of a
 * job never change, whatever happened to the contact list since. When DynamoDB fails under it, the
 * page hands itself back (with its claim) instead of failing the message.
 */
async function fanout(deps: SendDeps, job: Extract<SendJob, { kind: 'fanout' }>): Promise<SendJobResult> {
  const run: FanoutRun = { claims: job.claims ?? [], progressed: false };
  try {
    return await fanoutPage(deps, job, run);
  } catch (error) {
    if (!isRetryable(error)) throw error; // retrying cannot cure it: the queue's redelivery, then its DLQ
    const stalls = run.progressed ? 0 : (job.stalls ?? 0) + 1;
    await deps.queue.enqueue([{ ...job, claims: orUndefined(run.claims), stalls }], { delaySeconds: handBackDelaySeconds(stalls) });
    return { ...none, status: 'continued' };
  }
}

interface FanoutRun {
  /** Tokens the page's queuing claim is, or may be, held under by this run: handed on with a hand-back. */
  claims: string[];
  progressed: boolean;
}

async function fanoutPage(deps: SendDeps, job: Extract<SendJob, { kind: 'fanout' }>, run: FanoutRun): Promise<SendJobResult> {
  const campaign = await deps.campaigns.get(job.campaignId);
  if (!live(campaign, job.generation)) return none;
  const page = (await deps.progress.getPage(job.campaignId, job.page)) ?? (await deps.progress.recordPage(job.campaignId, await resolvePage(deps, campaign, job)));
  // A duplicate of this message (or a late one) must not fork the chain of fan-out pages.
  const token = randomUUID();
  const handedOver = run.claims;
  run.claims = [token, ...handedOver].slice(0, MAX_HANDED_OVER); // held or not: the answer may be lost
  const attempt = { token, handedOver, at: deps.clock.now(), leaseMs: deps.fanoutLeaseMs ?? 60_000 };
  if (!(await deps.progress.claimPageQueuing(job.campaignId, job.page, job.generation, attempt))) {
    run.claims = [];
    return { ...none, status: 'done' };
  }
  run.claims = [token];
  const finished = await deps.progress.jobsWithOutcome(job.campaignId, page.jobs.map((j) => j.jobId));
  const jobs: SendJob[] = [];
  // The next page first, so the fan-out runs ahead of the sending and the totals are known early.
  if (page.next) jobs.push({ kind: 'fanout', campaignId: job.campaignId, generation: job.generation, page: job.page + 1, cursor: page.next, totals: page.totals });
  for (const j of page.jobs) {
    if (!finished.has(j.jobId)) jobs.push({ kind: 'send', campaignId: job.campaignId, generation: job.generation, jobId: j.jobId, contactIds: j.contactIds });
  }
  await deps.queue.enqueue(jobs);
  run.progressed = true;
  if (!page.next) {
    const recorded = await deps.campaigns.transition(job.campaignId, ['sending'], 'sending', {
      fanoutCompletedAt: deps.clock.now().toISOString(),
      summary: { recipients: page.totals.recipients, excluded: page.totals.excluded, jobs: page.totals.jobs },
    });
    if (recorded) {
      // Written after the campaign's summary and before the check: a job that finishes meanwhile
      // either sees this total or has its outcome seen by the check below.
      await deps.progress.setJobTotal(job.campaignId, page.totals.jobs);
      await completeIfDone(deps, job.campaignId);
    }
  }
  // Marked last: until then a hand-back (with the claim) does all of the above again, so the chain
  // goes on and the last page's completion check is made, whichever write DynamoDB failed.
  await deps.progress.markPageQueued(job.campaignId, job.page, job.generation);
  const excluded = Object.values(page.excluded).reduce((s, n) => s + (n ?? 0), 0);
  return { status: 'done', sent: 0, failed: 0, excluded };
}

async function resolvePage(deps: SendDeps, campaign: Campaign, job: Extract<SendJob, { kind: 'fanout' }>): Promise<AudiencePage> {
  const pageSize = deps.fanoutPageSize ?? 500;
  const audience = campaign.audience ?? (campaign.contactIds ? { kind: 'list' as const, contactIds: campaign.contactIds } : { kind: 'all' as const });
  let members: (Contact | string)[];
  let next: string | undefined;
  if (audience.kind === 'list') {
    const start = Number(job.cursor ?? 0);
    const ids = audience.contactIds.slice(start, start + pageSize);
    const found = new Map((await deps.contacts.getMany(ids)).map((c) => [c.contactId, c]));
    members = ids.map((id) => found.get(id) ?? id);
    next = start + pageSize < audience.contactIds.length ? String(start + pageSize) : undefined;
  } else {
    const listed = await deps.contacts.list(job.cursor, pageSize);
    members = listed.items.filter((c) => inAudience(c, audience));
    next = listed.cursor;
  }
  const excluded: ExclusionCounts = {};
  const mailable: string[] = [];
  for (const member of members) {
    const reason = exclusionReason(typeof member === 'string' ? undefined : member);
    if (reason) excluded[reason] = (excluded[reason] ?? 0) + 1;
    else mailable.push((member as Contact).contactId);
  }
  const jobs = chunk(mailable, deps.recipientsPerJob ?? 100).map((contactIds, i) => ({ jobId: `${job.page}.${i}`, contactIds }));
  const before: AudienceTotals = job.totals ?? { recipients: 0, jobs: 0, excluded: {} };
  return {
    page: job.page,
    jobs,
    excluded,
    next,
    totals: { recipients: before.recipients + mailable.length, jobs: before.jobs + jobs.length, excluded: addCounts(before.excluded, excluded) },
  };
}

interface Recipient {
  contact: Contact;
  message: OutgoingMessage;
}

/** What a run of a send job holds that a continuation must be handed if the run cannot finish. */
interface JobRun {
  /** Tokens the job's claim is, or may be (DynamoDB's answer lost), held under by this run. */
  claims: string[];
  /** Outcomes SES gave that the ledger does not hold yet. */
  unrecorded: RecipientOutcome[];
  /** The claim was taken over and the Send-event check has not been settled yet. */
  takeover: boolean;
  /** SES may have accepted a call whose answer was lost: the claim stays, and the next run takes it over after the lease. */
  sesUnknown: boolean;
  /** Something was written for good (outcomes, the job's outcome): the next hand-back's delay starts again. */
  progressed: boolean;
}

/**
 * Sends one job at the account's pace, each recipient at most once: the job is claimed (one
 * sender at a time), recipients with an outcome are skipped, SES is called in batches booked on
 * the shared schedule, and each outcome is recorded. A job whose every recipient has an outcome
 * records that once. A claim taken over from a sender that died first asks SES's Send events who
 * was accepted already.
 *
 * A retryable failure of a dependency (DynamoDB throttling, a lost answer) never fails the queue
 * message while work remains possible: the calls on the wire finish, and the job hands itself back
 * — its claim, and the outcomes SES gave that could not be recorded — as a continuation with a
 * short delay. The continuation records those outcomes first and sends only to whoever has none.
 */
async function sendJob(deps: SendDeps, job: Extract<SendJob, { kind: 'send' }>, options: SendJobOptions): Promise<SendJobResult> {
  const run: JobRun = { claims: job.claims ?? [], unrecorded: [...(job.unrecorded ?? [])], takeover: !!job.takeover, sesUnknown: false, progressed: false };
  try {
    return await runSendJob(deps, job, options, run);
  } catch (error) {
    // Not retryable (a bug, a refused permission): the queue's redelivery, then its DLQ. The claim
    // stays, as if this sender had died: after the lease, a takeover settles it from SES's Send events.
    if (!isRetryable(error)) throw error;
    const stalls = run.progressed ? 0 : (job.stalls ?? 0) + 1;
    // After a lost SES answer the claim is not handed on: the next run must take it over (and ask SES) after the lease.
    const delaySeconds = run.sesUnknown ? leaseSeconds(deps) : handBackDelaySeconds(stalls);
    await deps.queue.enqueue([continuation(job, run, { attempt: job.attempt, stalls })], { delaySeconds });
    return { ...none, status: 'continued' };
  }
}

/** The same job again (same id, same recipients: the ledger skips whoever has an outcome), with what the run hands on. */
function continuation(job: Extract<SendJob, { kind: 'send' }>, run: JobRun, next: { attempt?: number; stalls?: number }): SendJob {
  const { kind, campaignId, generation, jobId, contactIds } = job;
  return {
    kind, campaignId, generation, jobId, contactIds,
    attempt: next.attempt || undefined,
    claims: run.sesUnknown ? undefined : orUndefined(run.claims),
    unrecorded: orUndefined(run.unrecorded),
    takeover: run.takeover || undefined,
    stalls: next.stalls || undefined,
  };
}

async function runSendJob(deps: SendDeps, job: Extract<SendJob, { kind: 'send' }>, options: SendJobOptions, run: JobRun): Promise<SendJobResult> {
  const { campaignId } = job;
  // Facts first: SES answered these in an earlier run that could not record them. Written even if
  // the campaign has stopped since, so that no later run or resume mails them again.
  const carried = run.unrecorded;
  run.unrecorded = [];
  await record(deps, campaignId, run, carried);
  let campaign = await deps.campaigns.get(campaignId);
  if (!live(campaign, job.generation)) {
    await deps.ledger.releaseJob(campaignId, job.jobId, run.claims); // a claim handed on to this run
    return none;
  }
  const now = () => deps.clock.now().getTime();
  const sleep = deps.sleep ?? realSleep;
  const attempt = job.attempt ?? 0;

  const token = randomUUID();
  const handedOver = run.claims;
  run.claims = [token, ...handedOver].slice(0, MAX_HANDED_OVER); // held or not: the answer may be lost
  const claim = await deps.ledger.claimJob(campaignId, job.jobId, { token, handedOver, at: deps.clock.now(), leaseMs: deps.claimLeaseMs ?? 900_000 });
  if (claim === 'busy') {
    // Another copy of this job is at work (SQS delivers at least once): look again later.
    run.claims = [];
    await deps.queue.enqueue([continuation(job, run, { attempt })], { delaySeconds: 30 });
    return { ...none, status: 'continued' };
  }
  run.claims = [token];
  if (claim === 'taken-over') run.takeover = true;

  const records = await deps.ledger.outcomes(campaignId, job.contactIds);
  const tally = { sent: 0, failed: 0, excluded: {} as ExclusionCounts };
  const open = job.contactIds.filter((id) => {
    const r = records.get(id);
    if (r?.state === 'sent') tally.sent++;
    else if (r?.state === 'failed') tally.failed++;
    return !r;
  });
  const contacts = new Map((await deps.contacts.getMany(open)).map((c) => [c.contactId, c]));
  let toSend: Recipient[] = [];
  for (const id of open) {
    const contact = contacts.get(id);
    // Checked again at send time: a contact may have unsubscribed since the fan-out.
    const reason = exclusionReason(contact);
    if (reason) tally.excluded[reason] = (tally.excluded[reason] ?? 0) + 1;
    else toSend.push({ contact: contact!, message: compose(deps, campaign, contact!) });
  }
  if (run.takeover && toSend.length) {
    const accepted = await acceptedBySes(deps, campaignId, toSend.map((r) => r.contact.contactId));
    run.takeover = false; // settled: whoever SES had accepted is recorded now, or carried on if DynamoDB fails
    if (accepted.size) {
      const at = deps.clock.now().toISOString();
      await record(deps, campaignId, run, [...accepted].map((contactId) => ({ contactId, at, state: 'sent', messageId: RECOVERED })));
      tally.sent += accepted.size;
      toSend = toSend.filter((r) => !accepted.has(r.contact.contactId));
    }
  }
  run.takeover = false; // nobody left to send to: nothing to settle

  const rate = toSend.length ? await deps.sendRate() : 1;
  const batches = chunk(toSend, batchSizeFor(rate, deps.mail.maxBatch));
  const leftover: Recipient[] = []; // not attempted: deadline, the campaign stopped, or a dependency failed
  let retryLater = 0; // retryable failures after this invocation's tries
  let stopped = false;
  let blockedReason: string | undefined;
  let failure: { error: unknown } | undefined; // a dependency failed: no new call starts, the job hands itself back
  let lastStatusCheck = now();

  const stillLive = async () => {
    if (now() - lastStatusCheck >= (deps.statusCheckMs ?? 1_000)) {
      lastStatusCheck = now();
      campaign = await deps.campaigns.get(campaignId);
    }
    return live(campaign, job.generation);
  };

  await mapWithConcurrency(batches, deps.callsInFlight ?? 2, async (batch) => {
    // A dependency's failure is caught per call, so a call on the wire beside it still gets its outcome recorded (or carried).
    const failed = (error: unknown, unsent: Recipient[]) => {
      failure ??= { error };
      leftover.push(...unsent);
    };
    if (stopped || blockedReason || failure || (options.deadline !== undefined && now() >= options.deadline)) {
      leftover.push(...batch);
      return;
    }
    try {
      if (!(await stillLive())) {
        stopped = true;
        leftover.push(...batch);
        return;
      }
    } catch (error) {
      return failed(error, batch);
    }
    let pending = batch;
    for (let tries = 0; pending.length && !blockedReason; tries++) {
      if (tries > 0) {
        const wait = backoffMs(tries - 1, deps.random ?? Math.random);
        if (tries >= (deps.triesPerInvocation ?? 4) || (options.deadline !== undefined && now() + wait >= options.deadline)) break;
        await sleep(wait);
      }
      let sendAt: number;
      try {
        sendAt = await deps.limiter.reserve(pending.length, rate, now());
      } catch (error) {
        return failed(error, pending);
      }
      if (options.deadline !== undefined && sendAt >= options.deadline) {
        leftover.push(...pending); // the booked slot goes unused: spare quota, never excess
        pending = [];
        break;
      }
      if (sendAt > now()) await sleep(sendAt - now());
      let outcomes: SendOutcome[];
      try {
        outcomes = await deps.mail.sendBatch(pending.map((r) => r.message));
      } catch (error) {
        outcomes = pending.map(() => ({ ok: false, error: error as Error }));
      }
      const at = deps.clock.now().toISOString();
      const recorded: RecipientOutcome[] = [];
      const again: Recipient[] = [];
      pending.forEach((r, i) => {
        const outcome = outcomes[i]!;
        const contactId = r.contact.contactId;
        if (outcome.ok) recorded.push({ contactId, at, state: 'sent', messageId: outcome.messageId });
        else if (outcome.error instanceof SendOutcomeUnknownError) run.sesUnknown = true; // settled by the takeover
        else if (outcome.error instanceof SendingBlockedError) blockedReason = outcome.error.message;
        else if (isRetryable(outcome.error)) again.push(r);
        else recorded.push({ contactId, at, state: 'failed', reason: outcome.error.message });
      });
      try {
        await record(deps, campaignId, run, recorded);
      } catch (error) {
        return failed(error, again); // SES has answered: the continuation records what DynamoDB did not take
      }
      for (const o of recorded) o.state === 'sent' ? tally.sent++ : tally.failed++;
      pending = again;
    }
    retryLater += pending.length; // never dropped: the continuation (or a resume) sends them
  });
  if (failure) throw failure.error; // handed back by sendJob, with the claim and the unrecorded outcomes

  const result = (status: SendJobStatus): SendJobResult => ({
    status,
    sent: tally.sent,
    failed: tally.failed,
    excluded: Object.values(tally.excluded).reduce((s, n) => s + (n ?? 0), 0),
  });
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
    await pause(deps, campaignId, job.generation, `SES kept refusing with retryable errors after ${attempt + 1} attempts; resume to try again`);
    return result('paused');
  }
  if (unfinished) {
    // The same job again; the ledger skips whoever has an outcome. A retry backs off; an unknown
    // outcome waits out its claim's lease.
    const delaySeconds = Math.min(900, Math.max(retryLater ? 30 * 2 ** attempt : 0, run.sesUnknown ? leaseSeconds(deps) : 0));
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

/**
 * Records outcomes SES gave. Those DynamoDB did not take stay on the run, for the continuation to
 * write first: SES has answered for them, and nobody in them may be mailed again.
 */
async function record(deps: SendDeps, campaignId: string, run: JobRun, outcomes: RecipientOutcome[]) {
  if (!outcomes.length) return;
  try {
    await deps.ledger.recordOutcomes(campaignId, outcomes);
    run.progressed = true;
  } catch (error) {
    const unwritten = error instanceof OutcomesNotRecordedError ? error.outcomes : outcomes;
    if (unwritten.length < outcomes.length) run.progressed = true;
    run.unrecorded.push(...unwritten);
    throw error;
  }
}

/** Tokens a continuation carries at most: consecutive claims whose answers were all lost (then the lease settles it). */
const MAX_HANDED_OVER = 8;

/** The delay of a hand-back after a dependency failed: 1 s, doubling per hand-back in a row without progress, at most 5 min (well within the claim's lease). */
function handBackDelaySeconds(stalls: number): number {
  return Math.min(300, 2 ** Math.max(0, stalls - 1));
}

const leaseSeconds = (deps: SendDeps) => Math.min(900, Math.ceil((deps.claimLeaseMs ?? 900_000) / 1000));
const orUndefined = <T>(items: T[]) => (items.length ? items : undefined);

/** The message id recorded for a recipient whose message SES accepted while its sender died. */
export const RECOVERED = 'recovered-from-ses-send-event';

function compose(deps: SendDeps, campaign: Campaign, contact: Contact): OutgoingMessage {
  const { campaignId } = campaign;
  const { contactId } = contact;
  const unsubscribeUrl = `${deps.unsubscribe.baseUrl}/${signUnsubscribeToken({ campaignId, contactId }, deps.unsubscribe.secret)}`;
  const rendered = renderMessage(
    { subject: campaign.subject, html: campaign.htmlTemplate, text: campaign.textTemplate },
    contact,
    { unsubscribeUrl },
    campaign.fallbacks,
  );
  return {
    from: campaign.fromAddress,
    to: contact.email,
    ...rendered,
    headers: unsubscribeHeaders(unsubscribeUrl, deps.unsubscribe.mailto),
    tags: { campaignId, contactId },
  };
}

/** SES publishes a Send event for every message it accepts; once recorded, a resend would be a duplicate. */
async function acceptedBySes(deps: SendDeps, campaignId: string, contactIds: string[]): Promise<Set<string>> {
  const found = await deps.engagement.getRecipients(contactIds.map((contactId) => ({ campaignId, contactId })));
  const wanted = new Set(contactIds);
  return new Set([...found.values()].filter((r) => r.state.campaignId === campaignId && wanted.has(r.state.contactId) && r.state.sentAt).map((r) => r.state.contactId));
}

async function pause(deps: SendDeps, campaignId: string, generation: number, reason: string) {
  const campaign = await deps.campaigns.get(campaignId);
  if (!live(campaign, generation)) return;
  await deps.campaigns.transition(campaignId, ['sending'], 'paused', { pausedReason: reason, pausedAt: deps.clock.now().toISOString() });
}

/**
 * Moves the campaign to `sent` once every job has an outcome, with the final counts. Called when
 * the finished-job counter reaches the job total; the outcomes themselves are the exact check.
 */
export async function completeIfDone(deps: Pick<SendDeps, 'campaigns' | 'progress' | 'clock'>, campaignId: string): Promise<boolean> {
  const campaign = await deps.campaigns.get(campaignId);
  if (campaign?.status !== 'sending' || !campaign.summary) return false;
  const outcomes = await deps.progress.jobOutcomes(campaignId);
  if (outcomes.length < campaign.summary.jobs) return false;
  const sent = outcomes.reduce((s, o) => s + o.sent, 0);
  const failed = outcomes.reduce((s, o) => s + o.failed, 0);
  const excludedAtSend = outcomes.reduce((s, o) => addCounts(s, o.excluded), {} as ExclusionCounts);
  return deps.campaigns.transition(campaignId, ['sending'], 'sent', {
    completedAt: deps.clock.now().toISOString(),
    summary: { ...campaign.summary, sent, failed, excludedAtSend },
  });
}
