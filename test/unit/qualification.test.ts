import { describe, expect, it } from 'vitest';
import type { Campaign } from '../../src/lib/campaign';
import type { Contact } from '../../src/lib/contact';
import { defaultMachineRules } from '../../src/lib/engagement/machine-activity';
import { applyEvent, emptyRecipient } from '../../src/lib/engagement/recipient';
import type { EngagementEvent } from '../../src/lib/engagement/ses-event';
import type { Lead } from '../../src/lib/lead';
import type { LeadStore, MailSender, OutgoingMessage } from '../../src/lib/ports';
import type { IdealCustomerProfile } from '../../src/lib/profile';
import { notifySales } from '../../src/lib/use-cases/notify-sales';
import { qualificationListener } from '../../src/lib/use-cases/react-to-engagement';

class MemoryLeads implements LeadStore {
  leads = new Map<string, Lead & { claimAt?: number }>();
  async createIfAbsent(lead: Lead) {
    if (this.leads.has(lead.contactId)) return false;
    this.leads.set(lead.contactId, structuredClone(lead));
    return true;
  }
  async get(id: string) {
    const l = this.leads.get(id);
    return l ? structuredClone(l) : undefined;
  }
  async listByCampaign(campaignId: string) {
    return { items: [...this.leads.values()].filter((l) => l.campaignId === campaignId) };
  }
  async claimNotification(id: string, at: Date, leaseMs: number) {
    const l = this.leads.get(id)!;
    if (l.notifiedAt || (l.claimAt !== undefined && l.claimAt >= at.getTime() - leaseMs)) return false;
    l.claimAt = at.getTime();
    return true;
  }
  async markNotified(id: string, _m: string, at: string) {
    this.leads.get(id)!.notifiedAt = at;
  }
  async releaseNotification(id: string) {
    delete this.leads.get(id)!.claimAt;
  }
  async markPublished(id: string, at: string) {
    this.leads.get(id)!.publishedAt ??= at;
  }
  async anonymise(id: string, at: string) {
    const l = this.leads.get(id);
    if (!l) return false;
    Object.assign(l, { reasons: [], trigger: { clickedAt: l.trigger.clickedAt }, erasedAt: l.erasedAt ?? at });
    return true;
  }
}

const contact = (id: string, industry: string): Contact => ({
  contactId: id, email: `${id}@northwind.example`, firstName: 'Dana <b>', company: 'Northwind', industry, consent: true,
  role: 'VP Engineering', seniority: 'vp', country: 'DE', createdAt: '', updatedAt: '',
});
const profile: IdealCustomerProfile = { profileId: 'icp_1', version: 3, name: 'ICP', industries: ['Software'], createdAt: '' };
const campaign = { campaignId: 'cmp_1', name: 'Q3', profileId: 'icp_1', profileVersion: 3, links: {} } as unknown as Campaign;
const sentAt = '2026-03-02T14:00:00.000Z';
const click = (contactId: string, seconds: number, key: string, extra: Partial<EngagementEvent> = {}): EngagementEvent => ({
  key, type: 'click', campaignId: 'cmp_1', contactId, messageId: 'm', sentAt, at: new Date(Date.parse(sentAt) + seconds * 1000).toISOString(),
  link: 'https://acme.example/pricing', userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0', ...extra,
});

function setup() {
  const leads = new MemoryLeads();
  const published: Lead[] = [];
  const contacts = new Map([contact('ct_fit', 'Software'), contact('ct_misfit', 'Retail')].map((c) => [c.contactId, c]));
  const clock = { now: () => new Date('2026-03-02T16:00:00Z') };
  const listener = qualificationListener({
    contacts: { getMany: async (ids: string[]) => ids.flatMap((id) => (contacts.has(id) ? [contacts.get(id)!] : [])) } as never,
    campaigns: { get: async () => campaign } as never,
    profiles: { get: async () => profile } as never,
    leads,
    events: { leadQualified: async ({ lead }) => void published.push(lead) },
    clock,
    rules: defaultMachineRules,
    defaultOwner: 'sales@acme.example',
  });
  const changeFor = (events: EngagementEvent[]) => {
    const before = emptyRecipient('cmp_1', events[0]!.contactId);
    const after = events.reduce((s, e) => applyEvent(s, e, defaultMachineRules), before);
    return { before, after, newEvents: events };
  };
  return { leads, published, listener, changeFor, contacts, clock };
}

