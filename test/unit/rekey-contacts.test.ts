import { describe, expect, it } from 'vitest';
import { contactIds, legacyIdFor } from '../../lib/common/ids';
import { ConflictError } from '../../lib/common/errors';
import type { ContactRekeyStore, LegacyContact } from '../../lib/contacts/ports';
import { rekeyLegacyContacts } from '../../lib/contacts/rekey-contacts';
import type { ReportStore } from '../../lib/reports/ports';
import type { CampaignStore } from '../../lib/sending/ports';

const ids = contactIds('a-test-secret-of-at-least-32-characters');
const live = { contactId: legacyIdFor('lee@northwind.example'), email: 'lee@northwind.example' };
const erased = { contactId: legacyIdFor('gone@northwind.example') };

function world(options: { legacy?: LegacyContact[]; sending?: boolean; objects?: Record<string, string> } = {}) {
  const steps: string[] = [];
  const objects = new Map(Object.entries(options.objects ?? {}));
  const rekey: ContactRekeyStore = {
    async *legacyContacts() {
      yield* options.legacy ?? [live, erased];
    },
    rewrite: async (mapping, o) => {
      steps.push(
        `rewrite ${o.profiles ? 'profiles' : 'records'}${o.dryRun ? ' (dry)' : ''} ${[...mapping].map((e) => e.join('→')).join(',')}`,
      );
      return { scanned: 10, rewritten: 2, alreadyDone: 0 };
    },
    forward: async (from, to) => void steps.push(`forward ${from}→${to}`),
  };
  const reports = {
    list: async () => [...objects.keys()],
    get: async (key: string) => objects.get(key),
    put: async (key: string, body: string) => {
      steps.push(`put ${key}`);
      objects.set(key, body);
    },
    removeEarlierVersions: async (key: string) => void steps.push(`versions ${key}`),
  } as unknown as ReportStore;
  const campaigns = {
    list: async () => ({ items: [{ campaignId: 'cmp_1', status: options.sending ? 'sending' : 'sent' }] }),
  } as unknown as CampaignStore;
  return { steps, objects, deps: { rekey, reports, campaigns, ids } };
}

describe('re-keying legacy contact ids: the mapping and the order', () => {
  it('maps a live contact to its email’s keyed id and a tombstone to the keyed form of its legacy id', async () => {
    const w = world();
    const summary = await rekeyLegacyContacts(w.deps);
    const pairs = `${live.contactId}→${ids.idFor(live.email)},${erased.contactId}→${ids.idForLegacy(erased.contactId)}`;
    // Records, reports, forwardings, then the contacts (the mapping is read from them), then a last sweep.
    expect(w.steps).toEqual([
      `rewrite records ${pairs}`,
      `forward ${ids.idForLegacy(live.contactId)}→${ids.idFor(live.email)}`,
      `rewrite profiles ${pairs}`,
      `rewrite records ${pairs}`,
    ]);
    expect(summary).toEqual({
      dryRun: false,
      contacts: 2,
      erasedContacts: 1,
      itemsRewritten: 6,
      reportObjectsRewritten: 0,
      alreadyDone: 0,
    });
  });

  it('rewrites report objects naming a legacy id, and only those, deleting their earlier versions', async () => {
    const w = world({
      objects: {
        'reports/campaigns/cmp_1/recipients.csv': `contactId,email\n${live.contactId},\n${erased.contactId},\nct2_other,\n`,
        'reports/campaigns/cmp_1/latest.json': '{"json":"reports/campaigns/cmp_1/report.json"}',
        'reports/campaigns/cmp_1/report.pdf': live.contactId,
      },
    });
    const summary = await rekeyLegacyContacts(w.deps);
    expect(summary.reportObjectsRewritten).toBe(1);
    expect(w.objects.get('reports/campaigns/cmp_1/recipients.csv')).toBe(
      `contactId,email\n${ids.idFor(live.email)},\n${ids.idForLegacy(erased.contactId)},\nct2_other,\n`,
    );
    expect(w.steps.filter((s) => !s.startsWith('rewrite') && !s.startsWith('forward'))).toEqual([
      'put reports/campaigns/cmp_1/recipients.csv',
      'versions reports/campaigns/cmp_1/recipients.csv',
    ]);
  });

  it('counts only in a dry run: no forwarding, no report written, no last sweep', async () => {
    const w = world({ objects: { 'reports/campaigns/cmp_1/leads.csv': `contactId\n${live.contactId}\n` }, sending: true });
    const summary = await rekeyLegacyContacts(w.deps, { dryRun: true });
    expect(summary).toMatchObject({ dryRun: true, contacts: 2, reportObjectsRewritten: 1 });
    expect(w.steps.map((s) => s.split(' ').slice(0, 3).join(' '))).toEqual(['rewrite records (dry)', 'rewrite profiles (dry)']);
  });

  it('refuses to start while a campaign is sending, before writing anything', async () => {
    const w = world({ sending: true });
    await expect(rekeyLegacyContacts(w.deps)).rejects.toThrow(ConflictError);
    await expect(rekeyLegacyContacts(w.deps)).rejects.toThrow(/cmp_1 is sending/);
    expect(w.steps).toEqual([]);
  });

  it('does nothing when no contact has a legacy id', async () => {
    const w = world({ legacy: [], sending: true });
    expect(await rekeyLegacyContacts(w.deps)).toMatchObject({ contacts: 0, itemsRewritten: 0 });
    expect(w.steps).toEqual([]);
  });
});
