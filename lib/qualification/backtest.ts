import { z } from 'zod';
import type { Campaign } from '../sending/campaign';
import type { Contact } from '../contacts/contact';
import { mapWithConcurrency } from '../common/concurrency';
import type { MachineRules } from '../engagement/machine-activity';
import { NotFoundError, ValidationError } from '../common/errors';
import { acceptedStages } from './lead';
import type { ActivityStore, CriteriaStore, LeadStore } from './ports';
import type { CampaignStore } from '../sending/ports';
import type { Clock } from '../common/ports';
import type { ContactStore } from '../contacts/ports';
import type { EngagementStore } from '../engagement/ports';
import { activitiesOfRecipient } from './activity';
import type { CriteriaDocument } from './criteria';
import { evaluate, type Activity } from './evaluate';

/** `POST /criteria/{criteriaId}/backtest`. */
export const backtestRequestSchema = z
  .object({
    campaignIds: z.array(z.string().min(1).max(100)).min(1).max(20),
    /** `draft` (the default) or a published version number. */
    version: z.union([z.literal('draft'), z.number().int().positive()]).default('draft'),
    /** MQLs sales wants per month: the forecast says whether the sending volume produces them. */
    monthlyTarget: z.number().int().positive().optional(),
    /** Emails delivered per month; measured from the campaigns sent in the last 30 days when absent. */
    monthlyVolume: z.number().int().positive().optional(),
  })
  .strict();

export interface BacktestCampaign {
  campaignId: string;
  name: string;
  delivered: number;
  /** Recipients with a human open or click in this campaign. */
  engagedContacts: number;
  /** Contacts the criteria would have made MQLs, attributed to this campaign (their qualifying moment was in it). */
  wouldQualify: number;
  handRaisers: number;
  /** Of those, how many are MQLs today (any stage), and how many of those sales accepted. */
  mqlsToday: number;
  acceptedBySales: number;
  /** MQLs attributed to this campaign today, for comparison. */
  currentMqls: number;
}

export interface BacktestResult {
  criteriaId: string;
  version: number | 'draft';
  evaluatedAt: string;
  campaigns: BacktestCampaign[];
  totals: Omit<BacktestCampaign, 'campaignId' | 'name'>;
  forecast?: {
    monthlyTarget: number;
    /** wouldQualify ÷ delivered over the backtested campaigns. */
    mqlsPerDelivered: number | null;
    monthlyVolume: number | null;
    volumeSource: 'given' | 'last-30-days' | 'unknown';
    projectedMqlsPerMonth: number | null;
    enough: boolean | null;
    /** Deliveries per month the target needs at this rate. */
    volumeNeeded: number | null;
  };
}

export interface BacktestDeps {
  criteria: CriteriaStore;
  campaigns: CampaignStore;
  engagement: EngagementStore;
  contacts: ContactStore;
  activities: ActivityStore;
  leads: LeadStore;
  clock: Clock;
  rules: MachineRules;
}

const DAY_MS = 86_400_000;

type BacktestRequest = z.infer<typeof backtestRequestSchema>;
type BacktestTotals = BacktestResult['totals'];
type StoredLead = NonNullable<Awaited<ReturnType<LeadStore['get']>>>;

/** What the backtest reads of the campaigns' engagement. */
export interface RecordedEngagement {
  /** Each engaged recipient's activities in every backtested campaign, as the listener derives them. */
  perContact: Map<string, Activity[]>;
  /** Per campaign: recipients with a human open or click, and deliveries. */
  engaged: Map<string, number>;
  delivered: Map<string, number>;
}

/** Where a contact the criteria would qualify counts: the campaign of its qualifying moment. */
export type Outcome = { campaignId?: string; handRaiser: boolean };

/** The draft's document, or the published version's the request names. */
async function documentToTest(deps: BacktestDeps, criteriaId: string, version: BacktestRequest['version']): Promise<CriteriaDocument> {
  const draft = await deps.criteria.getDraft(criteriaId);
  if (!draft) throw new NotFoundError(`criteria ${criteriaId} does not exist`);
  if (version === 'draft') return draft.document;
  const v = await deps.criteria.getVersion(criteriaId, version);
  if (!v)
    throw new ValidationError(`criteria ${criteriaId} has no version ${version}`, [{ path: ['version'], message: 'unknown version' }]);
  return v.document;
}