describe('qualification: a human click by a contact who fits the profile makes one MQL', () => {
  it('makes an MQL with the profile version and reasons in plain words', async () => {
    const { leads, published, listener, changeFor } = setup();
    await listener.recipientsChanged([changeFor([click('ct_fit', 600, 'k1')])]);
    const lead = await leads.get('ct_fit');
    expect(lead).toMatchObject({ campaignId: 'cmp_1', profileId: 'icp_1', profileVersion: 3, stage: 'mql', owner: 'sales@acme.example' });
    expect(lead!.reasons).toEqual(['Fit: industry is Software', 'Engagement: clicked https://acme.example/pricing at 2026-03-02T14:10:00.000Z']);
    expect(published).toHaveLength(1);
  });

  it('makes one MQL and publishes once however often the click is replayed', async () => {
    const { leads, published, listener, changeFor } = setup();
    for (let i = 0; i < 3; i++) await listener.recipientsChanged([changeFor([click('ct_fit', 600, 'k1')])]);
    await listener.recipientsChanged([changeFor([click('ct_fit', 600, 'k1'), click('ct_fit', 900, 'k2')])]);
    expect(leads.leads.size).toBe(1);
    expect(published).toHaveLength(1);
  });

  it('never qualifies on a machine click, nor a contact outside the profile', async () => {
    const { leads, listener, changeFor } = setup();
    await listener.recipientsChanged([changeFor([click('ct_fit', 3, 'scanner')])]);
    await listener.recipientsChanged([changeFor([click('ct_fit', 600, 'bot', { userAgent: 'python-requests/2.31' })])]);
    await listener.recipientsChanged([changeFor([click('ct_misfit', 600, 'k3')])]);
    expect(leads.leads.size).toBe(0);
  });
});

describe('the sales notification: one email per MQL', () => {
  it('sends one escaped email naming who, why and what they clicked; a retry sends nothing', async () => {
    const { leads, listener, changeFor, contacts, clock } = setup();
    await listener.recipientsChanged([changeFor([click('ct_fit', 600, 'k1')])]);
    const sent: OutgoingMessage[] = [];
    const mail: MailSender = { send: async (m) => (sent.push(m), { messageId: `m${sent.length}` }) };
    const deps = { leads, contacts: { get: async (id: string) => contacts.get(id) } as never, campaigns: { get: async () => campaign } as never, mail, clock, from: 'mql@acme.example' };
    expect(await notifySales(deps, 'ct_fit')).toBe('sent');
    expect(await notifySales(deps, 'ct_fit')).toBe('already-notified');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to).toBe('sales@acme.example');
    expect(sent[0]!.html).toContain('Dana &lt;b&gt;');
    expect(sent[0]!.text).toContain('Clicked: https://acme.example/pricing at 2026-03-02T14:10:00.000Z');
    expect(sent[0]!.text).toContain('Criteria: icp_1 v3');
  });

  it('releases the claim when SES fails, so the retry sends exactly once', async () => {
    const { leads, listener, changeFor, contacts, clock } = setup();
    await listener.recipientsChanged([changeFor([click('ct_fit', 600, 'k1')])]);
    let attempts = 0;
    const mail: MailSender = { send: async () => { if (++attempts === 1) throw Object.assign(new Error('throttled'), { retryable: true }); return { messageId: 'ok' }; } };
    const deps = { leads, contacts: { get: async (id: string) => contacts.get(id) } as never, campaigns: { get: async () => campaign } as never, mail, clock, from: 'mql@acme.example' };
    await expect(notifySales(deps, 'ct_fit')).rejects.toThrow('throttled');
    expect(await notifySales(deps, 'ct_fit')).toBe('sent');
    expect(await notifySales(deps, 'ct_fit')).toBe('already-notified');
    expect(attempts).toBe(2);
  });
});
