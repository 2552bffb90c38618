import { describe, expect, it } from 'vitest';
import type { Campaign } from '../../lib/sending/campaign';
import type { Contact } from '../../lib/contacts/contact';
import { flagActivity, defaultMachineRules } from '../../lib/engagement/machine-activity';
import type { EngagementEvent } from '../../lib/engagement/ses-event';
import { shortHash } from '../../lib/common/ids';
import { acceptedStages } from '../../lib/qualification/lead';
import { backtestCriteria } from '../../lib/qualification/backtest';
import { createCriteria, editDraft, publishCriteria } from '../../lib/qualification/manage-criteria';
import { recordEngagementEvent } from '../../lib/qualification/record-engagement-event';
import { leadFeedback } from '../../lib/qualification/lead-feedback';
import { qualificationListener, type QualifyDeps } from '../../lib/qualification/qualify';
import { recordEngagement } from '../../lib/engagement/record-engagement';
import { generateEventLog, prng, shuffle } from '../support/event-log';
import { MemoryEngagementStore } from '../support/memory-engagement-store';
import { MemoryActivities, MemoryCriteria, MemoryLeads, MemoryRouting } from '../support/memory-qualification';
import { recount } from '../support/recount';

const RECIPIENTS = 600;
const rules = defaultMachineRules;
const ladder = ['entry', 'mid', 'senior', 'manager', 'director', 'vp', 'c-level', 'owner'] as const;

/** The draft under test, and the same rules written out by hand for the independent evaluation. */
const draft = {
  name: 'Q2 review draft',
  fit: {
    threshold: 10,
    rules: [
      { name: 'software or finance', when: { attribute: 'industry', op: 'in', values: ['Software', 'Financial Services'] }, points: 10 },
      { name: 'senior', when: { attribute: 'seniority', op: 'range', min: 'director' }, points: 5 },
      { name: 'junior', when: { attribute: 'seniority', op: 'range', max: 'mid' }, points: -10 },
    ],
  },
  exclusions: [{ name: 'personal address', when: { attribute: 'emailDomain', op: 'equals', value: 'mail.example' } }],
  engagement: {
    humanClick: 6,
    humanOpen: 2,
    intents: { pricing: 4 },
    events: { 'webinar-attended': 5 },
    threshold: 12,
    decay: { halfLifeDays: 0.5 },
  },
  handRaiser: { intents: ['contact-sales'], contactMe: true },
};
function fitsByHand(c: Contact): boolean {
  if (c.email.endsWith('@mail.example')) return false;
  const rank = c.seniority ? ladder.indexOf(c.seniority) : -1;
  const score =
    (['Software', 'Financial Services'].includes(c.industry ?? '') ? 10 : 0) + (rank >= 4 ? 5 : 0) + (rank >= 0 && rank <= 1 ? -10 : 0);
  return score >= 10;
}

type Act = { at: number; campaignId?: string; points: number; handRaise: boolean };

/**
 * An independent evaluation straight from the raw event log: dedupe by key, classify machine
 * activity per event and by bursts, keep each campaign's first human open and the first human click
 * of each link, then score every moment by summing decayed points (quadratic, no running total).
 */
