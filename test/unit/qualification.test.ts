import { describe, expect, it } from 'vitest';
import type { Campaign } from '../../lib/sending/campaign';
import type { Contact } from '../../lib/contacts/contact';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import type { EngagementEvent } from '../../lib/engagement/ses-event';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/common/errors';
import { shortHash } from '../../lib/common/ids';
import type { Lead } from '../../lib/qualification/lead';
import type { MailSender, OutgoingMessage } from '../../lib/sending/ports';
import { createCriteria, editDraft, getCriteria, publishCriteria } from '../../lib/qualification/manage-criteria';
import { recordEngagementEvent } from '../../lib/qualification/record-engagement-event';
import { getLead, leadFeedback } from '../../lib/qualification/lead-feedback';
import { qualificationRates } from '../../lib/qualification/lead-rates';
import { listLeadQueue } from '../../lib/qualification/lead-queue';
import { sendDueFollowUps, sendFollowUp } from '../../lib/qualification/follow-up';
import { addFollowUpHours, speedToLeadByOwner } from '../../lib/qualification/speed-to-lead';
import { CAMPAIGN_NAME_TTL_MS, campaignsReadRecently, notifySales } from '../../lib/qualification/notify-sales';
import { qualificationListener, type QualifyDeps } from '../../lib/qualification/qualify';
import { recordEngagement } from '../../lib/engagement/record-engagement';
import { putRouting } from '../../lib/qualification/manage-routing';
import { prng, shuffle } from '../support/event-log';
import { MemoryEngagementStore } from '../support/memory-engagement-store';
import { MemoryActivities, MemoryCriteria, MemoryLeads, MemoryRouting } from '../support/memory-qualification';

const sentAt = '2026-03-02T14:00:00.000Z';
const human = 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0';
const person = (id: string, extra: Partial<Contact> = {}): Contact => ({
  contactId: id,
  email: `${id}@northwind.example`,
  firstName: 'Dana <b>',
  lastName: 'Lee',
  company: 'Northwind & Sons',
  industry: 'Software',
  role: 'VP Engineering',
  seniority: 'vp',
  country: 'DE',
  companySize: '201-1000',
  consent: true,
  createdAt: '',
  updatedAt: '',
  ...extra,
});
function click(
  contactId: string,
  seconds: number,
  link = 'https://acme.example/pricing',
  extra: Partial<EngagementEvent> = {},
): EngagementEvent {
  const at = new Date(Date.parse(sentAt) + seconds * 1000).toISOString();
  const e: EngagementEvent = {
    key: '',
    type: 'click',
    campaignId: 'cmp_1',
    contactId,
    messageId: `m-${contactId}`,
    sentAt,
    at,
    link,
    userAgent: human,
    ...extra,
  };
  e.key = shortHash(['click', e.messageId, at, link, e.userAgent ?? ''].join('|'), 16);
  return e;
}

class Clock {
  constructor(public ms = Date.parse('2026-03-02T16:00:00Z')) {}
  now = () => new Date(this.ms);
}

/** A small world: memory stores, one campaign on criteria `crit_icp` (published), the listener. */
async function world(options: { contacts?: Contact[]; criteria?: Record<string, unknown> } = {}) {
  const clock = new Clock();
  const contacts = new Map(
    (options.contacts ?? [person('ct_fit'), person('ct_misfit', { industry: 'Retail' })]).map((c) => [c.contactId, c]),
  );
  const campaign = {
    campaignId: 'cmp_1',
    name: 'Q3 <launch>',
    criteriaId: 'crit_icp',
    links: {},
    status: 'sent',
    createdAt: sentAt,
  } as unknown as Campaign;
  const published: Lead[] = [];
  const deps: QualifyDeps = {
    contacts: {
      get: async (id: string) => contacts.get(id),
      getMany: async (ids: string[]) => ids.flatMap((id) => (contacts.has(id) ? [contacts.get(id)!] : [])),
    } as never,
    campaigns: { get: async (id: string) => (id === 'cmp_1' ? campaign : undefined) } as never,
    profiles: { get: async () => undefined } as never,
    criteria: new MemoryCriteria(),
    activities: new MemoryActivities(),
    leads: new MemoryLeads(),
    routing: new MemoryRouting(),
    events: { leadQualified: async ({ lead }) => void published.push(lead) },
    clock,
    rules: defaultMachineRules,
    defaultOwner: 'sales@acme.example',
  };
  await createCriteria(
    deps,
    options.criteria ?? {
      name: 'ICP',
      fit: { rules: [{ name: 'industry', when: { attribute: 'industry', op: 'in', values: ['Software'] }, required: true }] },
    },
    { criteriaId: 'crit_icp' },
  );
  await publishCriteria(deps, 'crit_icp');
  const store = new MemoryEngagementStore();
  const listener = qualificationListener(deps);
  let n = 0;
  const record = (events: EngagementEvent[], l = listener) =>
    recordEngagement(
      { store, clock, rules: defaultMachineRules, inFlightGraceMs: 60_000, newDeltaId: () => `d${++n}`, listener: l },
      events.map((event, i) => ({ messageId: `q${n}-${i}`, event })),
    );
  const sent: OutgoingMessage[] = [];
  const mail: MailSender = {
    send: async (m) => {
      sent.push(m);
      return { messageId: `ses-${sent.length}` };
    },
  };
  const notify = (contactId: string, leadId?: string) =>
    notifySales(
      { leads: deps.leads, contacts: deps.contacts, campaigns: deps.campaigns, mail, clock, from: 'mql@acme.example' },
      contactId,
      leadId,
    );
  return {
    deps,
    clock,
    contacts,
    published,
    record,
    sent,
    notify,
    leads: deps.leads as MemoryLeads,
    activities: deps.activities as MemoryActivities,
  };
}

