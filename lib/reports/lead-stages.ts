import { reachedSal, reachedSql, type Lead, type LeadStage } from '../qualification/lead';

/**
 * How reports read a lead's stage, in one place. "Accepted by sales" (SAL) and "qualified" (SQL)
 * come from the lead's stage history, the definition the qualification rates use too; the labels
 * are a `Record` over the stage type, so a new stage does not compile until it is placed here.
 */
export const stageLabels: Record<LeadStage, string> = {
  mql: 'MQL, awaiting sales',
  sal: 'SAL, accepted by sales',
  sql: 'SQL, qualified by sales',
  meeting: 'meeting booked',
  proposal: 'proposal sent',
  won: 'won',
  lost: 'lost (after acceptance)',
  rejected: 'rejected by sales',
  recycled: 'recycled to nurture',
};

/** Reached SAL (once reached, it counts; an old `sql` without a SAL entry was accepted at that moment). */
export const isAcceptedBySales = (lead: Pick<Lead, 'stage' | 'stageHistory'>) => reachedSal(lead);
/** Reached SQL. */
export const isQualifiedBySales = (lead: Pick<Lead, 'stage' | 'stageHistory'>) => reachedSql(lead);
export const isRejectedBySales = (lead: Pick<Lead, 'stage'>) => lead.stage === 'rejected';

/**
 * The criteria version a lead was qualified under (criteria id and version; older leads carry the
 * ideal customer profile's under their former names). The quarterly review reads MQL → SQL per it.
 */
export const criteriaVersionOf = (lead: Pick<Lead, 'criteriaId' | 'criteriaVersion' | 'profileId' | 'profileVersion'>) =>
  `${lead.criteriaId ?? lead.profileId} v${lead.criteriaVersion ?? lead.profileVersion}`;

/** What qualifies a campaign's clickers: its criteria (latest published version) or its profile's version. */
export const campaignCriteriaOf = (c: { criteriaId?: string; profileId?: string; profileVersion?: number }) =>
  c.criteriaId ? `${c.criteriaId} (latest published)` : c.profileId ? `${c.profileId} v${c.profileVersion ?? 1}` : '—';