function independent(
  events: EngagementEvent[],
  apiEvents: { contactId: string; at: string; type: string; campaignId?: string }[],
  contacts: Map<string, Contact>,
) {
  const unique = [...new Map(events.map((e) => [e.key, e])).values()];
  const acts = new Map<string, Act[]>();
  const push = (id: string, a: Act) => acts.set(id, [...(acts.get(id) ?? []), a]);
  const groups = new Map<string, EngagementEvent[]>();
  for (const e of unique) groups.set(`${e.campaignId}|${e.contactId}`, [...(groups.get(`${e.campaignId}|${e.contactId}`) ?? []), e]);
  const contactMe = (id: string) => contacts.get(id)?.contactMe === true;
  const engaged = new Map<string, Set<string>>();
  for (const list of groups.values()) {
    const { campaignId, contactId } = list[0]!;
    const sec = (e: EngagementEvent) => Math.floor(Date.parse(e.at) / 1000);
    const clicks = list.filter((e) => e.type === 'click' && !['unsubscribe', 'preferences'].includes(e.linkTags?.intent?.[0] ?? ''));
    const humanClicks = clicks.filter(
      (c) =>
        !flagActivity('click', c, rules) &&
        new Set(clicks.filter((o) => Math.abs(sec(o) - sec(c)) <= rules.burstWindowSeconds).map((o) => o.link)).size < rules.burstLinks,
    );
    const humanOpens = list.filter((e) => e.type === 'open' && !flagActivity('open', e, rules));
    if (humanOpens.length || humanClicks.length) engaged.set(campaignId, new Set([...(engaged.get(campaignId) ?? []), contactId]));
    if (humanOpens.length)
      push(contactId, { at: Math.min(...humanOpens.map(sec)) * 1000, campaignId, points: 2, handRaise: contactMe(contactId) });
    for (const link of new Set(humanClicks.map((c) => c.link))) {
      const first = humanClicks.filter((c) => c.link === link).sort((a, b) => sec(a) - sec(b))[0]!;
      const intent = first.linkTags?.intent?.[0];
      push(contactId, {
        at: sec(first) * 1000,
        campaignId,
        points: 6 + (intent === 'pricing' ? 4 : 0),
        handRaise: intent === 'contact-sales' || contactMe(contactId),
      });
    }
  }
  for (const e of apiEvents)
    push(e.contactId, {
      at: Date.parse(e.at),
      campaignId: e.campaignId,
      points: e.type === 'webinar-attended' ? 5 : 0,
      handRaise: contactMe(e.contactId),
    });

  const halfLife = 0.5 * 86_400_000;
  const outcome = new Map<string, { campaignId?: string; handRaiser: boolean }>();
  for (const [contactId, list] of acts) {
    const contact = contacts.get(contactId);
    if (!contact || !fitsByHand(contact)) continue;
    const sorted = [...list].sort((a, b) => a.at - b.at);
    for (const a of sorted) {
      const score = sorted.filter((b) => b.at <= a.at).reduce((s, b) => s + b.points * 0.5 ** ((a.at - b.at) / halfLife), 0);
      if (a.handRaise || score >= 12 - 1e-9) {
        outcome.set(contactId, { campaignId: a.campaignId, handRaiser: a.handRaise });
        break;
      }
    }
  }
  return { outcome, engaged };
}