async function campaignsToTest(deps: BacktestDeps, requested: string[]): Promise<Campaign[]> {
  const campaignIds = [...new Set(requested)];
  const campaigns = await Promise.all(campaignIds.map((id) => deps.campaigns.get(id)));
  const missing = campaignIds.filter((_, i) => !campaigns[i]);
  if (missing.length)
    throw new ValidationError(`unknown campaigns: ${missing.join(', ')}`, [
      { path: ['campaignIds'], message: `unknown: ${missing.join(', ')}` },
    ]);
  return campaigns as Campaign[];
}

export async function recordedEngagement(deps: BacktestDeps, campaigns: Campaign[]): Promise<RecordedEngagement> {
  const recorded: RecordedEngagement = { perContact: new Map(), engaged: new Map(), delivered: new Map() };
  const { perContact } = recorded;
  for (const campaign of campaigns) {
    const id = campaign.campaignId;
    recorded.delivered.set(id, (await deps.engagement.campaignCounters(id)).counters.delivered ?? 0);
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await deps.engagement.listRecipients(id, cursor);
      for (const state of page.items) {
        const acts = activitiesOfRecipient(state, deps.rules, campaign.links);
        if (!acts.length) continue;
        count++;
        perContact.set(state.contactId, [...(perContact.get(state.contactId) ?? []), ...acts]);
      }
      cursor = page.cursor;
    } while (cursor);
    recorded.engaged.set(id, count);
  }
  return recorded;
}

/** Evaluates every engaged contact with all it did (its ledger plus the campaigns' activities); answers those that qualify. */
export async function outcomesOf(
  deps: BacktestDeps,
  document: CriteriaDocument,
  perContact: Map<string, Activity[]>,
): Promise<Map<string, Outcome>> {
  const ids = [...perContact.keys()];
  const contacts = new Map<string, Contact>();
  for (let i = 0; i < ids.length; i += 100)
    for (const c of await deps.contacts.getMany(ids.slice(i, i + 100))) contacts.set(c.contactId, c);
  const outcomes = new Map<string, Outcome>();
  await mapWithConcurrency(ids, 8, async (contactId) => {
    const contact = contacts.get(contactId);
    if (!contact) return;
    const byKey = new Map((await deps.activities.listForContact(contactId)).map((a) => [a.key, a]));
    for (const a of perContact.get(contactId)!) byKey.set(a.key, a);
    const result = evaluate(document, contact, [...byKey.values()]);
    if (result.qualified) outcomes.set(contactId, { campaignId: result.trigger!.campaignId, handRaiser: result.handRaiser });
  });
  return outcomes;
}

async function currentLeadsOf(deps: BacktestDeps, contactIds: string[]): Promise<Map<string, StoredLead>> {
  const leads = new Map<string, StoredLead>();
  for (let i = 0; i < contactIds.length; i += 100)
    for (const l of await deps.leads.getMany(contactIds.slice(i, i + 100))) leads.set(l.contactId, l);
  return leads;
}

async function countCampaignLeads(deps: BacktestDeps, campaignId: string): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.leads.listByCampaign(campaignId, cursor);
    count += page.items.length;
    cursor = page.cursor;
  } while (cursor);
  return count;
}

async function campaignRows(
  deps: BacktestDeps,
  campaigns: Campaign[],
  recorded: RecordedEngagement,
  outcomes: Map<string, Outcome>,
): Promise<BacktestCampaign[]> {
  const qualifiedIds = [...outcomes.keys()];
  const leads = await currentLeadsOf(deps, qualifiedIds);
  const rows: BacktestCampaign[] = [];
  for (const campaign of campaigns) {
    const id = campaign.campaignId;
    const mine = qualifiedIds.filter((c) => outcomes.get(c)!.campaignId === id);
    const currentMqls = await countCampaignLeads(deps, id);
    rows.push({
      campaignId: id,
      name: campaign.name,
      delivered: recorded.delivered.get(id) ?? 0,
      engagedContacts: recorded.engaged.get(id) ?? 0,
      wouldQualify: mine.length,
      handRaisers: mine.filter((c) => outcomes.get(c)!.handRaiser).length,
      mqlsToday: mine.filter((c) => leads.has(c)).length,
      acceptedBySales: mine.filter((c) => {
        const lead = leads.get(c);
        return lead !== undefined && acceptedStages.includes(lead.stage);
      }).length,
      currentMqls,
    });
  }
  return rows;
}

