import { z } from 'zod';
import type { Campaign } from '../sending/campaign';
import type { Contact } from '../contacts/contact';
import { mapWithConcurrency } from '../shared/concurrency';
import type { MachineRules } from '../engagement/machine-activity';
import { NotFoundError, ValidationError } from '../shared/errors';
import { acceptedStages } from './lead';
import type { ActivityStore, CriteriaStore, LeadStore } from './ports';
import type { CampaignStore } from '../sending/ports';
import type { Clock } from '../shared/ports';
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
  const draft = await deps.criteria.getDraft(criteriaId);
  if (!draft) throw new NotFoundError(`criteria ${criteriaId} does not exist`);
  let document: CriteriaDocument = draft.document;
  if (request.version !== 'draft') {
    const v = await deps.criteria.getVersion(criteriaId, request.version);
    if (!v) throw new ValidationError(`criteria ${criteriaId} has no version ${request.version}`, [{ path: ['version'], message: 'unknown version' }]);
    document = v.document;
  }
  const campaignIds = [...new Set(request.campaignIds)];
  const campaigns = await Promise.all(campaignIds.map((id) => deps.campaigns.get(id)));
  const missing = campaignIds.filter((_, i) => !campaigns[i]);
  if (missing.length) throw new ValidationError(`unknown campaigns: ${missing.join(', ')}`, [{ path: ['campaignIds'], message: `unknown: ${missing.join(', ')}` }]);

  // Each engaged recipient's activities in each campaign, as the listener derives them.
  const perContact = new Map<string, Activity[]>();
  const engaged = new Map<string, number>();
  const delivered = new Map<string, number>();
  for (const campaign of campaigns as Campaign[]) {
    const id = campaign.campaignId;
    delivered.set(id, (await deps.engagement.campaignCounters(id)).counters.delivered ?? 0);
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
    engaged.set(id, count);
  }

  const ids = [...perContact.keys()];
  const contacts = new Map<string, Contact>();
  for (let i = 0; i < ids.length; i += 100) for (const c of await deps.contacts.getMany(ids.slice(i, i + 100))) contacts.set(c.contactId, c);
  const outcomes = new Map<string, { campaignId?: string; handRaiser: boolean }>();
  await mapWithConcurrency(ids, 8, async (contactId) => {
    const contact = contacts.get(contactId);
    if (!contact) return;
    const byKey = new Map((await deps.activities.listForContact(contactId)).map((a) => [a.key, a]));
    for (const a of perContact.get(contactId)!) byKey.set(a.key, a);
    const result = evaluate(document, contact, [...byKey.values()]);
    if (result.qualified) outcomes.set(contactId, { campaignId: result.trigger!.campaignId, handRaiser: result.handRaiser });
  });
  const qualifiedIds = [...outcomes.keys()];
  const leads = new Map<string, Awaited<ReturnType<LeadStore['get']>>>();
  for (let i = 0; i < qualifiedIds.length; i += 100) for (const l of await deps.leads.getMany(qualifiedIds.slice(i, i + 100))) leads.set(l.contactId, l);

  const rows: BacktestCampaign[] = [];
  for (const campaign of campaigns as Campaign[]) {
    const id = campaign.campaignId;
    const mine = qualifiedIds.filter((c) => outcomes.get(c)!.campaignId === id);
    let currentMqls = 0;
    let cursor: string | undefined;
    do {
      const page = await deps.leads.listByCampaign(id, cursor);
      currentMqls += page.items.length;
      cursor = page.cursor;
    } while (cursor);
    rows.push({
      campaignId: id,
      name: campaign.name,
      delivered: delivered.get(id) ?? 0,
      engagedContacts: engaged.get(id) ?? 0,
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
  const sum = (k: keyof Omit<BacktestCampaign, 'campaignId' | 'name'>) => rows.reduce((a, r) => a + r[k], 0);
  const totals = {
    delivered: sum('delivered'),
    engagedContacts: sum('engagedContacts'),
    wouldQualify: sum('wouldQualify'),
    handRaisers: sum('handRaisers'),
    mqlsToday: sum('mqlsToday'),
    acceptedBySales: sum('acceptedBySales'),
    currentMqls: sum('currentMqls'),
  };
  const now = deps.clock.now();
  const result: BacktestResult = { criteriaId, version: request.version, evaluatedAt: now.toISOString(), campaigns: rows, totals };
  if (request.monthlyTarget) {
    const rate = totals.delivered ? totals.wouldQualify / totals.delivered : null;
    const recent = (campaigns as Campaign[]).filter((c) => Date.parse(c.sendRequestedAt ?? c.createdAt) >= now.getTime() - 30 * DAY_MS);
    const measured = recent.length ? recent.reduce((a, c) => a + (delivered.get(c.campaignId) ?? 0), 0) : null;
    const volume = request.monthlyVolume ?? measured;
    const projected = rate !== null && volume !== null ? rate * volume : null;
    result.forecast = {
      monthlyTarget: request.monthlyTarget,
      mqlsPerDelivered: rate,
      monthlyVolume: volume,
      volumeSource: request.monthlyVolume ? 'given' : measured !== null ? 'last-30-days' : 'unknown',
      projectedMqlsPerMonth: projected === null ? null : Math.round(projected * 10) / 10,
      enough: projected === null ? null : projected >= request.monthlyTarget,
      volumeNeeded: rate ? Math.ceil(request.monthlyTarget / rate) : null,
    };
  }
  return result;
}
