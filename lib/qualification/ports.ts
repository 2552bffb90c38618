/**
 * What qualification needs: leads, criteria, the activity ledger, routing, and the project bus. Each
 * port speaks the domain; its AWS adapter lives in adapters/, and the local runtime uses the same
 * adapter pointed at the embedded stand-ins.
 */
import type { Lead, LeadStage, RejectionReason, StageChange } from './lead';
import type { Approval, CriteriaDraft, CriteriaVersion } from './criteria';
import type { Activity } from './evaluate';
import type { RoutingRules } from './routing';
import type { Page } from '../common/ports';

export type FollowUpKind = 'reminder' | 'escalation';
/** A follow-up waiting in the due index: the lead it belongs to, what and when. */
export interface DueFollowUp {
  contactId: string;
  leadId: string;
  kind: FollowUpKind;
  at: string;
}

export interface LeadStore {
  /** Follow-ups due at or before `now` (an index query per day bucket, never a scan). */
  listDueFollowUps(now: string, cursor?: string): Promise<Page<DueFollowUp>>;
  /** Claims the right to send one follow-up of the lead (still `leadId`, at MQL, not yet sent; a claim older than `leaseMs` may be taken over). */
  claimFollowUp(due: DueFollowUp, at: Date, leaseMs: number): Promise<boolean>;
  releaseFollowUp(due: DueFollowUp): Promise<void>;
  /** Records the follow-up sent; an escalation also hands the lead to `newOwner`. */
  markFollowUpSent(due: DueFollowUp, messageId: string, at: string, newOwner?: string): Promise<void>;
  /** Takes the follow-up out of the due index (sent, or the lead was answered). */
  dropFollowUp(due: DueFollowUp): Promise<void>;
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
  /**
   * Replaces the stage history of this lead (the current lead or an earlier lifecycle, whichever has
   * its `leadId`) with `history`, only while the stored history still has as many entries as the
   * lead read; false when it changed meanwhile or the lead is gone. For the right to erasure: sales's
   * notes that name an erased person.
   */
  rewriteNotes(lead: Lead, history: StageChange[]): Promise<boolean>;
  /** Moves the stage only if the lead is still `expected`; false when it is not (a concurrent change). */
  updateStage(
    contactId: string,
    expected: { leadId: string; stage: LeadStage },
    change: { stage: LeadStage; entries: StageChange[]; rejectionReason?: RejectionReason | null; closedAt?: string | null },
  ): Promise<boolean>;
}

/** Criteria sets: an editable draft each, and immutable published versions. */
export interface CriteriaStore {
  /** False when the id is taken. */
  createDraft(draft: CriteriaDraft): Promise<boolean>;
  getDraft(criteriaId: string): Promise<CriteriaDraft | undefined>;
  /** Writes only if the stored draft's revision is still `expectedRevision`. */
  saveDraft(draft: CriteriaDraft, expectedRevision: number): Promise<boolean>;
  /** Records one side's approval on the draft, only if the draft is still at `approval.revision` (false otherwise). */
  recordApproval(criteriaId: string, approval: Approval): Promise<boolean>;
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
