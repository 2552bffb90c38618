import { addCounts, exclusionReason, inAudience, type ExclusionCounts } from './audience';
import type { Campaign } from './campaign';
import type { Contact } from '../contacts/contact';
import { chunk } from '../common/concurrency';
import { isRetryable } from '../common/errors';
import { completeIfDone } from './complete-send';
import { handBackDelaySeconds, newClaimAttempt, orUndefined } from './hand-back';
import type { AudiencePage, AudienceTotals, SendJob } from './ports';
import { isLive, nothingDone, type SendDeps, type SendJobOf, type SendJobResult } from './send-deps';

/**
 * One page of the audience. The page is recorded before its jobs are queued; a redelivered or
 * resumed fan-out finds it and queues the same jobs (minus finished ones), so the recipients of a
 * job never change, whatever happened to the contact list since. When DynamoDB fails under it, the
 * page hands itself back (with its claim) instead of failing the message.
 */
export async function fanout(deps: SendDeps, job: SendJobOf<'fanout'>): Promise<SendJobResult> {
  const run: FanoutRun = { claims: job.claims ?? [], progressed: false };
  try {
    return await fanoutPage(deps, job, run);
  } catch (error) {
    if (!isRetryable(error)) throw error; // retrying cannot cure it: the queue's redelivery, then its DLQ
    const stalls = run.progressed ? 0 : (job.stalls ?? 0) + 1;
    await deps.queue.enqueue([{ ...job, claims: orUndefined(run.claims), stalls }], { delaySeconds: handBackDelaySeconds(stalls) });
    return { ...nothingDone, status: 'continued' };
  }
}

interface FanoutRun {
  /** Tokens the page's queuing claim is, or may be, held under by this run: handed on with a hand-back. */
  claims: string[];
  progressed: boolean;
}

async function fanoutPage(deps: SendDeps, job: SendJobOf<'fanout'>, run: FanoutRun): Promise<SendJobResult> {
  const campaign = await deps.campaigns.get(job.campaignId);
  if (!isLive(campaign, job.generation)) return nothingDone;
  const page =
    (await deps.progress.getPage(job.campaignId, job.page)) ??
    (await deps.progress.recordPage(job.campaignId, await resolvePage(deps, campaign, job)));
  // A duplicate of this message (or a late one) must not fork the chain of fan-out pages.
  const attempt = newClaimAttempt(run, deps.clock.now(), deps.fanoutLeaseMs ?? 60_000);
  if (!(await deps.progress.claimPageQueuing(job.campaignId, job.page, job.generation, attempt))) {
    run.claims = [];
    return { ...nothingDone, status: 'done' };
  }
  run.claims = [attempt.token];
  await deps.queue.enqueue(await jobsOfPage(deps, job, page));
  run.progressed = true;
  if (!page.next) await recordFanoutCompleted(deps, job.campaignId, page.totals);
  // Marked last: until then a hand-back (with the claim) does all of the above again, so the chain
  // goes on and the last page's completion check is made, whichever write DynamoDB failed.
  await deps.progress.markPageQueued(job.campaignId, job.page, job.generation);
  const excluded = Object.values(page.excluded).reduce((s, n) => s + (n ?? 0), 0);
  return { status: 'done', sent: 0, failed: 0, excluded };
}

/** What a page queues: the next page's fan-out, then its own send jobs that have no outcome yet. */
async function jobsOfPage(deps: SendDeps, job: SendJobOf<'fanout'>, page: AudiencePage): Promise<SendJob[]> {
  const finished = await deps.progress.jobsWithOutcome(
    job.campaignId,
    page.jobs.map((j) => j.jobId),
  );
  const jobs: SendJob[] = [];
  // The next page first, so the fan-out runs ahead of the sending and the totals are known early.
  if (page.next)
    jobs.push({
      kind: 'fanout',
      campaignId: job.campaignId,
      generation: job.generation,
      page: job.page + 1,
      cursor: page.next,
      totals: page.totals,
    });
  for (const j of page.jobs) {
    if (!finished.has(j.jobId))
      jobs.push({ kind: 'send', campaignId: job.campaignId, generation: job.generation, jobId: j.jobId, contactIds: j.contactIds });
  }
  return jobs;
}

/** After the last page: the campaign's summary and the job total, then the completion check (every job may be done already). */
async function recordFanoutCompleted(deps: SendDeps, campaignId: string, totals: AudienceTotals): Promise<void> {
  const recorded = await deps.campaigns.transition(campaignId, ['sending'], 'sending', {
    fanoutCompletedAt: deps.clock.now().toISOString(),
    summary: { recipients: totals.recipients, excluded: totals.excluded, jobs: totals.jobs },
  });
  if (!recorded) return;
  // Written after the campaign's summary and before the check: a job that finishes meanwhile
  // either sees this total or has its outcome seen by the check below.
  await deps.progress.setJobTotal(campaignId, totals.jobs);
  await completeIfDone(deps, campaignId);
}

async function resolvePage(deps: SendDeps, campaign: Campaign, job: SendJobOf<'fanout'>): Promise<AudiencePage> {
  const { members, next } = await readAudiencePage(deps, campaign, job.cursor);
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
    totals: {
      recipients: before.recipients + mailable.length,
      jobs: before.jobs + jobs.length,
      excluded: addCounts(before.excluded, excluded),
    },
  };
}

/** The audience members of one page: contacts, or the ids of listed contacts that do not exist. */
async function readAudiencePage(
  deps: SendDeps,
  campaign: Campaign,
  cursor: string | undefined,
): Promise<{ members: (Contact | string)[]; next?: string }> {
  const pageSize = deps.fanoutPageSize ?? 500;
  const audience =
    campaign.audience ?? (campaign.contactIds ? { kind: 'list' as const, contactIds: campaign.contactIds } : { kind: 'all' as const });
  if (audience.kind === 'list') {
    const start = Number(cursor ?? 0);
    const ids = audience.contactIds.slice(start, start + pageSize);
    const found = new Map((await deps.contacts.getMany(ids)).map((c) => [c.contactId, c]));
    const next = start + pageSize < audience.contactIds.length ? String(start + pageSize) : undefined;
    return { members: ids.map((id) => found.get(id) ?? id), next };
  }
  const listed = await deps.contacts.list(cursor, pageSize);
  return { members: listed.items.filter((c) => inAudience(c, audience)), next: listed.cursor };
}