function totalsOf(rows: BacktestCampaign[]): BacktestTotals {
  const sum = (k: keyof BacktestTotals) => rows.reduce((a, r) => a + r[k], 0);
  return {
    delivered: sum('delivered'),
    engagedContacts: sum('engagedContacts'),
    wouldQualify: sum('wouldQualify'),
    handRaisers: sum('handRaisers'),
    mqlsToday: sum('mqlsToday'),
    acceptedBySales: sum('acceptedBySales'),
    currentMqls: sum('currentMqls'),
  };
}

/** Whether the sending volume (given, or delivered by the campaigns sent in the last 30 days) meets the monthly target at the backtested rate. */
function forecastOf(
  request: { monthlyTarget: number; monthlyVolume: number | undefined },
  totals: BacktestTotals,
  campaigns: Campaign[],
  delivered: Map<string, number>,
  now: Date,
): NonNullable<BacktestResult['forecast']> {
  const rate = totals.delivered ? totals.wouldQualify / totals.delivered : null;
  const recent = campaigns.filter((c) => Date.parse(c.sendRequestedAt ?? c.createdAt) >= now.getTime() - 30 * DAY_MS);
  const measured = recent.length ? recent.reduce((a, c) => a + (delivered.get(c.campaignId) ?? 0), 0) : null;
  const volume = request.monthlyVolume ?? measured;
  const projected = rate !== null && volume !== null ? rate * volume : null;
  return {
    monthlyTarget: request.monthlyTarget,
    mqlsPerDelivered: rate,
    monthlyVolume: volume,
    volumeSource: request.monthlyVolume ? 'given' : measured !== null ? 'last-30-days' : 'unknown',
    projectedMqlsPerMonth: projected === null ? null : Math.round(projected * 10) / 10,
    enough: projected === null ? null : projected >= request.monthlyTarget,
    volumeNeeded: rate ? Math.ceil(request.monthlyTarget / rate) : null,
  };
}

/**
 * Evaluates a draft (or a version) against recorded engagement of the given campaigns: every
 * recipient who opened or clicked as a person is evaluated with everything it did (the activity
 * ledger: all campaigns and engagement events), as live qualification does, ignoring lead
 * lifecycles (the question is "would it be an MQL", not "would it be notified again"). A contact
 * counts for the campaign its qualifying moment belongs to. Reads: the campaigns' recipients, the
 * engaged contacts and their ledgers; bounded by the 20-campaign limit.
 */
export async function backtestCriteria(deps: BacktestDeps, criteriaId: string, input: unknown): Promise<BacktestResult> {
  const parsed = backtestRequestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('invalid backtest request', parsed.error.issues);
  const request = parsed.data;
  const document = await documentToTest(deps, criteriaId, request.version);
  const campaigns = await campaignsToTest(deps, request.campaignIds);
  const recorded = await recordedEngagement(deps, campaigns);
  const outcomes = await outcomesOf(deps, document, recorded.perContact);
  const rows = await campaignRows(deps, campaigns, recorded, outcomes);
  const totals = totalsOf(rows);
  const now = deps.clock.now();
  const result: BacktestResult = { criteriaId, version: request.version, evaluatedAt: now.toISOString(), campaigns: rows, totals };
  if (request.monthlyTarget) {
    result.forecast = forecastOf(
      { monthlyTarget: request.monthlyTarget, monthlyVolume: request.monthlyVolume },
      totals,
      campaigns,
      recorded.delivered,
      now,
    );
  }
  return result;
}
