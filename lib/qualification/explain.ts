import type { ContactStore, ProfileStore } from '../contacts/ports';
import type { EngagementStore } from '../engagement/ports';
import { classifyClicks, type MachineRules } from '../engagement/machine-activity';
import type { RecipientEngagement } from '../engagement/recipient';
import type { CampaignStore } from '../sending/ports';
import { NotFoundError } from '../common/errors';
import { evaluate } from './evaluate';
import type { ActivityStore, CriteriaStore, LeadStore } from './ports';
import { criteriaForCampaign } from './qualify';

/** Why a contact is not an MQL, campaign by campaign: what a marketer asks when nothing happened. */
export interface CampaignExplanation {
  campaignId: string;
  criteriaId?: string;
  criteriaVersion?: number;
  fit?: { passed: boolean; score: number; threshold: number; failedRequired: string[]; excludedBy?: string };
  engagement?: { score: number; threshold: number };
  /** Opens and clicks the pipeline recorded, human and machine (by rule: too-fast, scanner-agent, …). */
  opens: { human: number; machine: Record<string, number> };
  clicks: { human: number; machine: Record<string, number> };
  /** The same in plain words, the reason first. */
  why: string[];
}
export interface NotQualifiedExplanation {
  contactId: string;
  campaigns: CampaignExplanation[];
}

type Deps = {
  contacts: ContactStore;
  campaigns: CampaignStore;
  profiles: ProfileStore;
  criteria: CriteriaStore;
  activities: ActivityStore;
  leads: LeadStore;
  engagement: EngagementStore;
  rules: MachineRules;
};

/** How many newest campaigns are searched for the contact when no campaign is named. */
const RECENT_CAMPAIGNS = 20;

/**
 * Explains a contact who has no lead: for each of the newest campaigns that mailed them (or the
 * one named), the fit rule that failed or the exclusion, the engagement score against its
 * threshold, and the opens and clicks judged machine, by rule. Read-only; nothing is re-evaluated
 * into a lead here (qualification happens when engagement is recorded).
 */
export async function explainNoLead(deps: Deps, contactId: string, campaignId?: string): Promise<NotQualifiedExplanation> {
  const contact = await deps.contacts.get(contactId);
  if (!contact) throw new NotFoundError(`no contact ${contactId}`);
  const campaignIds = campaignId ? [campaignId] : (await deps.campaigns.list(undefined, RECENT_CAMPAIGNS)).items.map((c) => c.campaignId);
  const recipients = [...(await deps.engagement.getRecipients(campaignIds.map((id) => ({ campaignId: id, contactId })))).values()];
  const activities = await deps.activities.listForContact(contactId);
  const campaigns: CampaignExplanation[] = [];
  for (const { state } of recipients) {
    const campaign = await deps.campaigns.get(state.campaignId);
    const criteria = campaign ? await criteriaForCampaign(deps, campaign) : undefined;
    const seen = machineTally(state, deps.rules);
    if (!criteria) {
      campaigns.push({ campaignId: state.campaignId, ...seen, why: ['the campaign has no qualification criteria', ...seen.why] });
      continue;
    }
    const result = evaluate(criteria.document, contact, activities);
    const fit = { ...result.fit, matched: undefined };
    delete fit.matched;
    const engagement = { score: result.engagement.score, threshold: result.engagement.threshold };
    campaigns.push({
      campaignId: state.campaignId,
      criteriaId: criteria.criteriaId,
      criteriaVersion: criteria.version,
      fit,
      engagement,
      ...seen,
      why: [...fitWhy(fit), `engagement score ${engagement.score} of ${engagement.threshold} needed`, ...seen.why],
    });
  }
  return { contactId, campaigns };
}

function fitWhy(fit: NonNullable<CampaignExplanation['fit']>): string[] {
  if (fit.excludedBy) return [`excluded by ${fit.excludedBy}`];
  if (fit.failedRequired.length) return fit.failedRequired.map((f) => `not a fit: ${f}`);
  return [
    fit.passed
      ? `fits (fit score ${fit.score} of ${fit.threshold} needed)`
      : `not a fit: fit score ${fit.score} of ${fit.threshold} needed`,
  ];
}

/** A recipient's opens and clicks, human and machine by rule, and the machine ones in words. */
function machineTally(state: RecipientEngagement, rules: MachineRules) {
  const opens = { human: 0, machine: {} as Record<string, number> };
  const clicks = { human: 0, machine: {} as Record<string, number> };
  const count = (tally: typeof opens, flag: string) => {
    if (flag) tally.machine[flag] = (tally.machine[flag] ?? 0) + 1;
    else tally.human++;
  };
  for (const [, flag] of state.opens) count(opens, flag);
  for (const flag of classifyClicks(state.clicks, rules)) count(clicks, flag);
  const words = (kind: string, tally: typeof opens) =>
    Object.entries(tally.machine).map(([rule, n]) => `${n} ${kind}${n > 1 ? 's' : ''} judged machine: ${ruleWords(rule, rules)}`);
  const why = [...words('click', clicks), ...words('open', opens)];
  if (!state.opens.length && !state.clicks.length) why.push('no open or click recorded yet');
  return { opens, clicks, why };
}

function ruleWords(rule: string, rules: MachineRules): string {
  if (rule === 'too-fast') return `too-fast (within ${rules.scannerWindowSeconds} s of the send: a link scanner's)`;
  if (rule === 'link-burst') return `link-burst (${rules.burstLinks} or more links within ${rules.burstWindowSeconds} s)`;
  if (rule === 'scanner-agent') return "scanner-agent (a link scanner's or a tool's user agent)";
  if (rule === 'privacy-proxy') return 'privacy-proxy (a mail privacy proxy fetched the images)';
  return rule;
}