describe('qualification through the engagement listener', () => {
  it('makes an MQL with the criteria version, scores and reasons in plain words', async () => {
    const w = await world();
    await w.record([click('ct_fit', 600)]);
    const lead = await w.deps.leads.get('ct_fit');
    expect(lead).toMatchObject({
      leadId: 'ld_ct_fit',
      lifecycle: 1,
      campaignId: 'cmp_1',
      criteriaId: 'crit_icp',
      criteriaVersion: 1,
      stage: 'mql',
      owner: 'sales@acme.example',
      routedBy: 'default',
      qualifiedAt: '2026-03-02T14:10:00.000Z',
      fit: { score: 0, threshold: 0 },
      engagement: { score: 10, threshold: 10 },
      handRaiser: false,
      trigger: { kind: 'click', linkUrl: 'https://acme.example/pricing', at: '2026-03-02T14:10:00.000Z' },
    });
    expect(lead!.reasons).toEqual([
      'Fit: industry is Software',
      'Engagement: clicked https://acme.example/pricing at 2026-03-02T14:10:00.000Z (+10)',
      'Engagement score 10 (threshold 10)',
    ]);
    expect(w.published.map((l) => l.leadId)).toEqual(['ld_ct_fit']);
  });

  it('duplicate clicks, shuffled batches and crashed listeners give one MQL, one event and one email', async () => {
    const w = await world({
      contacts: Array.from({ length: 30 }, (_, i) => person(`ct_${i}`, { industry: i % 3 ? 'Software' : 'Retail' })),
    });
    const events = Array.from({ length: 30 }, (_, i) => [
      click(`ct_${i}`, 600 + i),
      click(`ct_${i}`, 900 + i, 'https://acme.example/demo'),
    ]).flat();
    const log = shuffle([...events, ...events, ...events], prng(3));
    let crashes = 0;
    const flaky = qualificationListener(w.deps);
    const crashing = {
      async recipientsChanged(changes: Parameters<typeof flaky.recipientsChanged>[0]) {
        await flaky.recipientsChanged(changes);
        if (crashes++ % 2 === 0) throw Object.assign(new Error('function timed out'), { retryable: true }); // after the lead was made
      },
    };
    for (let i = 0; i < log.length; i += 7) {
      const batch = log.slice(i, i + 7);
      for (let attempt = 0; attempt < 5; attempt++) if (!(await w.record(batch, crashing)).failedMessageIds.length) break;
    }
    expect(w.leads.leads.size).toBe(20);
    expect(new Set(w.published.map((l) => l.leadId)).size).toBe(20);
    expect(w.published).toHaveLength(20);
    // The notifier hears every Lead Qualified event twice, at once.
    await Promise.all(w.published.flatMap((l) => [w.notify(l.contactId, l.leadId), w.notify(l.contactId, l.leadId)]));
    expect(w.sent).toHaveLength(20);
    expect(new Set(w.sent.map((m) => m.tags.leadContactId)).size).toBe(20);
  });

  it('never qualifies on machine clicks: scanner agents, clicks within seconds of sending, link bursts', async () => {
    const w = await world();
    await w.record([click('ct_fit', 3)]);
    await w.record([click('ct_fit', 600, 'https://acme.example/pricing', { userAgent: 'Mozilla/5.0 (compatible; Barracuda Sentinel)' })]);
    await w.record(['a', 'b', 'c'].map((x) => click('ct_fit', 700, `https://acme.example/${x}`)));
    expect(w.leads.leads.size).toBe(0);
    expect(await w.activities.listForContact('ct_fit')).toEqual([]);
  });

  it('a click later found to be part of a link burst stops scoring in the ledger', async () => {
    const w = await world();
    await w.record([click('ct_misfit', 700, 'https://acme.example/a')]);
    expect((await w.activities.listForContact('ct_misfit')).map((a) => a.machine ?? false)).toEqual([false]);
    await w.record(['b', 'c'].map((x) => click('ct_misfit', 701, `https://acme.example/${x}`)));
    expect((await w.activities.listForContact('ct_misfit')).map((a) => [a.linkId !== undefined, a.machine])).toEqual([[true, true]]);
  });

  it("later engagement joins the lead's history and never re-notifies", async () => {
    const w = await world();
    await w.record([click('ct_fit', 600)]);
    await w.record([click('ct_fit', 7200, 'https://acme.example/demo')]);
    expect(w.published).toHaveLength(1);
    const { history } = await getLead(w.deps, 'ct_fit');
    expect(history.map((h) => [h.kind, h.linkUrl, h.afterQualification])).toEqual([
      ['click', 'https://acme.example/pricing', false],
      ['click', 'https://acme.example/demo', true],
    ]);
  });

  it('a rejected lead re-qualifies only after the cool-down, as a new lifecycle with one new email', async () => {
    const w = await world({ criteria: { name: 'ICP', coolDownDays: 30 } });
    await w.record([click('ct_fit', 600)]);
    await w.notify('ct_fit');
    w.clock.ms = Date.parse('2026-03-03T00:00:00Z');
    await leadFeedback(w.deps, 'ct_fit', { action: 'reject', reason: 'bad-timing' });
    await w.record([click('ct_fit', 10 * 86_400, 'https://acme.example/demo')]); // 10 days later: cooling down
    expect((await w.deps.leads.get('ct_fit'))!.stage).toBe('rejected');
    await w.record([click('ct_fit', 40 * 86_400, 'https://acme.example/blog')]); // after 30 days
    const lead = (await w.deps.leads.get('ct_fit'))!;
    expect(lead).toMatchObject({
      leadId: 'ld_ct_fit_2',
      lifecycle: 2,
      stage: 'mql',
      qualifiedAt: new Date(Date.parse(sentAt) + 40 * 86_400_000).toISOString(),
    });
    expect(w.leads.archived.map((l) => [l.leadId, l.stage])).toEqual([['ld_ct_fit', 'rejected']]);
    expect(w.published.map((l) => l.leadId)).toEqual(['ld_ct_fit', 'ld_ct_fit_2']);
    expect(await w.notify('ct_fit', 'ld_ct_fit')).toBe('superseded');
    expect(await w.notify('ct_fit', 'ld_ct_fit_2')).toBe('sent');
    expect(w.sent).toHaveLength(2);
  });

  it('a won lead never qualifies again', async () => {
    const w = await world({ criteria: { name: 'ICP', coolDownDays: 0 } });
    await w.record([click('ct_fit', 600)]);
    await leadFeedback(w.deps, 'ct_fit', { action: 'qualify' });
    await leadFeedback(w.deps, 'ct_fit', { action: 'stage', stage: 'won' });
    await w.record([click('ct_fit', 86_400, 'https://acme.example/demo')]);
    expect((await w.deps.leads.get('ct_fit'))!).toMatchObject({ lifecycle: 1, stage: 'won' });
  });
});

