import { describe, expect, it } from 'vitest';
import type { Campaign } from '../../lib/sending/campaign';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import { computeMetrics } from '../../lib/engagement/metrics';
import type { EngagementEvent } from '../../lib/engagement/ses-event';
import type { CampaignStore, SendLedger } from '../../lib/sending/ports';
import type { ContactStore } from '../../lib/contacts/ports';
import type { EngagementStore } from '../../lib/engagement/ports';
import type { LeadStore } from '../../lib/qualification/ports';
import type { ReportStore } from '../../lib/reports/ports';
import { eraseContact } from '../../lib/contacts/personal-data';
import { recordEngagement } from '../../lib/engagement/record-engagement';
import { MemoryEngagementStore } from '../support/memory-engagement-store';
import { MemoryActivities } from '../support/memory-qualification';

/**
 * Erasure seals a recipient without touching the campaign's counters, even when the recipient holds
 * a change no delta item counted yet (a batch that crashed between its two writes): the usual
 * recovery still counts that change exactly once, and no replayed event counts again.
 */
const GRACE_MS = 60_000;
const sentAt = '2026-03-02T14:00:00.000Z';
const event = (contactId: string, type: EngagementEvent['type'], seconds: number): EngagementEvent => ({
  key: `${contactId}-${type}-${seconds}`,
  type,
  campaignId: 'cmp_1',
  contactId,
  messageId: `m-${contactId}`,
  sentAt,
  at: new Date(Date.parse(sentAt) + seconds * 1000).toISOString(),
  userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0',
  ...(type === 'click' ? { link: 'https://acme.example/pricing' } : {}),
});
const log = ['ct_a', 'ct_b'].flatMap((id) => [
  event(id, 'send', 0),
  event(id, 'delivery', 2),
  event(id, 'open', 600),
  event(id, 'click', 620),
]);

function setup() {
  const clock = {
    ms: Date.parse('2026-03-05T00:00:00Z'),
    now() {
      return new Date(this.ms);
    },
  };
  const memory = new MemoryEngagementStore();
  let crashNextDelta = false;
  const store: EngagementStore = Object.assign(Object.create(memory), {
    putDelta: async (d: Parameters<EngagementStore['putDelta']>[0]) => {
      if (crashNextDelta) {
        crashNextDelta = false;
        throw Object.assign(new Error('injected crash'), { retryable: true });
      }
      return memory.putDelta(d);
    },
  });
  let n = 0;
  const record = (events: EngagementEvent[]) =>
    recordEngagement(
      { store, clock, rules: defaultMachineRules, inFlightGraceMs: GRACE_MS, newDeltaId: () => `d_${(clock.ms + n++).toString(36)}` },
      events.map((e, i) => ({ messageId: `q${i}`, event: e })),
    );
  const campaign = { campaignId: 'cmp_1', name: 'c', subject: 's', links: { x: 'https://acme.example/pricing' } } as unknown as Campaign;
  const erase = (contactId: string) =>
    eraseContact(
      {
        contacts: {
          erase: async () => 'erased',
          get: async (id: string) => ({ contactId: id, email: `${id}@northwind.example` }),
        } as unknown as ContactStore,
        campaigns: { list: async () => ({ items: [campaign] }) } as unknown as CampaignStore,
        engagement: store,
        ledger: { records: async () => new Map(), forget: async () => {} } as unknown as SendLedger,
        leads: { anonymise: async () => false, listByCampaign: async () => ({ items: [] }) } as unknown as LeadStore,
        activities: new MemoryActivities(),
        clock,
        rules: defaultMachineRules,
        reports: { list: async () => [] } as unknown as ReportStore,
        deadLetters: { put: async () => {}, redactBodies: async () => 0 },
      },
      contactId,
    );
  const figures = async () => {
    const m = computeMetrics((await memory.campaignCounters('cmp_1')).counters);
    return { sent: m.sent, delivered: m.delivered, opens: m.uniqueOpens, clicks: m.uniqueClicks, totalClicks: m.totalClicks };
  };
  return { clock, memory, record, erase, figures, crash: () => (crashNextDelta = true) };
}

const truth = { sent: 2, delivered: 2, opens: 2, clicks: 2, totalClicks: 2 };

describe('erasing a contact', () => {
  it('leaves the campaign figures as they were, and a replay of every event counts nothing more', async () => {
    const { record, erase, figures, memory } = setup();
    await record(log);
    expect(await figures()).toEqual(truth);
    const result = await erase('ct_a');
    expect(result).toMatchObject({ campaigns: 1, firstErasure: true });
    expect(memory.recipients.get('cmp_1|ct_a')!.state).toMatchObject({ opens: [], clicks: [], seen: [], erasedAt: expect.any(String) });
    await record(log);
    await record([...log, event('ct_a', 'click', 900)]); // a late, new click too
    expect(await figures()).toEqual(truth);
  });

  it('keeps a change no delta counted yet (a crashed batch) and the recovery counts it exactly once', async () => {
    const { record, erase, figures, clock, memory, crash } = setup();
    crash();
    const first = await record(log); // recipients written, the campaign delta lost
    expect(first.failedMessageIds).toHaveLength(log.length);
    expect(await figures()).toEqual({ sent: 0, delivered: 0, opens: 0, clicks: 0, totalClicks: 0 });
    await erase('ct_a');
    expect(Object.keys(memory.recipients.get('cmp_1|ct_a')!.pending)).toHaveLength(1); // kept by the seal
    clock.ms += GRACE_MS + 1;
    await record(log); // SQS brings the failed messages back
    expect(await figures()).toEqual(truth);
    clock.ms += GRACE_MS + 1;
    await record(log);
    expect(await figures()).toEqual(truth);
    expect(memory.recipients.get('cmp_1|ct_a')!.pending).toEqual({});
  });

  it('seals against a concurrent writer without losing its change', async () => {
    const { record, erase, figures, memory } = setup();
    await record(log.filter((e) => e.type === 'send' || e.type === 'delivery'));
    // The erasure reads the recipient, then an engagement batch writes it before the seal lands.
    const original = memory.getRecipients.bind(memory);
    let raced = false;
    memory.getRecipients = async (refs) => {
      const result = await original(refs);
      if (!raced && refs.some((r) => r.contactId === 'ct_a')) {
        raced = true;
        await record(log.filter((e) => e.contactId === 'ct_a' && (e.type === 'open' || e.type === 'click')));
      }
      return result;
    };
    await erase('ct_a');
    memory.getRecipients = original;
    expect(memory.recipients.get('cmp_1|ct_a')!.state.erasedAt).toEqual(expect.any(String));
    await record(log);
    const m = await figures();
    expect(raced).toBe(true);
    expect(m).toEqual(truth);
  });
});
