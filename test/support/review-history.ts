import type { Contact } from '../../lib/contacts/contact';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import type { StoredRecipient } from '../../lib/engagement/ports';
import type { Activity } from '../../lib/qualification/evaluate';
import type { Lead, RejectionReason, StageChange } from '../../lib/qualification/lead';
import { createCriteria, publishCriteria } from '../../lib/qualification/manage-criteria';
import type { ReviewDeps } from '../../lib/review/review';
import type { Campaign } from '../../lib/sending/campaign';
import { prng } from './event-log';
import { MemoryEngagementStore } from './memory-engagement-store';
import { MemoryActivities, MemoryCriteria, MemoryLeads } from './memory-qualification';
import { makeLead } from './reports';

/** The review's period: the first quarter of 2026; the campaign went out on 2 February. */
export const Q1 = { from: '2026-01-01', to: '2026-03-31' };
export const CRITERIA_ID = 'icp';
const SENT = '2026-02-02T09:00:00.000Z';

/** v1 of the criteria: everyone fits; one human click (10 points) qualifies; pricing scores nothing extra. */
export const v1Document = { name: 'ICP', engagement: { humanClick: 10, threshold: 10 } };

export interface History {
  deps: ReviewDeps;
  criteria: MemoryCriteria;
  leads: MemoryLeads;
  contacts: Map<string, Contact>;
  /** The fixture's truth, to check the review against. */
  truth: { retail: string[]; pricing: string[] };
}

/**
 * A quarter's synthetic history: `size` contacts received one campaign and each clicked a link
 * once, as a person (a fifth are in Retail; about half clicked the pricing link). All became MQLs
 * of v1. Sales rejected every Retail lead (not-a-fit), accepted about 85 % of the others who
 * clicked pricing and 30 % of the rest, and left a tenth of the leads undecided.
 */
export async function syntheticHistory(size: number, seed = 3): Promise<History> {
  const random = prng(seed);
  const clock = { now: () => new Date('2026-04-01T06:00:00.000Z') };
  const criteria = new MemoryCriteria();
  const leads = new MemoryLeads();
  const activities = new MemoryActivities();
  const engagement = new MemoryEngagementStore();
  const contacts = new Map<string, Contact>();
  const campaign = {
    campaignId: 'cmp_q1',
    name: 'Q1 launch',
    criteriaId: CRITERIA_ID,
    links: { l_pricing: 'https://acme.example/pricing', l_blog: 'https://acme.example/blog' },
    status: 'sent',
    createdAt: '2026-01-20T09:00:00.000Z',
    sendRequestedAt: SENT,
  } as unknown as Campaign;
  await createCriteria({ criteria, clock }, v1Document, { criteriaId: CRITERIA_ID });
  await publishCriteria({ criteria, clock }, CRITERIA_ID);
  const truth = { retail: [] as string[], pricing: [] as string[] };
  for (let i = 0; i < size; i++) {
    const contactId = `ct_${i}`;
    const retail = i % 5 === 0;
    const pricing = random() < 0.5;
    if (retail) truth.retail.push(contactId);
    if (pricing) truth.pricing.push(contactId);
    contacts.set(contactId, contactOf(contactId, retail ? 'Retail' : i % 2 ? 'Software' : 'Financial Services'));
    const at = Date.parse(SENT) / 1000 + 3600 + i * 60;
    const linkId = pricing ? 'l_pricing' : 'l_blog';
    const intent = pricing ? 'pricing' : '';
    const state = { campaignId: 'cmp_q1', contactId, seen: [`k${i}`], deliveredAt: SENT, opens: [], clicks: [[at, linkId, '', intent]] };
    await engagement.putRecipient({ state, version: 0 } as unknown as StoredRecipient, 0);
    const activity: Activity = {
      key: `cmp_q1:click:${linkId}`,
      contactId,
      kind: 'click',
      at: new Date(at * 1000).toISOString(),
      campaignId: 'cmp_q1',
      linkId,
    };
    if (pricing) activity.intent = 'pricing';
    await activities.put([activity]);
    await leads.createIfAbsent(leadOf(contactId, activity.at, decision(random, retail, pricing)));
  }
  const deps: ReviewDeps = {
    criteria,
    leads,
    activities,
    engagement,
    clock,
    rules: defaultMachineRules,
    contacts: {
      getMany: async (ids: string[]) => ids.flatMap((id) => (contacts.has(id) ? [contacts.get(id)!] : [])),
    } as never,
    campaigns: {
      get: async (id: string) => (id === 'cmp_q1' ? campaign : undefined),
      listCreatedBetween: async () => ({ items: [campaign] }),
    } as never,
  };
  return { deps, criteria, leads, contacts, truth };
}

function contactOf(contactId: string, industry: string): Contact {
  return { contactId, email: `${contactId}@co.example`, industry, country: 'DE', consent: true, createdAt: '', updatedAt: '' };
}

type Decision = { stage: 'mql' | 'sal' | 'rejected'; reason?: RejectionReason };

function decision(random: () => number, retail: boolean, pricing: boolean): Decision {
  if (random() < 0.1) return { stage: 'mql' };
  if (retail) return { stage: 'rejected', reason: 'not-a-fit' };
  return random() < (pricing ? 0.85 : 0.3) ? { stage: 'sal' } : { stage: 'rejected', reason: 'no-need' };
}

function leadOf(contactId: string, at: string, d: Decision): Lead {
  const later = new Date(Date.parse(at) + 5 * 3_600_000).toISOString();
  const history: StageChange[] = [{ stage: 'mql', at }];
  if (d.stage !== 'mql') history.push({ stage: d.stage, at: later, ...(d.reason ? { reason: d.reason } : {}) });
  return makeLead(contactId, 'cmp_q1', {
    criteriaId: CRITERIA_ID,
    criteriaVersion: 1,
    qualifiedAt: at,
    engagement: { score: 10, threshold: 10, contributions: [] },
    stage: d.stage,
    stageHistory: history,
    ...(d.reason ? { rejectionReason: d.reason, closedAt: later } : {}),
  });
}