describe('routing picks the right owner', () => {
  it("the contact's owner first, then the territory's team in turns, then the default inbox", async () => {
    const contacts = [
      person('ct_owned', { owner: 'ana@acme.example', country: 'DE' }),
      person('ct_de1', { country: 'DE' }),
      person('ct_de2', { country: 'DE' }),
      person('ct_de3', { country: 'DE' }),
      person('ct_apac', { country: 'JP', region: 'APAC' }),
      person('ct_br', { country: 'BR' }),
    ];
    const w = await world({ contacts });
    await putRouting(w.deps, {
      territories: [
        { name: 'DACH', countries: ['de', 'AT', 'CH'], team: 'emea' },
        { name: 'Asia-Pacific', regions: ['apac'], team: 'apac' },
      ],
      teams: { emea: { members: ['eva@acme.example', 'emil@acme.example'] }, apac: { members: ['aki@acme.example'] } },
      defaultInbox: 'leads@acme.example',
    });
    for (const [i, c] of contacts.entries()) await w.record([click(c.contactId, 600 + i)]);
    const owners = Object.fromEntries(
      await Promise.all(contacts.map(async (c) => [c.contactId, (await w.deps.leads.get(c.contactId))!.owner])),
    );
    expect(owners).toEqual({
      ct_owned: 'ana@acme.example',
      ct_de1: 'eva@acme.example',
      ct_de2: 'emil@acme.example',
      ct_de3: 'eva@acme.example',
      ct_apac: 'aki@acme.example',
      ct_br: 'leads@acme.example',
    });
    expect((await w.deps.leads.get('ct_de1'))!).toMatchObject({ routedBy: 'territory', territory: 'DACH' });
    await w.notify('ct_owned');
    expect(w.sent[0]!.to).toBe('ana@acme.example');
  });

  it('reads the rules once per batch, in turns still; a failed read is read again by the next lead, whose change is retried', async () => {
    const contacts = ['ct_a', 'ct_b', 'ct_c', 'ct_d'].map((id) => person(id, { country: 'DE' }));
    const w = await world({ contacts });
    await putRouting(w.deps, {
      territories: [{ name: 'DACH', countries: ['DE'], team: 'emea' }],
      teams: { emea: { members: ['eva@acme.example', 'emil@acme.example'] } },
    });
    const routing = w.deps.routing as MemoryRouting;
    const realGet = routing.get.bind(routing);
    let reads = 0;
    let failNext = false;
    routing.get = async () => {
      reads++;
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('injected throttling'), { name: 'ProvisionedThroughputExceededException' });
      }
      return realGet();
    };
    await w.record([click('ct_a', 600), click('ct_b', 601)]);
    expect(reads).toBe(1);
    expect([(await w.deps.leads.get('ct_a'))!.owner, (await w.deps.leads.get('ct_b'))!.owner].sort()).toEqual([
      'emil@acme.example',
      'eva@acme.example',
    ]);

    failNext = true;
    const outcome = await w.record([click('ct_c', 602), click('ct_d', 603)]);
    expect(reads).toBe(3); // the failed read, then one read for the rest of the batch
    expect(await w.deps.leads.get('ct_c')).toBeUndefined(); // its change comes back, to be retried
    expect((await w.deps.leads.get('ct_d'))!.owner).toBe('eva@acme.example');
    expect(outcome.failedMessageIds).toHaveLength(1); // ct_c's click comes back to its queue
    await w.record([click('ct_c', 602)]);
    expect((await w.deps.leads.get('ct_c'))!.owner).toBe('emil@acme.example');
  });

  it('refuses a territory that names no team', async () => {
    const w = await world();
    await expect(putRouting(w.deps, { territories: [{ name: 'x', countries: ['DE'], team: 'ghosts' }] })).rejects.toThrow(ValidationError);
  });
});

describe('criteria versions', () => {
  it('drafts are edited, published versions never change, and qualification uses the latest version', async () => {
    const w = await world();
    await editDraft(w.deps, 'crit_icp', { name: 'ICP v2', engagement: { humanClick: 5, threshold: 10 } }, { revision: 1 });
    expect((await w.deps.criteria.getVersion('crit_icp', 1))!.document.name).toBe('ICP');
    await expect(editDraft(w.deps, 'crit_icp', { name: 'stale' }, { revision: 1 })).rejects.toThrow(ConflictError);
    const v2 = await publishCriteria(w.deps, 'crit_icp');
    expect(v2).toMatchObject({ published: true, version: { version: 2 } });
    expect(await publishCriteria(w.deps, 'crit_icp')).toMatchObject({ published: false, version: { version: 2 } });
    expect((await getCriteria(w.deps, 'crit_icp')).versions.map((v) => [v.version, v.name])).toEqual([
      [1, 'ICP'],
      [2, 'ICP v2'],
    ]);
    expect(await w.deps.criteria.putVersion({ ...(await w.deps.criteria.getVersion('crit_icp', 1))!, document: v2.version.document })).toBe(
      false,
    );
    // Under v2 one click (5) is not enough; two are.
    await w.record([click('ct_fit', 600)]);
    expect(w.leads.leads.size).toBe(0);
    await w.record([click('ct_fit', 900, 'https://acme.example/demo')]);
    expect((await w.deps.leads.get('ct_fit'))!).toMatchObject({ criteriaVersion: 2, engagement: { score: 10 } });
  });
});

describe('engagement events posted through the API', () => {
  const criteria = {
    name: 'Events',
    engagement: { humanClick: 10, events: { 'webinar-attended': 10, 'pricing-page-viewed': 5 }, threshold: 20 },
    handRaiser: { events: ['trial-started'] },
  };

  it('scores with SES clicks across campaigns, once per event id', async () => {
    const w = await world({ criteria });
    await w.record([click('ct_fit', 600)]);
    expect(w.leads.leads.size).toBe(0);
    const post = { type: 'webinar-attended', at: '2026-03-02T15:00:00Z', eventId: 'zoom-123', campaignId: 'cmp_1' };
    expect(await recordEngagementEvent(w.deps, 'ct_fit', post)).toMatchObject({
      recorded: true,
      qualification: 'qualified',
      lead: { leadId: 'ld_ct_fit' },
    });
    expect(await recordEngagementEvent(w.deps, 'ct_fit', post)).toMatchObject({ recorded: false, qualification: 'already-lead' });
    expect((await w.deps.leads.get('ct_fit'))!).toMatchObject({
      trigger: { kind: 'event', eventType: 'webinar-attended' },
      engagement: { score: 20 },
    });
    expect(w.published).toHaveLength(1);
  });

  it('with no campaign uses the default criteria; a hand-raising event qualifies on fit alone', async () => {
    const w = await world({ criteria });
    const r = await recordEngagementEvent(w.deps, 'ct_fit', { type: 'trial-started', at: '2026-03-02T15:00:00Z' });
    expect(r.qualification).toBe('qualified');
    const lead = (await w.deps.leads.get('ct_fit'))!;
    expect(lead.campaignId).toBeUndefined();
    expect(lead.handRaiser).toBe(true);
    await w.notify('ct_fit');
    expect(w.sent[0]!.subject).toBe('Hand-raiser: Dana <b> Lee (Northwind & Sons)');
    expect(w.sent[0]!.text).toContain('Campaign: none (engagement posted through the API)');
  });

  it('refuses bad input with a clear error', async () => {
    const w = await world({ criteria });
    await expect(recordEngagementEvent(w.deps, 'ct_nobody', { type: 'webinar-attended' })).rejects.toThrow(NotFoundError);
    await expect(recordEngagementEvent(w.deps, 'ct_fit', { type: 'Webinar Attended' })).rejects.toThrow(ValidationError);
    await expect(recordEngagementEvent(w.deps, 'ct_fit', { type: 'webinar-attended', at: '2027-01-01T00:00:00Z' })).rejects.toThrow(
      /in the future/,
    );
    await expect(recordEngagementEvent(w.deps, 'ct_fit', { type: 'webinar-attended', campaignId: 'cmp_404' })).rejects.toThrow(
      /campaign cmp_404 does not exist/,
    );
    await expect(recordEngagementEvent(w.deps, 'ct_fit', { type: 'webinar-attended', extra: 1 })).rejects.toThrow(ValidationError);
    expect(w.activities.items.size).toBe(0);
  });
});

