import type { Campaign } from '../sending/campaign';
import type { Contact } from '../contacts/contact';
import { linkIdFor } from '../engagement/recipient';
import type { MachineRules } from '../engagement/machine-activity';
import { leadIdFor, type Lead } from './lead';
import { mapWithConcurrency } from '../common/concurrency';
import { isRetryable } from '../common/errors';
import type { ActivityStore, CriteriaStore, EventPublisher, LeadStore, RoutingStore } from './ports';
import { memoised } from '../common/memoised';
import type { CampaignStore } from '../sending/ports';
import type { Clock } from '../common/ports';
import type { ContactStore, ProfileStore } from '../contacts/ports';
import { activitiesOfRecipient, ledgerChanges } from './activity';
import { criteriaFromProfile, type CriteriaDocument } from './criteria';
import { activityPoints, evaluate, type Activity } from './evaluate';
import { defaultRoutingRules, route } from './routing';
import { followUpFor } from './speed-to-lead';
import type { EngagementListener, RecipientChange } from '../engagement/listeners';

export interface QualifyDeps {
  contacts: ContactStore;
  campaigns: CampaignStore;
  profiles: ProfileStore;
  criteria: CriteriaStore;
  activities: ActivityStore;
  leads: LeadStore;
  routing: RoutingStore;
  events: EventPublisher;
  clock: Clock;
  rules: MachineRules;
  /** The sales inbox when no routing rule names an owner. */
  defaultOwner: string;
  /** Sales is alerted only when the qualifying moment is within this many hours of now. @default 72 */
  freshnessHours?: number;
}

export const DEFAULT_FRESHNESS_HOURS = 72;
const HOUR_MS = 3_600_000;

/** A criteria version ready to evaluate with. */
export interface ResolvedCriteria {
  criteriaId: string;
  version: number;
  document: CriteriaDocument;
}

/**
 * The criteria that evaluate a campaign's engagement: the latest published version of the campaign's
 * criteria set (`criteriaId`, or its profile's id: a profile is published as a criteria set of the
 * same id), so a newly published version applies from then on. A profile made before criteria
 * existed is evaluated with the default criteria built from it, at its own version.
 */
export async function criteriaForCampaign(
  deps: Pick<QualifyDeps, 'criteria' | 'profiles'>,
  campaign: Campaign,
): Promise<ResolvedCriteria | undefined> {
  const id = campaign.criteriaId ?? campaign.profileId;
  if (!id) return undefined;
  const published = await deps.criteria.getVersion(id);
  if (published) return { criteriaId: id, version: published.version, document: published.document };
  if (!campaign.profileId) return undefined;
  const profile = await deps.profiles.get(campaign.profileId, campaign.profileVersion);
  return profile ? { criteriaId: profile.profileId, version: profile.version, document: criteriaFromProfile(profile) } : undefined;
}

const DAY_MS = 86_400_000;
const closedStages = new Set(['rejected', 'lost', 'recycled']);

export type QualifyOutcome = 'qualified' | 'already-lead' | 'not-qualified' | 'customer';

/**
 * Evaluates one contact and, when it qualifies, makes the lead exactly once: the conditional create
 * (or, after a rejection's cool-down, the conditional replacement of the closed lead) decides; the
 * Lead Qualified event is published after the lead is stored and marked after that, so a retry
 * republishes only a lead never marked (the notifier claims before it mails).
 */
export async function qualifyContact(
  deps: QualifyDeps,
  input: { contact: Contact; criteria: ResolvedCriteria; activities: Activity[]; current: Lead | undefined },
): Promise<{ outcome: QualifyOutcome; lead?: Lead }> {
  const { contact, criteria, current } = input;
  let lead = current;
  let outcome: QualifyOutcome = 'already-lead';
  if (current?.stage === 'won') outcome = 'customer';
  else if (!current || closedStages.has(current.stage)) {
    const since = current?.closedAt;
    const notBefore = since ? new Date(Date.parse(since) + criteria.document.coolDownDays * DAY_MS).toISOString() : undefined;
    const result = evaluate(criteria.document, contact, input.activities, { since, notBefore });
    if (!result.qualified) return { outcome: current ? 'already-lead' : 'not-qualified', lead: current };
    const candidate = await newLead(deps, contact, criteria, result, (current?.lifecycle ?? 0) + 1);
    const created = current ? await deps.leads.replaceClosed(candidate, current) : await deps.leads.createIfAbsent(candidate);
    lead = created ? candidate : await deps.leads.get(contact.contactId);
    if (created) outcome = 'qualified';
  }
  if (lead && !lead.publishedAt && !closedStages.has(lead.stage)) {
    await deps.events.leadQualified({ lead });
    await deps.leads.markPublished(lead.contactId, deps.clock.now().toISOString());
  }
  return { outcome, lead };
}

