import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCampaignStore } from '../../adapters/dynamodb/campaign-store';
import { DynamoContactStore } from '../../adapters/dynamodb/contact-store';
import { DynamoSendLedger } from '../../adapters/dynamodb/send-ledger';
import { DynamoSendProgressStore } from '../../adapters/dynamodb/send-progress-store';
import { contactIds } from '../../lib/common/ids';
import { importSuppressions, updateContact } from '../../lib/contacts/consent';
import { importContacts } from '../../lib/contacts/contacts';
import { audienceSchema, normaliseAudience } from '../../lib/sending/audience';
import type { Campaign } from '../../lib/sending/campaign';
import { sendingProgress } from '../../lib/sending/campaign-stats';
import type { OutgoingMessage, SendJob, SendOutcome } from '../../lib/sending/ports';
import type { SendDeps } from '../../lib/sending/send-deps';
import { startSend } from '../../lib/sending/send-control';
import { handleSendJob } from '../../lib/sending/send-job';
import { startDynamo } from '../support/dynamo';

const ids = contactIds('a-test-secret-of-at-least-32-characters');
const contactIdFor = (email: string) => ids.idFor(email);

/**
 * Consent withdrawn while a campaign is sending (issue 15): by import, by PATCH (the use case the
 * route calls) and by a suppression list, between the pages of a send in progress. The contact must
 * not be mailed, and the exclusion is counted once with its reason.
 */
let dynamo: Awaited<ReturnType<typeof startDynamo>>;
beforeAll(async () => {
  dynamo = await startDynamo('consent-send-test');
});
afterAll(async () => dynamo.stop());