describe('the sales notification', () => {
  it("reads a campaign once for a burst of its leads' emails; a rename shows after a minute; a failed read is read again", async () => {
    const clock = new Clock();
    let campaign = { campaignId: 'cmp_1', name: 'Q3 launch' } as Campaign;
    let reads = 0;
    let failNext = false;
    const campaigns = campaignsReadRecently(
      {
        get: async (id: string) => {
          reads++;
          if (failNext) {
            failNext = false;
            throw new Error('injected: read failed');
          }
          return id === 'cmp_1' ? campaign : undefined;
        },
      },
      clock,
    );
    const names = await Promise.all(Array.from({ length: 5 }, () => campaigns.get('cmp_1').then((c) => c?.name)));
    expect(names).toEqual(Array(5).fill('Q3 launch'));
    expect(reads).toBe(1);
    campaign = { ...campaign, name: 'Q3 launch (EMEA)' };
    clock.ms += CAMPAIGN_NAME_TTL_MS;
    expect((await campaigns.get('cmp_1'))?.name).toBe('Q3 launch');
    clock.ms += 1;
    expect((await campaigns.get('cmp_1'))?.name).toBe('Q3 launch (EMEA)');
    expect(reads).toBe(2);
    clock.ms += CAMPAIGN_NAME_TTL_MS + 1;
    failNext = true;
    await expect(campaigns.get('cmp_1')).rejects.toThrow(/injected/);
    expect((await campaigns.get('cmp_1'))?.name).toBe('Q3 launch (EMEA)');
    expect(reads).toBe(4);
  });

  it('says who, why, what they clicked, which campaign and how to give feedback, escaped in HTML', async () => {
    const w = await world();
    await w.record([click('ct_fit', 600)]);
    expect(await w.notify('ct_fit')).toBe('sent');
    expect(await w.notify('ct_fit')).toBe('already-notified');
    const m = w.sent[0]!;
    expect(m.subject).toBe('New MQL: Dana <b> Lee (Northwind & Sons)');
    expect(m.text).toContain('Clicked: clicked https://acme.example/pricing at 2026-03-02T14:10:00.000Z');
    expect(m.text).toContain('Campaign: Q3 <launch> (cmp_1)');
    expect(m.text).toContain('Criteria: crit_icp v1');
    expect(m.text).toContain('Why:\n- Fit: industry is Software');
    expect(m.text).toContain('mql lead accept ct_fit');
    expect(m.html).toContain('Dana &lt;b&gt; Lee at Northwind &amp; Sons');
    expect(m.html).toContain('Q3 &lt;launch&gt; (cmp_1)');
    expect(m.html).not.toMatch(/<b>|<launch>/);
  });

  it('renders the same email, line for line, for a given lead (a click from a campaign; a hand-raiser routed by territory)', async () => {
    const leads = new MemoryLeads();
    const base: Pick<Lead, 'lifecycle' | 'criteriaId' | 'criteriaVersion' | 'profileId' | 'profileVersion' | 'stage' | 'stageHistory'> = {
      lifecycle: 1,
      criteriaId: 'crit_icp',
      criteriaVersion: 3,
      profileId: 'crit_icp',
      profileVersion: 3,
      stage: 'mql',
      stageHistory: [],
    };
    await leads.createIfAbsent({
      ...base,
      leadId: 'ld_ct_click',
      contactId: 'ct_click',
      campaignId: 'cmp_1',
      qualifiedAt: '2026-03-02T14:10:00.000Z',
      reasons: [
        'Fit: industry is Software',
        'Engagement: clicked https://acme.example/pricing at 2026-03-02T14:10:00.000Z (+10)',
        'Engagement score 10 (threshold 10)',
      ],
      fit: { score: 5, threshold: 0, matched: [] },
      engagement: { score: 10, threshold: 10, contributions: [] },
      handRaiser: false,
      trigger: {
        kind: 'click',
        linkUrl: 'https://acme.example/pricing',
        intent: 'pricing',
        clickedAt: '2026-03-02T14:10:00.000Z',
        at: '2026-03-02T14:10:00.000Z',
      },
      owner: 'sales@acme.example',
      routedBy: 'default',
    });
    await leads.createIfAbsent({
      ...base,
      leadId: 'ld_ct_event',
      contactId: 'ct_event',
      qualifiedAt: '2026-03-02T15:00:00.000Z',
      reasons: [],
      fit: { score: 12, threshold: 10, matched: [] },
      engagement: { score: 0, threshold: 20, contributions: [] },
      handRaiser: true,
      trigger: { kind: 'event', eventType: 'trial-started', clickedAt: '2026-03-02T15:00:00.000Z', at: '2026-03-02T15:00:00.000Z' },
      owner: 'eva@acme.example',
      routedBy: 'territory',
      territory: 'DACH',
    });
    const contacts: Record<string, Contact> = {
      ct_click: { ...person('ct_click'), email: 'dana@northwind.example' },
      ct_event: {
        contactId: 'ct_event',
        email: 'no.name@contoso.example',
        country: 'AT',
        region: 'EMEA "central"',
        consent: true,
        createdAt: '',
        updatedAt: '',
      },
    };
    const campaign = { campaignId: 'cmp_1', name: 'Q3 <launch>' } as Campaign;
    const sent: OutgoingMessage[] = [];
    const deps = {
      leads,
      contacts: { get: async (id: string) => contacts[id] } as never,
      campaigns: { get: async (id: string) => (id === 'cmp_1' ? campaign : undefined) } as never,
      mail: {
        send: async (m: OutgoingMessage) => {
          sent.push(m);
          return { messageId: `ses-${sent.length}` };
        },
      },
      clock: new Clock(),
      from: 'mql@acme.example',
    };
    await notifySales(deps, 'ct_click');
    await notifySales(deps, 'ct_event');
    const feedback = (id: string, encode: (s: string) => string) => [
      'Tell us what you make of it:',
      `  accept:  mql lead accept ${id}   (you will follow it up: SAL)`,
      `  qualify: mql lead qualify ${id}  (a real opportunity: SQL)`,
      `  reject:  mql lead reject ${id} --reason ${encode('<not-a-fit|no-budget|no-authority|no-need|bad-timing|…>')}`,
      `  later:   mql lead stage ${id} meeting|proposal|won|lost`,
      `  (API: POST /leads/${id}/feedback)`,
    ];
    const asText = (s: string) => s;
    const asHtml = (s: string) => s.replace('<', '&lt;').replace('>', '&gt;');
    expect(sent[0]).toEqual({
      from: 'mql@acme.example',
      to: 'sales@acme.example',
      subject: 'New MQL: Dana <b> Lee (Northwind & Sons)',
      text: [
        'New marketing-qualified lead: Dana <b> Lee at Northwind & Sons',
        '',
        'Name: Dana <b> Lee',
        'Email: dana@northwind.example',
        'Role: VP Engineering (vp)',
        'Company: Northwind & Sons',
        'Company size: 201-1000',
        'Industry: Software',
        'Country: DE',
        'Campaign: Q3 <launch> (cmp_1)',
        'Clicked: clicked https://acme.example/pricing (intent pricing) at 2026-03-02T14:10:00.000Z',
        'Scores: fit 5 (threshold 0), engagement 10 (threshold 10)',
        'Criteria: crit_icp v3',
        'Routed: default',
        'Lead: ld_ct_click',
        '',
        'Why:',
        '- Fit: industry is Software',
        '- Engagement: clicked https://acme.example/pricing at 2026-03-02T14:10:00.000Z (+10)',
        '- Engagement score 10 (threshold 10)',
        '',
        ...feedback('ct_click', asText),
      ].join('\n'),
      html: [
        '<h2>New marketing-qualified lead: Dana &lt;b&gt; Lee at Northwind &amp; Sons</h2>',
        '<table>',
        '<tr><th align="left">Name</th><td>Dana &lt;b&gt; Lee</td></tr>',
        '<tr><th align="left">Email</th><td>dana@northwind.example</td></tr>',
        '<tr><th align="left">Role</th><td>VP Engineering (vp)</td></tr>',
        '<tr><th align="left">Company</th><td>Northwind &amp; Sons</td></tr>',
        '<tr><th align="left">Company size</th><td>201-1000</td></tr>',
        '<tr><th align="left">Industry</th><td>Software</td></tr>',
        '<tr><th align="left">Country</th><td>DE</td></tr>',
        '<tr><th align="left">Campaign</th><td>Q3 &lt;launch&gt; (cmp_1)</td></tr>',
        '<tr><th align="left">Clicked</th><td>clicked https://acme.example/pricing (intent pricing) at 2026-03-02T14:10:00.000Z</td></tr>',
        '<tr><th align="left">Scores</th><td>fit 5 (threshold 0), engagement 10 (threshold 10)</td></tr>',
        '<tr><th align="left">Criteria</th><td>crit_icp v3</td></tr>',
        '<tr><th align="left">Routed</th><td>default</td></tr>',
        '<tr><th align="left">Lead</th><td>ld_ct_click</td></tr>',
        '</table>',
        '<h3>Why</h3><ul>',
        '<li>Fit: industry is Software</li>',
        '<li>Engagement: clicked https://acme.example/pricing at 2026-03-02T14:10:00.000Z (+10)</li>',
        '<li>Engagement score 10 (threshold 10)</li>',
        '</ul>',
        `<pre>${feedback('ct_click', asHtml).join('\n')}</pre>`,
      ].join('\n'),
      headers: {},
      tags: { leadCampaignId: 'cmp_1', leadContactId: 'ct_click', kind: 'mql-notification' },
    });
    expect(sent[1]).toEqual({
      from: 'mql@acme.example',
      to: 'eva@acme.example',
      subject: 'Hand-raiser: no.name@contoso.example',
      text: [
        'Hand-raiser: no.name@contoso.example',
        '',
        'Name: no.name@contoso.example',
        'Email: no.name@contoso.example',
        'Country: AT / EMEA "central"',
        'Campaign: none (engagement posted through the API)',
        'Trigger: trial-started at 2026-03-02T15:00:00.000Z',
        'Scores: fit 12 (threshold 10), engagement 0 (threshold 20)',
        'Criteria: crit_icp v3',
        'Routed: territory DACH',
        'Lead: ld_ct_event',
        '',
        'Why:',
        '',
        ...feedback('ct_event', asText),
      ].join('\n'),
      html: [
        '<h2>Hand-raiser: no.name@contoso.example</h2>',
        '<table>',
        '<tr><th align="left">Name</th><td>no.name@contoso.example</td></tr>',
        '<tr><th align="left">Email</th><td>no.name@contoso.example</td></tr>',
        '<tr><th align="left">Country</th><td>AT / EMEA &quot;central&quot;</td></tr>',
        '<tr><th align="left">Campaign</th><td>none (engagement posted through the API)</td></tr>',
        '<tr><th align="left">Trigger</th><td>trial-started at 2026-03-02T15:00:00.000Z</td></tr>',
        '<tr><th align="left">Scores</th><td>fit 12 (threshold 10), engagement 0 (threshold 20)</td></tr>',
        '<tr><th align="left">Criteria</th><td>crit_icp v3</td></tr>',
        '<tr><th align="left">Routed</th><td>territory DACH</td></tr>',
        '<tr><th align="left">Lead</th><td>ld_ct_event</td></tr>',
        '</table>',
        '<h3>Why</h3><ul>',
        '</ul>',
        `<pre>${feedback('ct_event', asHtml).join('\n')}</pre>`,
      ].join('\n'),
      headers: {},
      tags: { leadContactId: 'ct_event', kind: 'mql-notification' },
    });
  });

  it('releases the claim when SES fails, so the retry sends exactly once', async () => {
    const w = await world();
    await w.record([click('ct_fit', 600)]);
    let attempts = 0;
    const mail: MailSender = {
      send: async () => {
        if (++attempts === 1) throw Object.assign(new Error('throttled'), { retryable: true });
        return { messageId: 'ok' };
      },
    };
    const deps = {
      leads: w.deps.leads,
      contacts: w.deps.contacts,
      campaigns: w.deps.campaigns,
      mail,
      clock: w.clock,
      from: 'mql@acme.example',
    };
    await expect(notifySales(deps, 'ct_fit')).rejects.toThrow('throttled');
    expect(await notifySales(deps, 'ct_fit')).toBe('sent');
    expect(await notifySales(deps, 'ct_fit')).toBe('already-notified');
    expect(attempts).toBe(2);
  });

  it('never mails twice when SES took the email but recording it fails', async () => {
    const w = await world();
    await w.record([click('ct_fit', 600)]);
    let sends = 0;
    let markFailures = 0;
    const mail: MailSender = { send: async () => ({ messageId: `m${++sends}` }) };
    const leads = Object.assign(Object.create(w.deps.leads) as typeof w.deps.leads, {
      markNotified: async () => {
        markFailures++;
        throw Object.assign(new Error('throttled'), { retryable: true });
      },
    });
    const deps = { leads, contacts: w.deps.contacts, campaigns: w.deps.campaigns, mail, clock: w.clock, from: 'mql@acme.example' };
    expect(await notifySales(deps, 'ct_fit')).toBe('sent-unrecorded');
    expect(markFailures).toBeGreaterThan(1); // retried before giving up
    expect(await notifySales(deps, 'ct_fit')).toBe('already-notified'); // a duplicate event
    expect(sends).toBe(1);
  });
});

