/**
 * What sending needs from the world: campaign and send-progress storage, the send queue, the shared
 * send schedule, and SES. Each port speaks the domain; its AWS adapter lives in adapters/, and the
 * local runtime uses the same adapter pointed at the embedded stand-ins.
 */
import type { ExclusionCounts } from './audience';
import type { Campaign, CampaignStatus } from './campaign';
import type { Page } from '../common/ports';

export interface CampaignStore {
  create(campaign: Campaign): Promise<void>;
  get(campaignId: string): Promise<Campaign | undefined>;
  /** Moves the status only if it is one of `from`; returns false when it was not. */
  transition(campaignId: string, from: CampaignStatus[], to: CampaignStatus, extra?: Partial<Campaign>): Promise<boolean>;
  list(cursor?: string, limit?: number): Promise<Page<Campaign>>;
  /** Sets fields (never the status) only while the status is one of `onlyIf`; false when it was not. */
  update(campaignId: string, changes: Partial<Campaign>, onlyIf: CampaignStatus[]): Promise<boolean>;
  /** Campaigns created in [start, end) (ISO instants), oldest first, a page at a time (a Query, no scan). */
  listCreatedBetween(start: string, end: string, cursor?: string): Promise<Page<Campaign>>;
}

/** A recipient's outcome in a campaign, as the sender reads it. */
export type RecipientResult = { state: 'sent'; messageId: string } | { state: 'failed'; reason: string };

export type RecipientOutcome = { contactId: string; at: string } & RecipientResult;

/**
 * `claimed`: this call owns the job. `taken-over`: this call owns it, but an earlier claim older
 * than the lease existed — its sender died or lost an answer, and SES may have accepted some of
 * its messages. `busy`: another sender claimed it less than a lease ago.
 */
export type JobClaim = 'claimed' | 'taken-over' | 'busy';

/**
 * One attempt to claim work (a send job, or the queuing of an audience page). `token` is new for
 * every attempt, so two copies of one queue message never both own the work. `handedOver` are the
 * tokens an earlier run of the same work claimed under — or may have: DynamoDB's answer was lost —
 * and handed on with its continuation: a claim held under one of them is taken at once, as this
 * run's own, instead of waiting out the lease.
 */
export interface ClaimAttempt {
  token: string;
  handedOver?: string[];
  at: Date;
  leaseMs: number;
}

/**
 * Exactly once per recipient: a send job is claimed (one sender at a time, with a lease) before
 * SES is called, and each recipient's outcome is recorded after. Jobs never share a recipient
 * (audience pages are recorded once and split into disjoint jobs), so the job's claim covers them.
 */
export interface SendLedger {
  claimJob(campaignId: string, jobId: string, attempt: ClaimAttempt): Promise<JobClaim>;
  /** Gives the claim up if it is held under one of `tokens` (the job stopped, finished, or hands itself to a continuation). */
  releaseJob(campaignId: string, jobId: string, tokens: string[]): Promise<void>;
  /** The outcomes recorded for these recipients of one campaign (consistent read); absent ones have none yet. */
  outcomes(campaignId: string, contactIds: string[]): Promise<Map<string, RecipientResult>>;
  /**
   * Records outcomes; writing one again with the same values changes nothing. Only the job's
   * claimant writes them (or its continuation, which carries those it could not write), so none is
   * ever overwritten by a different one. Throws `OutcomesNotRecordedError` naming those it could
   * not write (the others are written).
   */
  recordOutcomes(campaignId: string, outcomes: RecipientOutcome[]): Promise<void>;
  /** The send records of these recipients, keyed `campaignId|contactId` (for export and erasure). */
  records(refs: { campaignId: string; contactId: string }[]): Promise<Map<string, SendRecord>>;
  /** Drops what a record says beyond "sent once" (SES message id, failure text), for erasure. */
  forget(campaignId: string, contactId: string): Promise<void>;
}

/** A send record as stored (export and erasure show it as it is). */
export interface SendRecord {
  sentAt?: string;
  messageId?: string;
  failedAt?: string;
  failure?: string;
}

/**
 * Work on the send queue. A `fanout` job resolves one page of the audience and enqueues `send`
 * jobs plus the next `fanout`, so no invocation's work grows with the audience. Jobs carry the
 * campaign's `generation`: a resume starts a new one and jobs of an older one stop.
 */
