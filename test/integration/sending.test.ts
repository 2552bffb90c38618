import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentSendError } from '../../src/adapters/ses/mail-sender';
import { DynamoCampaignStore } from '../../src/adapters/dynamodb/campaign-store';
import { DynamoContactStore } from '../../src/adapters/dynamodb/contact-store';
import { DynamoSendLedger } from '../../src/adapters/dynamodb/send-ledger';
import type { Campaign } from '../../src/lib/campaign';
import { contactIdFor } from '../../src/lib/ids';
import type { OutgoingMessage, SendJob } from '../../src/lib/ports';
import { importContacts } from '../../src/lib/use-cases/contacts';
import { handleSendJob, type SendDeps } from '../../src/lib/use-cases/send';
import { startDynamo } from '../support/dynamo';

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
beforeAll(async () => {
  dynamo = await startDynamo('send-test');
});
afterAll(async () => dynamo.stop());

async function setup(campaignId: string, emails: string[]) {
  const clock = { now: () => new Date() };
  const contacts = new DynamoContactStore(dynamo.db, dynamo.tableName);
  const campaigns = new DynamoCampaignStore(dynamo.db, dynamo.tableName);
  await importContacts({ contacts, clock }, emails.map((email) => ({ email, firstName: 'Zoë <script>', consent: true })));
  const campaign: Campaign = {
    campaignId, name: 'c', subject: 'Hi {{firstName}}', fromAddress: 'news@acme.example', htmlTemplate: '<p>{{firstName}}</p>',
    textTemplate: '{{firstName}}', profileId: 'icp', status: 'sending', profileVersion: 1, createdAt: new Date().toISOString(), links: {},
    contactIds: emails.map(contactIdFor),
  };
  await campaigns.create(campaign);
  const sent: OutgoingMessage[] = [];
  const queued: SendJob[] = [];
  const deps: SendDeps = {
    campaigns, contacts, clock,
    ledger: new DynamoSendLedger(dynamo.db, dynamo.tableName),
    queue: { enqueue: async (jobs) => void queued.push(...jobs) },
    mail: {
      send: async (m) => {
        if (m.to.startsWith('rejected')) throw new PermanentSendError('SES MessageRejected: bad address');
        sent.push(m);
        return { messageId: `msg-${sent.length}` };
      },
    },
    unsubscribe: { baseUrl: 'https://api.acme.example/u', mailto: 'unsub@acme.example', secret: 'x'.repeat(40) },
    pace: async () => {},
    recipientsPerJob: 2,
    fanoutPageSize: 3,
  };
  return { deps, sent, queued, campaigns, contacts };
}

describe('sending a campaign', () => {
  it('fans out page by page and sends each recipient once, even when every job is delivered twice', async () => {
    const emails = Array.from({ length: 7 }, (_, i) => `r${i}@northwind.example`);
    const { deps, sent, queued, campaigns } = await setup('cmp_twice', emails);
    await handleSendJob(deps, { kind: 'fanout', campaignId: 'cmp_twice' });
    // Play the queue with every message delivered twice.
    while (queued.length) {
      const job = queued.shift()!;
      await handleSendJob(deps, job);
      await handleSendJob(deps, job);
    }
    expect(sent.map((m) => m.to).sort()).toEqual([...emails].sort());
    expect((await campaigns.get('cmp_twice'))?.status).toBe('sent');
    expect(sent[0]!.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(sent[0]!.html).toBe('<p>Zoë &lt;script&gt;</p>');
    expect(sent[0]!.tags).toEqual({ campaignId: 'cmp_twice', contactId: contactIdFor(sent[0]!.to) });
  });

  it('marks a permanently refused recipient failed and goes on with the rest', async () => {
    const { deps, sent } = await setup('cmp_perm', ['rejected@northwind.example', 'ok@northwind.example']);
    expect(await handleSendJob(deps, { kind: 'send', campaignId: 'cmp_perm', contactIds: ['rejected@northwind.example', 'ok@northwind.example'].map(contactIdFor) }))
      .toEqual({ sent: 1, skipped: 0, failed: 1 });
    expect(sent.map((m) => m.to)).toEqual(['ok@northwind.example']);
    // A retry does not try the failed recipient again.
    expect(await handleSendJob(deps, { kind: 'send', campaignId: 'cmp_perm', contactIds: ['rejected@northwind.example'].map(contactIdFor) }))
      .toEqual({ sent: 0, skipped: 1, failed: 0 });
  });

  it('hands a throttled send back for retry and then sends it once', async () => {
    const { deps, sent } = await setup('cmp_throttle', ['t@northwind.example']);
    const real = deps.mail;
    let calls = 0;
    deps.mail = { send: async (m) => (++calls === 1 ? Promise.reject(Object.assign(new Error('TooManyRequests'), { retryable: true })) : real.send(m)) };
    const job: SendJob = { kind: 'send', campaignId: 'cmp_throttle', contactIds: [contactIdFor('t@northwind.example')] };
    await expect(handleSendJob(deps, job)).rejects.toThrow('TooManyRequests');
    await handleSendJob(deps, job);
    await handleSendJob(deps, job);
    expect(sent).toHaveLength(1);
  });

  it('never mails a contact who unsubscribed after the fan-out, nor any contact of a cancelled campaign', async () => {
    const { deps, sent, contacts, campaigns } = await setup('cmp_stop', ['gone@northwind.example', 'stay@northwind.example']);
    await contacts.suppress(contactIdFor('gone@northwind.example'), 'unsubscribed', new Date().toISOString());
    await handleSendJob(deps, { kind: 'send', campaignId: 'cmp_stop', contactIds: [contactIdFor('gone@northwind.example')] });
    expect(sent).toHaveLength(0);
    await campaigns.transition('cmp_stop', ['sending'], 'cancelled');
    await handleSendJob(deps, { kind: 'send', campaignId: 'cmp_stop', contactIds: [contactIdFor('stay@northwind.example')] });
    expect(sent).toHaveLength(0);
  });
});