/**
 * The lead a qualification makes: routed, and either fresh (its qualifying moment within the
 * freshness window of now: it gets a follow-up clock and sales is alerted) or historical (late
 * events, back-dated activity: counted and listed, no alert, no follow-up clock).
 */
async function newLead(
  deps: QualifyDeps,
  contact: Contact,
  criteria: ResolvedCriteria,
  result: ReturnType<typeof evaluate>,
  lifecycle: number,
): Promise<Lead> {
  const rules = (await deps.routing.get())?.rules ?? defaultRoutingRules;
  const routing = await route(rules, contact, deps.defaultOwner, (team) => deps.routing.nextTurn(team));
  const now = deps.clock.now();
  const historical = now.getTime() - Date.parse(result.qualifiedAt!) > (deps.freshnessHours ?? DEFAULT_FRESHNESS_HOURS) * HOUR_MS;
  const trigger = result.trigger!;
  return {
    leadId: leadIdFor(contact.contactId, lifecycle),
    contactId: contact.contactId,
    lifecycle,
    ...(trigger.campaignId ? { campaignId: trigger.campaignId } : {}),
    criteriaId: criteria.criteriaId,
    criteriaVersion: criteria.version,
    profileId: criteria.criteriaId,
    profileVersion: criteria.version,
    qualifiedAt: result.qualifiedAt!,
    reasons: result.reasons,
    fit: { score: result.fit.score, threshold: result.fit.threshold, matched: result.fit.matched },
    engagement: result.engagement,
    handRaiser: result.handRaiser,
    trigger: {
      kind: trigger.kind,
      at: trigger.at,
      clickedAt: trigger.at,
      ...(trigger.linkUrl ? { linkUrl: trigger.linkUrl } : {}),
      ...(trigger.intent ? { intent: trigger.intent } : {}),
      ...(trigger.eventType ? { eventType: trigger.eventType } : {}),
    },
    stage: 'mql',
    stageHistory: [{ stage: 'mql', at: now.toISOString(), by: 'qualification' }],
    owner: routing.owner,
    routedBy: routing.routedBy,
    ...(routing.territory ? { territory: routing.territory } : {}),
    ...(historical ? { historical: true } : { followUp: followUpFor(now, routing, rules.followUp) }),
  };
}

/** Keeps the latest facts per activity key; `override` wins (the recipient's state as just planned). */
function merge(stored: Activity[], override: Activity[]): Activity[] {
  const byKey = new Map(stored.map((a) => [a.key, a]));
  for (const a of override) byKey.set(a.key, a);
  return [...byKey.values()];
}

/** A recipient's changed ledger entries, written on their own. */
type LedgerWrite = { change: RecipientChange; activities: Activity[] };
/** A recipient whose new activities can change its contact's outcome, with all its activities in the campaign. */
type Candidate = { change: RecipientChange; activities: Activity[]; criteria: ResolvedCriteria };
type BatchCampaign = { campaign: Campaign; criteria: ResolvedCriteria | undefined };

/** The batch's campaigns and their criteria, read once per campaign; an unknown campaign is absent. */
async function campaignsOfBatch(deps: QualifyDeps, changes: RecipientChange[]): Promise<Map<string, BatchCampaign>> {
  const campaigns = new Map<string, BatchCampaign>();
  for (const id of new Set(changes.map((c) => c.after.campaignId))) {
    const campaign = await deps.campaigns.get(id);
    if (campaign) campaigns.set(id, { campaign, criteria: await criteriaForCampaign(deps, campaign) });
  }
  return campaigns;
}

/**
 * What one recipient's change brings: its scored activities after the change, the ledger entries
 * that changed, and whether they can change the outcome (they score, or they raise a hand).
 */
function recipientActivities(rules: MachineRules, change: RecipientChange, { campaign, criteria: c }: BatchCampaign) {
  const linkUrls: Record<string, string> = { ...campaign.links };
  for (const e of change.newEvents) if (e.link) linkUrls[linkIdFor(e.link)] = e.link;
  const h = c?.document.handRaiser;
  // Opens are many and arrive out of order (each earlier one moves the first open): they enter
  // the ledger only where the campaign's criteria can score them. Clicks always do.
  const opensCount = Boolean(c && (c.document.engagement.humanOpen > 0 || h!.contactMe));
  const scored = (acts: Activity[]) => (opensCount ? acts : acts.filter((a) => a.kind !== 'open'));
  const after = scored(activitiesOfRecipient(change.after, rules, linkUrls));
  const changed = ledgerChanges(scored(activitiesOfRecipient(change.before, rules, linkUrls)), after);
  const matters = changed.some(
    (a) =>
      !a.machine && c && (activityPoints(c.document, a) > 0 || h!.contactMe || (a.intent !== undefined && h!.intents.includes(a.intent))),
  );
  return { after, changed, matters };
}