export type SendJob =
  | {
      kind: 'fanout';
      campaignId: string;
      generation: number;
      /** 0-based page of the audience. */
      page: number;
      /** Where this page starts in the audience (absent for page 0). */
      cursor?: string;
      /** Totals of the pages before this one. */
      totals?: AudienceTotals;
      /** Claim tokens handed on by an earlier run of this page that DynamoDB failed under (see `ClaimAttempt`). */
      claims?: string[];
      /** Hand-backs in a row without progress; sets the delay of the next. @default 0 */
      stalls?: number;
    }
  | {
      kind: 'send';
      campaignId: string;
      generation: number;
      /** `<page>.<index>`: stable, so a redelivered or resumed job is the same job. */
      jobId: string;
      contactIds: string[];
      /** Continuations after retryable failures so far. @default 0 */
      attempt?: number;
      /** Claim tokens handed on by the run this continues (see `ClaimAttempt`). */
      claims?: string[];
      /**
       * Outcomes SES gave the run this continues that it could not record (DynamoDB failed): facts
       * the continuation records first, so that nobody in them is mailed again.
       */
      unrecorded?: RecipientOutcome[];
      /** The run this continues took the claim over and had not settled it from SES's Send events yet. */
      takeover?: boolean;
      /** Hand-backs in a row without progress (DynamoDB failing); sets the delay of the next. @default 0 */
      stalls?: number;
    };

export interface SendQueue {
  enqueue(jobs: SendJob[], options?: { delaySeconds?: number }): Promise<void>;
}

export interface AudienceTotals {
  /** Audience members to mail (after exclusions). */
  recipients: number;
  jobs: number;
  excluded: ExclusionCounts;
}

/** One resolved page of a campaign's audience, recorded once so a replay or a resume sends to exactly the same people. */
export interface AudiencePage {
  page: number;
  jobs: { jobId: string; contactIds: string[] }[];
  excluded: ExclusionCounts;
  /** Cursor of the next page; absent on the last. */
  next?: string;
  /** Running totals through this page. */
  totals: AudienceTotals;
}

/** What a send job achieved once every recipient in it had an outcome. */
export interface JobOutcome {
  jobId: string;
  sent: number;
  failed: number;
  /** Recipients found suppressed or without consent at send time (after the fan-out). */
  excluded: ExclusionCounts;
  at: string;
}

/** The send's own records besides the per-recipient ledger: audience pages and job outcomes. */
export interface SendProgressStore {
  /** Records the page unless this page number exists; answers the stored page (the first writer's). */
  recordPage(campaignId: string, page: AudiencePage): Promise<AudiencePage>;
  getPage(campaignId: string, page: number): Promise<AudiencePage | undefined>;
  /**
   * Claims the right to queue this page's jobs and the next page for a generation: false when this
   * generation queued them already, or another copy of the fan-out is doing it (claimed less than
   * `leaseMs` ago, under a token not handed over to this attempt). So a duplicated fan-out message
   * never forks the fan-out chain.
   */
  claimPageQueuing(campaignId: string, page: number, generation: number, attempt: ClaimAttempt): Promise<boolean>;
  /** Records that the page's jobs and the next page are queued for this generation. */
  markPageQueued(campaignId: string, page: number, generation: number): Promise<void>;
  /** Records a job's outcome once per job id; true when this call recorded it. */
  recordJobOutcome(campaignId: string, outcome: JobOutcome): Promise<boolean>;
  /** Which of these jobs have an outcome. */
  jobsWithOutcome(campaignId: string, jobIds: string[]): Promise<Set<string>>;
  /** Every job outcome recorded so far. */
  jobOutcomes(campaignId: string): Promise<JobOutcome[]>;
  /** Records how many jobs the whole audience made (when the fan-out completes). */
  setJobTotal(campaignId: string, jobs: number): Promise<void>;
  /**
   * Counts a finished job and answers the count with the job total when known. At least once per
   * job (a retried job may count twice): a cheap trigger for the exact check against
   * `jobOutcomes`, never a figure.
   */
  countFinishedJob(campaignId: string): Promise<{ finished: number; jobs?: number }>;
}

/**
 * The account's send rate shared by every concurrent sender: `reserve` books `count` messages and
 * answers when (epoch ms) the call carrying them may go, so that together senders never exceed it.
 */
export interface SendRateLimiter {
  reserve(count: number, perSecond: number, now: number): Promise<number>;
}

export interface OutgoingMessage {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Extra headers, e.g. RFC 8058 List-Unsubscribe. */
  headers: Record<string, string>;
  /** SES message tags for attribution (`campaignId`, `contactId`). */
  tags: Record<string, string>;
}

export interface MailSender {
  send(message: OutgoingMessage): Promise<{ messageId: string }>;
}

/** Per message of a batch: accepted with its id, or refused with a classified error (see lib/errors). */
export type SendOutcome = { ok: true; messageId: string } | { ok: false; error: Error };

/**
 * Campaign mail: many messages per call where the provider allows it (SES SendBulkEmail, 50).
 * Every message gets an outcome, in order; refusals are classified errors (lib/errors): retryable,
 * `SendingBlockedError`, `SendOutcomeUnknownError`, or permanent.
 */
export interface CampaignMailSender {
  readonly maxBatch: number;
  sendBatch(messages: OutgoingMessage[]): Promise<SendOutcome[]>;
}
