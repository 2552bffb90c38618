import { describe, expect, it } from 'vitest';
import type { Campaign } from '../../lib/sending/campaign';
import type { Contact } from '../../lib/contacts/contact';
import { composeMessage, untrackLinks } from '../../lib/sending/compose-message';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import { computeMetrics } from '../../lib/engagement/metrics';
import type { EngagementEvent } from '../../lib/engagement/ses-event';
import { recordEngagement } from '../../lib/engagement/record-engagement';
import type { Lead } from '../../lib/qualification/lead';
import { createCriteria, publishCriteria } from '../../lib/qualification/manage-criteria';
import { qualificationListener, type QualifyDeps } from '../../lib/qualification/qualify';
import { isUnderBaseUrl, pipelineLinks } from '../../lib/common/own-links';
import { shortHash } from '../../lib/common/ids';
import { SesPlayback } from '../../infra/local/ses-playback';
import { MemoryEngagementStore } from '../support/memory-engagement-store';
import { MemoryActivities, MemoryCriteria, MemoryLeads, MemoryRouting } from '../support/memory-qualification';

const base = 'https://api.acme.example/unsubscribe';
const sentAt = '2026-03-02T14:00:00.000Z';
const person = 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0';
const scanner = 'Mozilla/5.0 (compatible; Barracuda Sentinel)';

const contact = (contactId: string): Contact => ({
  contactId,
  email: `${contactId}@northwind.example`,
  firstName: 'Dana',
  company: 'Northwind',
  industry: 'Software',
  consent: true,
  createdAt: '',
  updatedAt: '',
});

describe("the pipeline's own links", () => {
  it('are the unsubscribe base URL and anything under it, nothing else', () => {
    expect(isUnderBaseUrl(`${base}/tok.sig`, base)).toBe(true);
    expect(isUnderBaseUrl(`${base}/tok.sig?x=1#y`, base)).toBe(true);
    expect(isUnderBaseUrl(`${base}/preferences/tok`, `${base}/`)).toBe(true);
    expect(isUnderBaseUrl('https://api.acme.example/unsubscribe-me', base)).toBe(false);
    expect(isUnderBaseUrl('https://evil.example/unsubscribe/tok', base)).toBe(false);
    expect(isUnderBaseUrl('http://api.acme.example/unsubscribe/tok', base)).toBe(false);
    expect(isUnderBaseUrl('not a url', base)).toBe(false);
  });

  it('carry ses:no-track at compose time, in either quote style; other links stay trackable', () => {
    const ours = pipelineLinks(base);
    expect(untrackLinks(`<a href="${base}/t">u</a><a href='${base}/p'>p</a><a href="https://acme.example/x">x</a>`, ours)).toBe(
      `<a ses:no-track href="${base}/t">u</a><a ses:no-track href='${base}/p'>p</a><a href="https://acme.example/x">x</a>`,
    );
    expect(untrackLinks(`<a ses:no-track href="${base}/t">u</a>`, ours)).toBe(`<a ses:no-track href="${base}/t">u</a>`);
  });

  it('so a composed message reaches the recipient with its unsubscribe link untracked and the others tracked', async () => {
    const campaign = {
      campaignId: 'cmp_1',
      subject: 'Q3',
      fromAddress: 'news@acme.example',
      htmlTemplate: '<p><a href="https://acme.example/pricing">Pricing</a> <a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
      textTemplate: 'Unsubscribe: {{unsubscribeUrl}}',
      fallbacks: {},
    } as unknown as Campaign;
    const message = composeMessage({ baseUrl: base, mailto: 'u@acme.example', secret: 's'.repeat(32) }, campaign, contact('ct_1'));
    const unsubscribeUrl = /href="([^"]+)">Unsubscribe/.exec(message.html)![1]!;
    expect(message.html).toContain(`<a ses:no-track href="${unsubscribeUrl}">`);
    expect(message.text).toBe(`Unsubscribe: ${unsubscribeUrl}`);
    const delivered: string[] = [];
    const playback = new SesPlayback(
      {
        maxBatch: 1,
        send: async (m) => {
          delivered.push(m.html);
          return { messageId: 'ses-1' };
        },
        sendBatch: async () => [],
      },
      { publish: async () => {}, trackingBaseUrl: 'http://127.0.0.1/t', configurationSetName: 'c', clock: { now: () => new Date(sentAt) } },
    );
    await playback.send(message);
    expect(delivered[0]).toContain(`href="${unsubscribeUrl}"`);
    expect(delivered[0]).toContain('href="http://127.0.0.1/t/c/');
  });
});