const emailsOf = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}@northwind.example`);

async function setup(campaignId: string, emails: string[], notImported: string[] = []) {
  const clock = { now: () => new Date() };
  const contacts = new DynamoContactStore(dynamo.db, dynamo.tableName);
  const campaigns = new DynamoCampaignStore(dynamo.db, dynamo.tableName);
  await importContacts({ contacts, clock, ids }, [...emails.map((email) => ({ email, firstName: 'Ann', consent: true }))]);
  const campaign: Campaign = {
    campaignId,
    name: 'consent',
    subject: 'Hi {{firstName}}',
    fromAddress: 'news@acme.example',
    htmlTemplate: '<p>{{firstName}}</p>',
    textTemplate: '{{firstName}}',
    profileId: 'icp',
    status: 'draft',
    profileVersion: 1,
    createdAt: new Date().toISOString(),
    links: {},
    audience: normaliseAudience(
      audienceSchema.parse({ kind: 'list', emails: [...emails, ...notImported] }),
      new Map([...emails, ...notImported].map((e) => [e, ids.idFor(e)])),
    ),
    fallbacks: {},
  };
  await campaigns.create(campaign);
  const accepted: OutgoingMessage[] = [];
  const queue: SendJob[] = [];
  const deps: SendDeps = {
    campaigns,
    contacts,
    clock,
    ledger: new DynamoSendLedger(dynamo.db, dynamo.tableName),
    progress: new DynamoSendProgressStore(dynamo.db, dynamo.tableName),
    limiter: { reserve: async () => 0 },
    sendRate: async () => 1000,
    engagement: { getRecipients: async () => new Map() },
    queue: { enqueue: async (jobs) => void queue.push(...jobs) },
    mail: {
      maxBatch: 50,
      async sendBatch(messages: OutgoingMessage[]): Promise<SendOutcome[]> {
        accepted.push(...messages);
        return messages.map((_, i) => ({ ok: true, messageId: `m-${accepted.length}-${i}` }));
      },
    },
    unsubscribe: { baseUrl: 'https://api.acme.example/u', mailto: 'unsub@acme.example', secret: 'x'.repeat(40) },
    sleep: async () => {},
    random: () => 0.5,
    recipientsPerJob: 2,
    fanoutPageSize: 4,
  };
  /** Runs the next queued message of this kind (fan-out pages and send jobs interleave on the queue). */
  const runNext = async (kind: SendJob['kind']) => {
    const i = queue.findIndex((j) => j.kind === kind);
    if (i < 0) return false;
    await handleSendJob(deps, queue.splice(i, 1)[0]!);
    return true;
  };
  const drain = async () => {
    while (queue.length) await handleSendJob(deps, queue.shift()!);
  };
  return { deps, contacts, campaigns, clock, accepted, queue, runNext, drain, start: () => startSend(deps, campaignId) };
}

describe('consent withdrawn during a send', () => {
  it('excludes a contact withdrawn by import, by PATCH or suppressed by list from the remaining pages, counted by reason', async () => {
    const emails = emailsOf('inflight', 12); // three pages of four, jobs of two
    const s = await setup('cmp_consent_inflight', emails);
    await s.start();
    // Every page resolved: all twelve are mailable when their jobs are queued.
    while (await s.runNext('fanout'));
    // Page 1 is mailed; then, before the jobs of pages 2 and 3 run, consent changes.
    for (let i = 0; i < 2; i++) await s.runNext('send');
    expect(s.accepted.map((m) => m.to).sort()).toEqual(emails.slice(0, 4).sort());

    const byImport = await importContacts({ contacts: s.contacts, clock: s.clock, ids }, [{ email: emails[5], consent: false }]);
    expect(byImport).toMatchObject({ updated: 1, consentWithdrawn: [{ row: 1, contactId: contactIdFor(emails[5]!) }] });
    const byPatch = await updateContact({ contacts: s.contacts, clock: s.clock, ids }, contactIdFor(emails[9]!), { consent: false });
    expect(byPatch).toMatchObject({ consent: false, consentWithdrawnAt: expect.any(String) });
    await importSuppressions({ contacts: s.contacts, clock: s.clock, ids }, [{ email: emails[10], reason: 'complained' }]);
    // Each send job reads its recipients strongly consistently (on AWS a read a moment after the write must see it).
    const reads: ({ consistent?: boolean } | undefined)[] = [];
    const getMany = s.contacts.getMany.bind(s.contacts);
    s.deps.contacts = Object.assign(Object.create(s.contacts), {
      getMany: (ids: string[], options?: { consistent?: boolean }) => {
        reads.push(options);
        return getMany(ids, options);
      },
    });
    await s.drain();
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((o) => o?.consistent === true)).toBe(true);

    const mailed = s.accepted.map((m) => m.to);
    expect(mailed.sort()).toEqual(emails.filter((_, i) => ![5, 9, 10].includes(i)).sort());
    expect(new Set(mailed).size).toBe(mailed.length); // nobody twice
    const campaign = (await s.campaigns.get('cmp_consent_inflight'))!;
    expect(campaign.status).toBe('sent');
    expect(campaign.summary).toMatchObject({ recipients: 12, sent: 9, excludedAtSend: { 'no-consent': 2, complained: 1 } });
    expect(await sendingProgress(s.deps, campaign)).toMatchObject({ sent: 9, remaining: 0, excluded: { 'no-consent': 2, complained: 1 } });
  });

  it('excludes at fan-out a contact who withdrew before their page was resolved, and counts it once', async () => {
    const emails = emailsOf('beforepage', 8);
    const s = await setup('cmp_consent_before_page', emails);
    await s.start();
    await s.runNext('fanout'); // page 1 resolved; page 2 not yet
    await importContacts({ contacts: s.contacts, clock: s.clock, ids }, [{ email: emails[6], consent: false }]);
    await updateContact({ contacts: s.contacts, clock: s.clock, ids }, contactIdFor(emails[1]!), { consent: false });
    await s.drain();
    expect(s.accepted.map((m) => m.to).sort()).toEqual(emails.filter((_, i) => i !== 1 && i !== 6).sort());
    const campaign = (await s.campaigns.get('cmp_consent_before_page'))!;
    // emails[6] excluded when page 2 was resolved; emails[1] at send time (page 1 was resolved before): each once.
    expect(campaign.summary).toMatchObject({ recipients: 7, sent: 6, excluded: { 'no-consent': 1 }, excludedAtSend: { 'no-consent': 1 } });
  });

  it('replays: the same withdrawal imported twice, and the send messages delivered twice, still mail nobody twice and withdrawn nobody', async () => {
    const emails = emailsOf('replay', 6);
    const s = await setup('cmp_consent_replay', emails);
    await s.start();
    while (await s.runNext('fanout'));
    const row = [{ email: emails[3], consent: false }];
    const first = await importContacts({ contacts: s.contacts, clock: s.clock, ids }, row);
    const again = await importContacts({ contacts: s.contacts, clock: s.clock, ids }, row);
    expect(first.consentWithdrawn).toHaveLength(1);
    expect(again.consentWithdrawn).toEqual([]); // nothing left to withdraw
    const copies = [...s.queue];
    await Promise.all(copies.map((job) => handleSendJob(s.deps, job)));
    await s.drain();
    await Promise.all(copies.map((job) => handleSendJob(s.deps, job))); // late duplicates
    const mailed = s.accepted.map((m) => m.to).sort();
    expect(mailed).toEqual(emails.filter((_, i) => i !== 3).sort());
    const campaign = (await s.campaigns.get('cmp_consent_replay'))!;
    expect(campaign.summary).toMatchObject({ sent: 5, excludedAtSend: { 'no-consent': 1 } });
  });

  it('never mails an address suppressed by a list before it was ever imported, even when it is imported later with consent', async () => {
    const emails = emailsOf('listed', 3);
    const crmOnly = 'crm.only@northwind.example';
    const s = await setup('cmp_consent_crm_only', emails, [crmOnly]);
    expect(
      await importSuppressions({ contacts: s.contacts, clock: s.clock, ids }, [{ email: crmOnly, reason: 'unsubscribed' }]),
    ).toMatchObject({
      created: 1,
    });
    await importContacts({ contacts: s.contacts, clock: s.clock, ids }, [{ email: crmOnly, firstName: 'Crm', consent: true }]);
    await s.start();
    await s.drain();
    expect(s.accepted.map((m) => m.to).sort()).toEqual([...emails].sort());
    const campaign = (await s.campaigns.get('cmp_consent_crm_only'))!;
    expect(campaign.summary).toMatchObject({ recipients: 3, sent: 3, excluded: { unsubscribed: 1 } });
    expect(campaign.summary?.excluded['not-found']).toBeUndefined();
  });
});
