/**
 * Ports: what the use cases need from the world, in the domain's words. Each has one AWS adapter
 * (src/adapters) that the local runtime also uses, pointed at the embedded stand-ins.
 */
import type { ExclusionCounts } from './audience';
import type { Campaign, CampaignStatus } from './campaign';
import type { Contact, ContactFilter, SuppressionReason } from './contact';
import type { Counters, RecipientEngagement } from './engagement/recipient';
import type { Lead, LeadStage, RejectionReason, StageChange } from './lead';
import type { ReportJob } from './report/job';
import type { IdealCustomerProfile } from './profile';
import type { CriteriaDraft, CriteriaVersion } from './qualification/criteria';
import type { Activity } from './qualification/evaluate';
import type { RoutingRules } from './qualification/routing';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface Page<T> {
  items: T[];
  /** Opaque; absent on the last page. */
  cursor?: string;
}

export interface ContactStore {
  /**
   * Upsert by contact id; never clears `suppressed`, consent given earlier, or a value the input
   * leaves out. Erased contacts are not written: their ids come back in `erased`.
   */
  upsertMany(contacts: Contact[]): Promise<{ created: number; updated: number; erased: string[] }>;
  get(contactId: string): Promise<Contact | undefined>;
  getMany(contactIds: string[]): Promise<Contact[]>;
  /**
   * Contacts matching `filter` (every contact when absent), a page at a time, in a stable order,
   * from a sharded index (no table scan). Erased contacts are never listed. A page may hold fewer
   * than `limit` items and still have a cursor (a filter reads a bounded window per page).
   * Throws InvalidCursorError for a cursor it did not issue for this filter.
   */
  list(cursor?: string, limit?: number, filter?: ContactFilter): Promise<Page<Contact>>;
  /**
   * Right to erasure: removes every attribute of the person, leaving a tombstone (id, `erasedAt`,
   * suppressed `erased`) so that nothing mails, imports or counts them again.
   */
  erase(contactId: string, at: string): Promise<'erased' | 'already-erased' | 'not-found'>;
  suppress(contactId: string, reason: SuppressionReason, at: string): Promise<void>;
  /**
   * Records a transient bounce of one message (idempotent per message id) and answers how many
   * distinct messages have bounced transiently for this contact so far.
   */
  recordTransientBounce(contactId: string, messageId: string): Promise<number>;
}

export interface ProfileStore {
  put(profile: IdealCustomerProfile): Promise<void>;
  get(profileId: string, version?: number): Promise<IdealCustomerProfile | undefined>;
}

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

/** A stored recipient with the optimistic-concurrency version and the deltas not yet known counted. */
export interface StoredRecipient {
  state: RecipientEngagement;
  version: number;
  /** deltaId → { counters, at (epoch ms) }: this recipient's contribution assigned to a campaign delta. */
  pending: Record<string, { counters: Counters; at: number }>;
}

export interface CampaignDelta {
  campaignId: string;
  deltaId: string;
  counters: Counters;
  linkUrls: Record<string, string>;
  at: string;
  /**
   * Recipients (contact ids) whose write in this batch got no answer: their pending entry under this
   * delta id, if the write landed, is not in these counters and is taken over later.
   */
  excluded?: string[];
}

export interface EngagementStore {
  getRecipients(keys: { campaignId: string; contactId: string }[]): Promise<Map<string, StoredRecipient>>;
  /** Writes only if the stored version is still `expectedVersion` (0 = absent); false on conflict. */
  putRecipient(recipient: StoredRecipient, expectedVersion: number): Promise<boolean>;
  /**
   * Which of these campaign deltas were written and, given `contactId`, count that recipient's
   * pending entry under their id (a delta does not count the recipients it names in `excluded`).
   */
  existingDeltas(refs: { campaignId: string; deltaId: string }[], contactId?: string): Promise<Set<string>>;
  /** Idempotent: writing the same delta id twice keeps the first. */
  putDelta(delta: CampaignDelta): Promise<void>;
  /**
   * The campaign's counters: its checkpoint plus the deltas written after it. With `compactBefore`,
   * deltas whose id sorts before it (no writer can still be writing one) are folded into the
   * checkpoint, so the next read has less to sum.
   */
  campaignCounters(campaignId: string, options?: { compactBefore?: string }): Promise<{ counters: Counters; linkUrls: Record<string, string> }>;
  /** Every recipient of a campaign, for reports (a page at a time). */
  listRecipients(campaignId: string, cursor?: string): Promise<Page<RecipientEngagement>>;
}