describe('sales feedback: MQL → SAL → SQL, reject, recycle, reopen; the rates', () => {
  it('moves forward only, repeats harmlessly, and goes back only when explicitly reopened', async () => {
    const w = await world({ contacts: [person('ct_a'), person('ct_b'), person('ct_c'), person('ct_d')] });
    await w.record(['ct_a', 'ct_b', 'ct_c', 'ct_d'].map((id, i) => click(id, 600 + i)));
    const fb = (id: string, body: unknown) => leadFeedback(w.deps, id, body);
    expect((await fb('ct_a', { action: 'accept', by: 'eva@acme.example' })).lead.stage).toBe('sal');
    expect((await fb('ct_a', { action: 'accept' })).changed).toBe(false);
    await expect(fb('ct_a', { action: 'stage', stage: 'meeting' })).rejects.toThrow(/qualify it \(SQL\) before meeting/);
    expect((await fb('ct_a', { action: 'qualify' })).lead.stage).toBe('sql');
    expect((await fb('ct_a', { action: 'qualify' })).changed).toBe(false);
    expect((await fb('ct_a', { action: 'accept' })).changed).toBe(false); // never backwards by itself
    expect((await fb('ct_a', { action: 'stage', stage: 'proposal' })).lead.stage).toBe('proposal');
    await expect(fb('ct_a', { action: 'stage', stage: 'meeting' })).rejects.toThrow(/only move forward/);
    await expect(fb('ct_a', { action: 'reject', reason: 'no-budget' })).rejects.toThrow(/mark it lost/);
    expect((await fb('ct_a', { action: 'reopen', stage: 'meeting', reason: 'proposal withdrawn' })).lead.stage).toBe('meeting');
    expect((await fb('ct_a', { action: 'stage', stage: 'won' })).lead.stage).toBe('won');
    await expect(fb('ct_a', { action: 'stage', stage: 'lost' })).rejects.toThrow(/closed/);
    await expect(fb('ct_a', { action: 'recycle', reason: 'stalled' })).rejects.toThrow(/won/);

    expect((await fb('ct_b', { action: 'reject', reason: 'no-budget', note: 'next year' })).lead).toMatchObject({
      stage: 'rejected',
      rejectionReason: 'no-budget',
    });
    expect((await fb('ct_b', { action: 'reject', reason: 'no-budget' })).changed).toBe(false);
    await expect(fb('ct_b', { action: 'accept' })).rejects.toThrow(/reopen/);
    expect((await fb('ct_b', { action: 'recycle', reason: 'nurture for next year' })).lead).toMatchObject({ stage: 'recycled' });
    expect((await fb('ct_b', { action: 'reopen', stage: 'mql', reason: 'budget found' })).lead).toMatchObject({ stage: 'mql' });
    expect((await w.deps.leads.get('ct_b'))!.closedAt).toBeUndefined();
    // A SAL can be rejected; an MQL qualified directly is accepted at the same moment.
    await fb('ct_c', { action: 'accept' });
    expect((await fb('ct_c', { action: 'reject', reason: 'student' })).lead.stage).toBe('rejected');
    const direct = (await fb('ct_d', { action: 'qualify' })).lead;
    expect(direct.stageHistory.map((s) => s.stage)).toEqual(['mql', 'sal', 'sql']);
    expect(direct.stageHistory[1]!.at).toBe(direct.stageHistory[2]!.at);
    await expect(fb('ct_d', { action: 'accept', leadId: 'ld_ct_d_7' })).rejects.toThrow(/current lead is ld_ct_d/);
    await expect(fb('ct_d', { action: 'reject', reason: 'because' })).rejects.toThrow(ValidationError);
    await expect(fb('ct_nobody', { action: 'accept' })).rejects.toThrow(NotFoundError);
    expect((await w.deps.leads.get('ct_a'))!.stageHistory.map((s) => s.stage)).toEqual(['mql', 'sal', 'sql', 'proposal', 'meeting', 'won']);
  });

  it('an MQL that cannot be lost; a recycled lead re-qualifies only after the cool-down, as a new lifecycle', async () => {
    const w = await world();
    await w.record([click('ct_fit', 600)]);
    await expect(leadFeedback(w.deps, 'ct_fit', { action: 'stage', stage: 'lost' })).rejects.toThrow(/rejected, with a reason/);
    await leadFeedback(w.deps, 'ct_fit', { action: 'accept' });
    await leadFeedback(w.deps, 'ct_fit', { action: 'recycle', reason: 'stalled, no answer' });
    w.clock.ms += 10 * 86_400_000;
    await w.record([click('ct_fit', 11 * 86_400)]); // inside the 90-day cool-down: nothing
    expect((await w.deps.leads.get('ct_fit'))!.leadId).toBe('ld_ct_fit');
    w.clock.ms += 90 * 86_400_000;
    await w.record([click('ct_fit', 101 * 86_400, 'https://acme.example/again')]);
    expect((await w.deps.leads.get('ct_fit'))!).toMatchObject({ leadId: 'ld_ct_fit_2', lifecycle: 2, stage: 'mql' });
    expect(w.leads.archived.map((l) => [l.leadId, l.stage])).toEqual([['ld_ct_fit', 'recycled']]);
  });

  it('answers MQL → SAL, SAL → SQL, MQL → SQL and time in stage on a known set of leads (old sql leads included)', async () => {
    const leads = new MemoryLeads();
    const h = (...steps: [string, number][]) =>
      steps.map(([stage, hour]) => ({ stage, at: new Date(Date.UTC(2026, 2, 2, hour)).toISOString() }));
    const mk = (id: string, version: number, stage: string, history: ReturnType<typeof h>, extra: Partial<Lead> = {}) =>
      leads.createIfAbsent({
        leadId: `ld_${id}`,
        contactId: id,
        lifecycle: 1,
        campaignId: 'cmp_r',
        criteriaId: 'crit_r',
        criteriaVersion: version,
        profileId: 'crit_r',
        profileVersion: version,
        qualifiedAt: history[0]!.at,
        stage,
        stageHistory: history,
        ...extra,
      } as Lead);
    await mk('ct_1', 1, 'sql', h(['mql', 0], ['sal', 2], ['sql', 6])); // 2 h in MQL, 4 h in SAL
    await mk('ct_2', 1, 'sql', h(['mql', 0], ['sql', 10])); // stored before SAL: accepted at 10, 0 h in SAL
    await mk('ct_3', 1, 'sal', h(['mql', 0], ['sal', 4])); // 4 h in MQL
    await mk('ct_4', 2, 'rejected', h(['mql', 0], ['rejected', 1]), { rejectionReason: 'no-need' });
    await mk('ct_5', 2, 'rejected', h(['mql', 0], ['sal', 8], ['rejected', 9]), { rejectionReason: 'no-budget' }); // 8 h in MQL
    await mk('ct_6', 2, 'mql', h(['mql', 0]), { historical: true });
    await mk('ct_7', 2, 'recycled', h(['mql', 0], ['recycled', 30]));
    await mk('ct_8', 2, 'won', h(['mql', 0], ['sal', 1], ['sql', 3], ['meeting', 5], ['won', 9])); // 1 h, 2 h
    const rates = await qualificationRates({ leads }, ['cmp_r']);
    expect(rates.total).toEqual({
      mqls: 8,
      accepted: 5,
      qualified: 3,
      rejected: 2,
      recycled: 1,
      open: 1,
      historical: 1,
      mqlToSal: 5 / 8,
      salToSql: 3 / 5,
      mqlToSql: 3 / 8,
      rate: 3 / 8,
      medianHoursIn: { mql: 4, sal: 2 }, // MQL: 1, 2, 4, 8, 10; SAL: 0, 2, 4
    });
    expect(rates.byCriteriaVersion.map((r) => [r.version, r.mqls, r.mqlToSal, r.salToSql, r.mqlToSql])).toEqual([
      [1, 3, 1, 2 / 3, 2 / 3],
      [2, 5, 2 / 5, 1 / 2, 1 / 5],
    ]);
    expect(rates.byCampaign[0]).toMatchObject({ campaignId: 'cmp_r', mqls: 8, mqlToSql: 3 / 8 });
    expect(rates.byRejectionReason).toEqual([
      { reason: 'no-need', count: 1, share: 0.5 },
      { reason: 'no-budget', count: 1, share: 0.5 },
    ]);
  });
});