describe('backtest', () => {
  it('answers per campaign what an independent evaluation of the same fixture answers', async () => {
    const random = prng(11);
    const industries = ['Software', 'Financial Services', 'Retail', 'Healthcare'];
    const contacts = new Map<string, Contact>();
    for (let i = 0; i < RECIPIENTS; i++) {
      contacts.set(`ct_${i}`, {
        contactId: `ct_${i}`,
        email: random() < 0.1 ? `p${i}@mail.example` : `p${i}@co${i % 50}.example`,
        industry: industries[Math.floor(random() * 4)],
        seniority: ladder[Math.floor(random() * 7)],
        contactMe: random() < 0.05,
        country: 'DE',
        consent: true,
        createdAt: '',
        updatedAt: '',
      });
    }
    // Two campaigns; every contact received one of them, a third received both.
    const tag = (e: EngagementEvent): EngagementEvent => {
      if (e.type !== 'click' || e.linkTags) return e;
      if (e.link!.endsWith('/demo')) return { ...e, linkTags: { intent: ['contact-sales'] } };
      if (e.link!.endsWith('/pricing')) return { ...e, linkTags: { intent: ['pricing'] } };
      return e;
    };
    const second = generateEventLog({ recipients: RECIPIENTS, campaigns: 2, seed: 19 })
      .filter((e) => Number(e.contactId.slice(3)) % 3 === 0)
      .map((e) => {
        const moved = { ...e, campaignId: e.campaignId === 'cmp_0' ? 'cmp_1' : 'cmp_0', messageId: `${e.messageId}-b` };
        moved.key = shortHash([moved.type, moved.messageId, moved.at, moved.link ?? '', moved.userAgent ?? ''].join('|'), 16);
        return moved;
      });
    const log = [...generateEventLog({ recipients: RECIPIENTS, campaigns: 2, seed: 7 }), ...second].map(tag);

    const clock = { now: () => new Date('2026-03-20T00:00:00Z') };
    const campaign = (id: string) =>
      ({
        campaignId: id,
        name: id,
        criteriaId: 'crit_live',
        links: {},
        status: 'sent',
        createdAt: '2026-03-02T14:00:00.000Z',
      }) as unknown as Campaign;
    const engagement = new MemoryEngagementStore();
    const deps: QualifyDeps & { engagement: MemoryEngagementStore } = {
      contacts: {
        get: async (id: string) => contacts.get(id),
        getMany: async (ids: string[]) => ids.flatMap((id) => (contacts.has(id) ? [contacts.get(id)!] : [])),
      } as never,
      campaigns: { get: async (id: string) => (['cmp_0', 'cmp_1'].includes(id) ? campaign(id) : undefined) } as never,
      profiles: { get: async () => undefined } as never,
      criteria: new MemoryCriteria(),
      activities: new MemoryActivities(),
      leads: new MemoryLeads(),
      routing: new MemoryRouting(),
      events: { leadQualified: async () => {} },
      clock,
      rules,
      defaultOwner: 'sales@acme.example',
      engagement,
    };
    // Live criteria (the basic rule) record the log and make today's MQLs; sales works some of them.
    await createCriteria(deps, { name: 'live' }, { criteriaId: 'crit_live' });
    await publishCriteria(deps, 'crit_live');
    const listener = qualificationListener(deps);
    const shuffled = shuffle(log, prng(5));
    for (let i = 0, n = 0; i < shuffled.length; i += 100) {
      await recordEngagement(
        { store: engagement, clock, rules, inFlightGraceMs: 60_000, newDeltaId: () => `d${++n}`, listener },
        shuffled.slice(i, i + 100).map((event, j) => ({ messageId: `m${i + j}`, event })),
      );
    }
    const apiEvents = Array.from({ length: 80 }, (_, k) => ({
      contactId: `ct_${(k * 7) % RECIPIENTS}`,
      type: k % 4 ? 'webinar-attended' : 'whitepaper-downloaded',
      at: new Date(Date.parse('2026-03-02T20:00:00Z') + k * 600_000).toISOString(),
      ...(k % 2 ? { campaignId: `cmp_${k % 4 === 1 ? 0 : 1}` } : {}),
    }));
    for (const [k, { contactId, ...e }] of apiEvents.entries())
      await recordEngagementEvent(deps, contactId, { ...e, eventId: `e${k}`, historical: true });
    const leads = deps.leads as MemoryLeads;
    expect(leads.leads.size).toBeGreaterThan(20);
    for (const [k, id] of [...leads.leads.keys()].entries()) {
      if (k % 3 === 0) await leadFeedback(deps, id, { action: 'accept' });
      if (k % 3 === 1) await leadFeedback(deps, id, { action: 'reject', reason: 'not-a-fit' });
    }

    await createCriteria(deps, { name: 'placeholder' }, { criteriaId: 'crit_new' });
    await editDraft(deps, 'crit_new', draft);
    const result = await backtestCriteria(deps, 'crit_new', { campaignIds: ['cmp_0', 'cmp_1'], monthlyTarget: 50, monthlyVolume: 10_000 });

    const { outcome, engaged } = independent(
      log,
      apiEvents.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
      contacts,
    );
    for (const id of ['cmp_0', 'cmp_1']) {
      const mine = [...outcome].filter(([, o]) => o.campaignId === id).map(([c]) => c);
      const row = result.campaigns.find((c) => c.campaignId === id)!;
      expect(row).toEqual({
        campaignId: id,
        name: id,
        delivered: recount(log, id, rules).delivered,
        engagedContacts: engaged.get(id)!.size,
        wouldQualify: mine.length,
        handRaisers: mine.filter((c) => outcome.get(c)!.handRaiser).length,
        mqlsToday: mine.filter((c) => leads.leads.has(c)).length,
        acceptedBySales: mine.filter((c) => leads.leads.has(c) && acceptedStages.includes(leads.leads.get(c)!.stage)).length,
        currentMqls: [...leads.leads.values()].filter((l) => l.campaignId === id).length,
      });
      expect(row.wouldQualify).toBeGreaterThan(5);
      expect(row.handRaisers).toBeGreaterThan(0);
    }
    const total = result.totals;
    expect(total.wouldQualify).toBe([...outcome.values()].filter((o) => o.campaignId === 'cmp_0' || o.campaignId === 'cmp_1').length);
    const rate = total.wouldQualify / total.delivered;
    expect(result.forecast).toEqual({
      monthlyTarget: 50,
      mqlsPerDelivered: rate,
      monthlyVolume: 10_000,
      volumeSource: 'given',
      projectedMqlsPerMonth: Math.round(rate * 10_000 * 10) / 10,
      enough: rate * 10_000 >= 50,
      volumeNeeded: Math.ceil(50 / rate),
    });
  });

  it('refuses unknown campaigns and versions by name', async () => {
    const deps = {
      criteria: new MemoryCriteria(),
      campaigns: { get: async () => undefined },
      clock: { now: () => new Date() },
    } as unknown as Parameters<typeof backtestCriteria>[0];
    await createCriteria(deps, { name: 'x' }, { criteriaId: 'c' });
    await expect(backtestCriteria(deps, 'c', { campaignIds: ['cmp_x'] })).rejects.toThrow(/unknown campaigns: cmp_x/);
    await expect(backtestCriteria(deps, 'c', { campaignIds: ['cmp_x'], version: 3 })).rejects.toThrow(/no version 3/);
    await expect(backtestCriteria(deps, 'nope', { campaignIds: ['cmp_x'] })).rejects.toThrow(/does not exist/);
    await expect(backtestCriteria(deps, 'c', { campaignIds: [] })).rejects.toThrow(/invalid backtest request/);
  });
});