export interface LeadStore {
  /** Creates the lead unless the contact already has one; true when this call created it. */
  createIfAbsent(lead: Lead): Promise<boolean>;
  get(contactId: string): Promise<Lead | undefined>;
  listByCampaign(campaignId: string, cursor?: string): Promise<Page<Lead>>;
  /** Claims the right to notify sales once (a claim older than `leaseMs` may be taken over). */
  claimNotification(contactId: string, at: Date, leaseMs: number): Promise<boolean>;
  markNotified(contactId: string, messageId: string, at: string): Promise<void>;
  releaseNotification(contactId: string): Promise<void>;
  /** Records that the Lead Qualified event went out, so a retry does not publish it again. */
  markPublished(contactId: string, at: string): Promise<void>;
  /**
   * Right to erasure: strips the lead of what describes the person (reasons, trigger), keeping the
   * campaign, time and stage so MQL counts stay right. False when the contact has no lead.
   */
  anonymise(contactId: string, at: string): Promise<boolean>;
  /** Closed leads of earlier lifecycles (kept when the contact re-qualified), oldest first. */
  earlierLifecycles(contactId: string): Promise<Lead[]>;
  /**
   * Starts a new lifecycle for a contact whose current lead is closed (rejected or lost) and cooled
   * down: archives `previous` and replaces it with `lead`, only if the current lead is still
   * `previous` in the same stage. True when this call made the new lead.
   */
  replaceClosed(lead: Lead, previous: Lead): Promise<boolean>;
  getMany(contactIds: string[]): Promise<Lead[]>;
  /** Moves the stage only if the lead is still `expected`; false when it is not (a concurrent change). */
  updateStage(
    contactId: string,
    expected: { leadId: string; stage: LeadStage },
    change: { stage: LeadStage; entry: StageChange; rejectionReason?: RejectionReason | null; closedAt?: string | null },
  ): Promise<boolean>;
}

/** Criteria sets: an editable draft each, and immutable published versions. */
export interface CriteriaStore {
  /** False when the id is taken. */
  createDraft(draft: CriteriaDraft): Promise<boolean>;
  getDraft(criteriaId: string): Promise<CriteriaDraft | undefined>;
  /** Writes only if the stored draft's revision is still `expectedRevision`. */
  saveDraft(draft: CriteriaDraft, expectedRevision: number): Promise<boolean>;
  /** Writes a version only if that version number is free (versions are immutable). */
  putVersion(version: CriteriaVersion): Promise<boolean>;
  /** A version, or the latest published one when `version` is absent. */
  getVersion(criteriaId: string, version?: number): Promise<CriteriaVersion | undefined>;
  listVersions(criteriaId: string): Promise<CriteriaVersion[]>;
  list(cursor?: string): Promise<Page<CriteriaDraft>>;
  /** The criteria set that evaluates engagement events posted with no campaign. */
  getDefault(): Promise<string | undefined>;
  /** Sets the default; with `onlyIfUnset`, only when none is set yet. */
  setDefault(criteriaId: string, onlyIfUnset: boolean): Promise<boolean>;
}

/** The activity ledger: each contact's scored activities, across campaigns and API events. */
export interface ActivityStore {
  /** Idempotent: an activity is identified by its key; writing it again overwrites it with the same facts. */
  put(activities: Activity[]): Promise<void>;
  /** For events posted through the API: false when an activity with this key exists already. */
  putIfAbsent(activity: Activity): Promise<boolean>;
  listForContact(contactId: string): Promise<Activity[]>;
  /**
   * Right to erasure: each of the contact's activities keeps only its key, kind, time and campaign,
   * marked `machine` so it never scores again. Answers how many were sealed.
   */
  erase(contactId: string, at: string): Promise<number>;
}

export interface StoredRouting {
  rules: RoutingRules;
  revision: number;
  updatedAt: string;
}
export interface RoutingStore {
  get(): Promise<StoredRouting | undefined>;
  /** Writes only if the stored revision is still `expectedRevision` (0 = none stored). */
  put(routing: StoredRouting, expectedRevision: number): Promise<boolean>;
  /** An atomic counter per team: every call returns the next number (round-robin turns). */
  nextTurn(team: string): Promise<number>;
}

export interface LeadQualifiedEvent {
  lead: Lead;
}
export interface EventPublisher {
  leadQualified(event: LeadQualifiedEvent): Promise<void>;
}

export interface ReportStore {
  put(key: string, body: string, contentType: string): Promise<void>;
  /** Writes a body of unknown length as it is produced: memory stays at one upload part. */
  putStream(key: string, body: AsyncIterable<string>, contentType: string): Promise<void>;
  /** A URL a person can open (presigned on AWS, plain on the local stand-in). */
  urlFor(key: string): Promise<string>;
  /** How long `urlFor`'s URLs work, in seconds; undefined when they do not expire (local). */
  readonly urlLifetimeSeconds?: number;
}

/** Hands a report to the report function, which writes it in the background (large reports on demand). */
export interface ReportJobs {
  start(job: ReportJob): Promise<void>;
}

export interface DeadLetter {
  reason: string;
  source: string;
  eventId?: string;
  /** The raw body, truncated; kept for diagnosis and expired. */
  body: string;
  at: string;
}
export interface DeadLetterSink {
  put(letters: DeadLetter[]): Promise<void>;
}