describe('alerts only for fresh interest', () => {
  it('a stale qualification (a late SES event) alerts nobody and still counts as a historical MQL', async () => {
    const w = await world();
    w.clock.ms += 150 * 86_400_000; // the click arrives 150 days after it happened
    await w.record([click('ct_fit', 600)]);
    const lead = (await w.deps.leads.get('ct_fit'))!;
    expect(lead).toMatchObject({ stage: 'mql', historical: true, qualifiedAt: '2026-03-02T14:10:00.000Z' });
    expect(lead.followUp).toBeUndefined();
    expect(await w.notify('ct_fit', lead.leadId)).toBe('historical');
    expect(await w.notify('ct_fit', lead.leadId)).toBe('historical');
    expect(w.sent).toHaveLength(0);
    const rates = await qualificationRates(w.deps, ['cmp_1']);
    expect(rates.total).toMatchObject({ mqls: 1, historical: 1, open: 1 });
  });

  it('a fresh qualification gets a follow-up clock from its routing rule and alerts its owner once', async () => {
    const w = await world();
    await w.record([click('ct_fit', 600)]);
    const lead = (await w.deps.leads.get('ct_fit'))!;
    expect(lead.historical).toBeUndefined();
    expect(lead.followUp).toEqual({
      remindAt: '2026-03-03T04:00:00.000Z', // 12 h (half the default 24 h target) after the lead was made
      dueAt: '2026-03-03T16:00:00.000Z',
      escalateTo: 'sales@acme.example',
      firstOwner: 'sales@acme.example',
    });
    expect(await w.notify('ct_fit', lead.leadId)).toBe('sent');
    expect(w.sent).toHaveLength(1);
  });

  it('manual engagement refuses the future and, without the historical flag, anything older than the window', async () => {
    const w = await world({
      criteria: { name: 'ICP', engagement: { events: { 'webinar-attended': 30 }, threshold: 25 } },
    });
    const old = new Date(w.clock.ms - 73 * 3_600_000).toISOString();
    await expect(recordEngagementEvent(w.deps, 'ct_fit', { type: 'webinar-attended', at: old })).rejects.toThrow(/freshness window/);
    await expect(
      recordEngagementEvent(w.deps, 'ct_fit', { type: 'webinar-attended', at: new Date(w.clock.ms + 3_600_000).toISOString() }),
    ).rejects.toThrow(/in the future/);
    const r = await recordEngagementEvent(w.deps, 'ct_fit', { type: 'webinar-attended', at: old, historical: true });
    expect(r.qualification).toBe('qualified');
    expect((await w.deps.leads.get('ct_fit'))!.historical).toBe(true);
  });
});

