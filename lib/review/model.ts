import type { Contact } from '../contacts/contact';
import type { Approval } from '../qualification/criteria';
import type { Activity } from '../qualification/evaluate';
import { reachedSal, type Lead, type RejectionReason } from '../qualification/lead';
import type { ReportPeriod } from '../reports/period';
import type { Interval } from './statistics';
import type { Suggestion } from './suggest';

/**
 * The quarterly criteria review's model: one pure shape that JSON, CSV and HTML render alike. Bump
 * the schema version when a field changes meaning or goes away.
 */
export const REVIEW_SCHEMA_VERSION = 1;

/** One group of a version's leads: a fit attribute value or an activity kind. */
export interface ReviewGroup {
  kind: 'fit' | 'activity';
  /** `industry`, `companySize`, `seniority`, `country`, `region`; for activities `intent`, `event`, `hand-raiser`, `score`. */
  dimension: string;
  value: string;
  /** MQLs in the group. */
  leads: number;
  /** n: leads sales decided on (accepted, or rejected or recycled without accepting). */
  decided: number;
  accepted: number;
  acceptanceRate: number | null;
  /** 95 % Wilson interval of the acceptance rate. */
  interval: Interval | null;
  /** Acceptance rate ÷ the version's; 1 is average. */
  lift: number | null;
  liftInterval: Interval | null;
  /** Where the evidence holds (n ≥ the minimum and the interval excludes 1): higher or lower than average. */
  evidence: 'higher' | 'lower' | null;
}

export interface ReviewVersion {
  criteriaId: string;
  version: number;
  name: string;
  publishedAt: string | null;
  approvals: Approval[];
  mqls: number;
  accepted: number;
  qualified: number;
  rejected: number;
  recycled: number;
  /** Still at MQL: sales has not looked. */
  open: number;
  decided: number;
  mqlToSal: number | null;
  salToSql: number | null;
  /** accepted ÷ decided: the average every group's lift is measured against. */
  acceptanceRate: number | null;
  rejectionReasons: { reason: RejectionReason; count: number; share: number }[];
  speedToLead: { alerted: number; acceptedWithinTarget: number; shareWithinTarget: number | null; medianHoursToAccept: number | null };
  groups: ReviewGroup[];
}

export interface CriteriaReview {
  schemaVersion: typeof REVIEW_SCHEMA_VERSION;
  criteriaId: string;
  name: string;
  period: ReportPeriod;
  generatedAt: string;
  /** The campaigns sent in the period whose leads were reviewed. */
  campaigns: { campaignId: string; name: string }[];
  minSample: number;
  versions: ReviewVersion[];
  /** Suggested edits of the latest version in use, each with its evidence and backtest; never applied automatically. */
  suggestions: Suggestion[];
  /** What the review cannot say (printed with it). */
  caveats: string[];
}

/** A lead with what the review groups it by: its contact (absent when erased) and the activities that made it. */
export interface ReviewedLead {
  lead: Lead;
  contact?: Contact;
  activities: Activity[];
}

/** Sales decided on the lead: accepted it, or rejected or recycled it. Still-open MQLs are not counted either way. */
export const decided = (lead: Lead) => reachedSal(lead) || lead.stage === 'rejected' || lead.stage === 'recycled';

export const reviewCaveats = [
  'Only leads sales decided on count: an MQL still waiting is neither accepted nor rejected.',
  'Many groups are tested at once: at 95 % about one group in twenty can look different by chance. Suggestions need 30 decided leads and an interval that excludes 1.',
  'A lift is a correlation: leads who clicked pricing may be accepted for another reason they share.',
  'Erased contacts keep their lead but lose their attributes: they count in the version, not in fit groups.',
];