/** Qualification on memory stores: ICP = industry Software; every contact fits, so any human click makes an MQL. */
async function campaignWorld() {
  const clock = { now: () => new Date('2026-03-03T16:00:00Z') };
  const contacts = new Map(['ct_person', 'ct_unsub', 'ct_scanned'].map((id) => [id, contact(id)]));
  const campaign = {
    campaignId: 'cmp_1',
    name: 'Q3',
    criteriaId: 'crit_icp',
    links: {},
    status: 'sent',
    createdAt: sentAt,
  } as unknown as Campaign;
  const leads: Lead[] = [];
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
    events: { leadQualified: async ({ lead }) => void leads.push(lead) }, // what emails sales
    clock,
    rules: defaultMachineRules,
    defaultOwner: 'sales@acme.example',
  };
  const fit = { rules: [{ name: 'industry', when: { attribute: 'industry', op: 'in', values: ['Software'] }, required: true }] };
  await createCriteria(deps, { name: 'ICP', fit }, { criteriaId: 'crit_icp' });
  await publishCriteria(deps, 'crit_icp');
  const store = new MemoryEngagementStore();
  let n = 0;
  const record = (events: EngagementEvent[]) =>
    recordEngagement(
      {
        store,
        clock,
        rules: defaultMachineRules,
        inFlightGraceMs: 60_000,
        newDeltaId: () => `d${++n}`,
        listener: qualificationListener(deps),
        isOwnLink: pipelineLinks(base),
      },
      events.map((event, i) => ({ messageId: `q${n}-${i}`, event })),
    );
  const outcome = async () => {
    const { counters, linkUrls } = await store.campaignCounters('cmp_1');
    const mqls = await Promise.all([...contacts.keys()].map(async (id) => [id, (await deps.leads.get(id))?.stage ?? null]));
    return { metrics: computeMetrics(counters, linkUrls), mqls, notified: leads.map((l) => l.contactId) };
  };
  return { record, outcome };
}

function event(type: EngagementEvent['type'], contactId: string, seconds: number, link?: string, userAgent = person): EngagementEvent {
  const at = new Date(Date.parse(sentAt) + seconds * 1000).toISOString();
  const e: EngagementEvent = { key: '', type, campaignId: 'cmp_1', contactId, messageId: `m-${contactId}`, sentAt, at, link, userAgent };
  e.key = shortHash([type, e.messageId, at, link ?? '', userAgent].join('|'), 16);
  return e;
}
const unsubscribeOf = (contactId: string) => `${base}/${shortHash(contactId, 10)}.sig`;

describe('a campaign whose unsubscribe link is clicked (tracked and untagged, as on AWS)', () => {
  it('has the same counts, per-link stats, MQLs and sales emails as without those clicks', async () => {
    const baseline = [
      ...['ct_person', 'ct_unsub', 'ct_scanned'].flatMap((id) => [event('send', id, 0), event('delivery', id, 2)]),
      event('open', 'ct_person', 600),
      event('click', 'ct_person', 700, 'https://acme.example/pricing'),
      event('open', 'ct_unsub', 650),
      // A security scanner follows every link of ct_scanned's message at once.
      event('click', 'ct_scanned', 3, 'https://acme.example/pricing', scanner),
      event('click', 'ct_scanned', 3, 'https://acme.example/blog', scanner),
    ];
    const wayOut = [
      event('click', 'ct_unsub', 900, unsubscribeOf('ct_unsub')), // a person leaving: no interest
      event('click', 'ct_unsub', 960, unsubscribeOf('ct_unsub')), // … twice
      event('click', 'ct_person', 7200, unsubscribeOf('ct_person')),
      event('click', 'ct_scanned', 3, unsubscribeOf('ct_scanned'), scanner),
    ];
    const without = await campaignWorld();
    await without.record(baseline);
    const withClicks = await campaignWorld();
    await withClicks.record([...baseline, ...wayOut].reverse());
    await withClicks.record(wayOut); // delivered again: still nothing
    const [a, b] = [await without.outcome(), await withClicks.outcome()];
    expect(b).toEqual(a);
    expect(a.metrics).toMatchObject({ uniqueClicks: 2, totalClicks: 3, human: { uniqueClicks: 1, totalClicks: 1 } });
    expect(a.metrics.links.map((l) => l.url).sort()).toEqual(['https://acme.example/blog', 'https://acme.example/pricing']);
    expect(a.mqls).toEqual([
      ['ct_person', 'mql'],
      ['ct_unsub', null],
      ['ct_scanned', null],
    ]);
    expect(a.notified).toEqual(['ct_person']);
  });
});