describe('speed to lead: a reminder at the first mark, an escalation at the target, each sent once', () => {
  async function followUpWorld(rules: Record<string, unknown>) {
    const w = await world({ contacts: [person('ct_fit', { country: 'DE' }), person('ct_b', { country: 'DE' })] });
    await putRouting(w.deps, rules);
    const sent: OutgoingMessage[] = [];
    const mail: MailSender = {
      send: async (m) => {
        sent.push(m);
        return { messageId: `fu-${sent.length}` };
      },
    };
    const run = () => sendDueFollowUps({ leads: w.leads, mail, clock: w.clock, from: 'mql@acme.example' });
    return { ...w, followUps: sent, run };
  }
  const dach = {
    territories: [{ name: 'DACH', countries: ['DE'], team: 'emea' }],
    teams: { emea: { members: ['eva@acme.example', 'emil@acme.example'] } },
    followUp: { targetHours: 8, managerInbox: 'boss@acme.example' },
  };

  it('reminds the owner, then escalates to the next member of the team; replays, duplicate runs and a replayed clock send nothing more', async () => {
    const w = await followUpWorld(dach);
    await w.record([click('ct_fit', 600)]);
    const lead = (await w.deps.leads.get('ct_fit'))!;
    expect(lead).toMatchObject({ owner: 'eva@acme.example', followUp: { escalateTo: 'emil@acme.example' } });
    expect(await w.run()).toMatchObject({ sent: 0 }); // nothing due yet
    w.clock.ms += 4 * 3_600_000; // the first mark: half of 8 h
    await Promise.all([w.run(), w.run()]); // a duplicated scheduled run
    expect(w.followUps.map((m) => [m.to, m.subject.split(':')[0]])).toEqual([['eva@acme.example', 'Reminder']]);
    w.clock.ms -= 3_600_000; // a replayed clock
    await w.run();
    w.clock.ms += 5 * 3_600_000; // the target
    await w.run();
    await w.run();
    expect(w.followUps.map((m) => [m.to, m.subject.split(':')[0]])).toEqual([
      ['eva@acme.example', 'Reminder'],
      ['emil@acme.example', 'Escalated'],
    ]);
    expect((await w.deps.leads.get('ct_fit'))!).toMatchObject({
      owner: 'emil@acme.example',
      followUp: { firstOwner: 'eva@acme.example', remindedAt: expect.any(String), escalatedAt: expect.any(String) },
    });
    // Replaying the due entries themselves (a duplicated message) sends nothing.
    const due = { contactId: 'ct_fit', leadId: lead.leadId, at: lead.followUp!.dueAt };
    for (const kind of ['reminder', 'escalation'] as const) {
      expect(
        await sendFollowUp(
          { leads: w.leads, mail: { send: async () => ({ messageId: 'x' }) }, clock: w.clock, from: 'x' },
          { ...due, kind },
        ),
      ).toBe('already-sent');
    }
    expect(w.followUps).toHaveLength(2);
    expect(w.leads.due.size).toBe(0);
  });

  it('a lead sales accepts in time is never reminded or escalated; it counts as accepted within target', async () => {
    const w = await followUpWorld(dach);
    await w.record([click('ct_fit', 600)]);
    w.clock.ms += 3_600_000;
    await leadFeedback(w.deps, 'ct_fit', { action: 'accept' });
    w.clock.ms += 48 * 3_600_000;
    expect(await w.run()).toMatchObject({ sent: 0, answered: 2 });
    expect(w.followUps).toHaveLength(0);
    const lead = (await w.deps.leads.get('ct_fit'))!;
    expect(speedToLeadByOwner([lead])).toEqual([
      { owner: 'eva@acme.example', mqls: 1, acceptedWithinTarget: 1, shareWithinTarget: 1, medianHoursToAccept: 1 },
    ]);
  });

  it('a crash after SES took the reminder and before it was recorded never mails twice; an SES failure is retried by the next run', async () => {
    const w = await followUpWorld({ followUp: { targetHours: 2, managerInbox: 'boss@acme.example' } });
    await w.record([click('ct_fit', 600)]);
    w.clock.ms += 3_600_000;
    w.leads.markFollowUpFails = 10; // SES takes it; recording fails every time
    expect(await w.run()).toMatchObject({ 'sent-unrecorded': 1 });
    expect(await w.run()).toMatchObject({ 'already-sent': 1 }); // the claim holds: no second email
    expect(w.followUps).toHaveLength(1);

    const x = await followUpWorld({ followUp: { targetHours: 2, managerInbox: 'boss@acme.example' } });
    await x.record([click('ct_fit', 600)]);
    x.clock.ms += 2 * 3_600_000; // reminder and escalation both due
    const failing: MailSender = { send: async () => Promise.reject(new Error('throttled')) };
    const failed: string[] = [];
    // Each failure is reported and the run goes on to the next follow-up.
    const run = await sendDueFollowUps({
      leads: x.leads,
      mail: failing,
      clock: x.clock,
      from: 'x',
      onFailure: (due, error) => failed.push(`${due.kind}: ${(error as Error).message}`),
    });
    expect(run).toMatchObject({ failed: 2, sent: 0 });
    expect(failed.sort()).toEqual(['escalation: throttled', 'reminder: throttled']);
    await x.run();
    await x.run();
    expect(x.followUps.map((m) => m.to).sort()).toEqual(['boss@acme.example', 'sales@acme.example']);
  });

  it('counts only business hours when the rule says so', () => {
    // Friday 15:00 UTC + 4 business hours (9–17) = Monday 11:00 UTC.
    expect(addFollowUpHours(new Date('2026-03-06T15:00:00Z'), 4, { startHour: 9, endHour: 17 }).toISOString()).toBe(
      '2026-03-09T11:00:00.000Z',
    );
    expect(addFollowUpHours(new Date('2026-03-07T20:00:00Z'), 24).toISOString()).toBe('2026-03-08T20:00:00.000Z');
  });
});

describe("sales's queue", () => {
  it("lists a campaign's leads by stage, owner and overdue", async () => {
    const w = await world({ contacts: [person('ct_a'), person('ct_b'), person('ct_c')] });
    await w.record(['ct_a', 'ct_b', 'ct_c'].map((id, i) => click(id, 600 + i)));
    await leadFeedback(w.deps, 'ct_a', { action: 'accept' });
    const q = (query: Record<string, unknown>) =>
      listLeadQueue(w.deps, { campaignId: 'cmp_1', ...query }).then((p) => p.items.map((l) => l.contactId).sort());
    expect(await q({})).toEqual(['ct_a', 'ct_b', 'ct_c']);
    expect(await q({ stage: 'sal' })).toEqual(['ct_a']);
    expect(await q({ owner: 'SALES@acme.example', stage: 'mql' })).toEqual(['ct_b', 'ct_c']);
    expect(await q({ overdue: true })).toEqual([]);
    w.clock.ms += 25 * 3_600_000;
    expect(await q({ overdue: true })).toEqual(['ct_b', 'ct_c']);
    expect(await q({ overdue: false })).toEqual(['ct_a']);
  });
});