function planBatch(rules: MachineRules, changes: RecipientChange[], campaigns: Map<string, BatchCampaign>) {
  const puts: LedgerWrite[] = [];
  const candidates: Candidate[] = [];
  for (const change of changes) {
    const batchCampaign = campaigns.get(change.after.campaignId);
    if (!batchCampaign) continue; // unknown campaign: recorded, never qualified
    const { after, changed, matters } = recipientActivities(rules, change, batchCampaign);
    if (!changed.length) continue;
    puts.push({ change, activities: changed });
    if (batchCampaign.criteria && matters) candidates.push({ change, activities: after, criteria: batchCampaign.criteria });
  }
  return { puts, candidates };
}

/**
 * Each recipient's ledger entries on their own: a write that fails for a passing reason holds back
 * only that recipient (its change comes back, in the answer), not the whole batch.
 */
async function writeLedgers(deps: QualifyDeps, puts: LedgerWrite[]): Promise<RecipientChange[]> {
  const retry: RecipientChange[] = [];
  await mapWithConcurrency(puts, 8, async ({ change, activities }) => {
    try {
      await deps.activities.put(activities);
    } catch (error) {
      if (!isRetryable(error)) throw error;
      retry.push(change);
    }
  });
  return retry;
}

/**
 * The routing rules, read once for a batch (when its first lead is routed) instead of once per lead:
 * they change by hand, rarely, and a batch lasts seconds, so a change applies from the next batch.
 * A failed read is not kept: the next lead reads again. Turns stay one atomic counter per lead.
 */
function rulesReadOnce(routing: RoutingStore): RoutingStore {
  return {
    get: memoised(Number.POSITIVE_INFINITY, () => routing.get()),
    put: (stored, expectedRevision) => routing.put(stored, expectedRevision),
    nextTurn: (team) => routing.nextTurn(team),
  };
}

/** Evaluates the candidates' contacts, one after another (a contact's new lead is seen by its next candidate); answers the changes to retry. */
async function qualifyCandidates(batchDeps: QualifyDeps, candidates: Candidate[]): Promise<RecipientChange[]> {
  const deps: QualifyDeps = { ...batchDeps, routing: rulesReadOnce(batchDeps.routing) };
  const retry: RecipientChange[] = [];
  const ids = [...new Set(candidates.map((c) => c.change.after.contactId))];
  const [contacts, leads] = await Promise.all([deps.contacts.getMany(ids), deps.leads.getMany(ids)]);
  const contactById = new Map(contacts.map((c) => [c.contactId, c]));
  const leadById = new Map(leads.map((l) => [l.contactId, l]));
  for (const { change, activities, criteria } of candidates) {
    const contact = contactById.get(change.after.contactId);
    if (!contact || contact.erasedAt) continue; // unknown or erased contact: recorded, never qualified
    try {
      const current = leadById.get(contact.contactId);
      if (current && !closedStages.has(current.stage)) {
        if (!current.publishedAt) await qualifyContact(deps, { contact, criteria, activities: [], current });
        continue;
      }
      const ledger = await deps.activities.listForContact(contact.contactId);
      const { lead } = await qualifyContact(deps, { contact, criteria, activities: merge(ledger, activities), current });
      if (lead) leadById.set(contact.contactId, lead);
    } catch (error) {
      // One contact's passing failure holds back only its own recipient (the steps are idempotent).
      if (!isRetryable(error)) throw error;
      retry.push(change);
    }
  }
  return retry;
}

/**
 * Qualification as an engagement listener. For each recipient whose batch brought opens or clicks:
 * the human activities go to the contact's activity ledger (idempotent puts), and when they can
 * change the outcome (they score, or they raise a hand) the contact is evaluated across everything
 * it did — every campaign and every engagement event posted through the API. A contact that already
 * has an open lead is not evaluated again: later engagement stays in its history (the ledger) and
 * never re-notifies. Reads per batch: the campaigns and their criteria once, the candidates'
 * contacts and leads in one batch read each, and one ledger query per candidate.
 */
export function qualificationListener(deps: QualifyDeps): EngagementListener {
  return {
    async recipientsChanged(changes: RecipientChange[]) {
      const relevant = changes.filter((c) => c.newEvents.some((e) => e.type === 'click' || e.type === 'open'));
      if (!relevant.length) return;
      const campaigns = await campaignsOfBatch(deps, relevant);
      const { puts, candidates } = planBatch(deps.rules, relevant, campaigns);
      const retry = await writeLedgers(deps, puts);
      // A recipient whose ledger write comes back is evaluated when it does.
      const eligible = retry.length ? candidates.filter((c) => !retry.includes(c.change)) : candidates;
      if (!eligible.length) return { retry };
      return { retry: [...retry, ...(await qualifyCandidates(deps, eligible))] };
    },
  };
}
