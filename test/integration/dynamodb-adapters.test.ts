import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCampaignStore } from '../../adapters/dynamodb/campaign-store';
import { DynamoContactStore } from '../../adapters/dynamodb/contact-store';
import { DynamoEngagementStore } from '../../adapters/dynamodb/engagement-store';
import { DynamoLeadStore } from '../../adapters/dynamodb/lead-store';
import { DynamoSendLedger } from '../../adapters/dynamodb/send-ledger';
import { DynamoSendProgressStore } from '../../adapters/dynamodb/send-progress-store';
import type { Contact } from '../../lib/contacts/contact';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import { computeMetrics } from '../../lib/engagement/metrics';
import { contactIds } from '../../lib/common/ids';
import { mapWithConcurrency } from '../../lib/common/concurrency';

const contactIdFor = contactIds('a-test-secret-of-at-least-32-characters').idFor;
import { InvalidCursorError } from '../../lib/common/errors';
import type { Lead } from '../../lib/qualification/lead';
import { recordEngagement } from '../../lib/engagement/record-engagement';
import { startDynamo } from '../support/dynamo';
import { generateEventLog, prng, shuffle } from '../support/event-log';
import { recount } from '../support/recount';

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => dynamo.stop());

const contact = (email: string, extra: Partial<Contact> = {}): Contact => ({
  contactId: contactIdFor(email),
  email,
  consent: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

describe('DynamoDB adapters against dynalite, through the real SDK', () => {
  it('lists every recipient sent to, page by page: recipient items merged with send records that have no item yet', async () => {
    const ledger = new DynamoSendLedger(dynamo.db, dynamo.tableName);
    const engagement = new DynamoEngagementStore(dynamo.db, dynamo.tableName, 200);
    const campaignId = 'cmp_list_merge';
    const ids = Array.from({ length: 1_234 }, (_, i) => `ct_${String(i).padStart(5, '0')}`);
    const at = '2026-03-02T14:00:00.000Z';
    // Every contact but each 7th was sent (the 7th failed); each 3rd sent one has engagement of its own.
    await ledger.recordOutcomes(
      campaignId,
      ids.map((contactId, i) =>
        i % 7 === 0
          ? { contactId, at, state: 'failed' as const, reason: 'MessageRejected' }
          : { contactId, at, state: 'sent' as const, messageId: `m-${contactId}` },
      ),
    );
    const engaged = ids.filter((_, i) => i % 7 !== 0 && i % 3 === 0);
    for (const contactId of engaged) {
      const state = { campaignId, contactId, seen: ['k'], opens: [], clicks: [], sentAt: at, deliveredAt: at };
      expect(await engagement.putRecipient({ state, version: 1, pending: {} }, 0)).toEqual({ written: true });
    }
    const listed: { contactId: string; deliveredAt?: string; sentAt?: string }[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await engagement.listRecipients(campaignId, cursor);
      listed.push(...page.items);
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
    expect(listed.map((r) => r.contactId)).toEqual(ids.filter((_, i) => i % 7 !== 0));
    expect(listed.every((r) => r.sentAt === at)).toBe(true);
    expect(listed.filter((r) => r.deliveredAt).map((r) => r.contactId)).toEqual(engaged);
  });

  it('upserts contacts without clearing consent or suppression, and lists every one through the shards', async () => {
    const store = new DynamoContactStore(dynamo.db, dynamo.tableName);
    const many = Array.from({ length: 120 }, (_, i) => contact(`p${i}@list.example`));
    const none = { erased: [], consentWithdrawn: [], consentNotRestored: [] };
    expect(await store.upsertMany(many)).toEqual({ created: 120, updated: 0, ...none });
    await store.suppress(many[0]!.contactId, 'unsubscribed', '2026-01-02T00:00:00.000Z');
    expect(await store.upsertMany([{ ...many[0]!, consent: false, firstName: 'Again' }])).toEqual({ created: 0, updated: 1, ...none });
    const again = await store.get(many[0]!.contactId);
    expect(again).toMatchObject({ consent: true, suppressed: 'unsubscribed', firstName: 'Again' });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list(cursor, 50);
      seen.push(...page.items.map((c) => c.contactId));
      cursor = page.cursor;
    } while (cursor);
    expect(new Set(seen)).toEqual(new Set(many.map((c) => c.contactId)));
    expect(seen).toHaveLength(120);
  });

  it('erases a contact to a tombstone that is neither listed nor importable, and only once', async () => {
    const store = new DynamoContactStore(dynamo.db, dynamo.tableName);
    const [gone, kept] = [contact('gone@erase.example', { industry: 'Erasure' }), contact('kept@erase.example', { industry: 'Erasure' })];
    await store.upsertMany([{ ...gone, interests: ['x'], owner: 'rep@acme.example' }, kept]);
    await store.recordTransientBounce(gone.contactId, 'msg-1');
    expect(await store.erase(gone.contactId, '2026-02-01T00:00:00.000Z')).toBe('erased');
    expect(await store.erase(gone.contactId, '2026-02-02T00:00:00.000Z')).toBe('already-erased');
    expect(await store.erase('ct_nobody', '2026-02-02T00:00:00.000Z')).toBe('not-found');
    expect(await store.get(gone.contactId)).toEqual({
      contactId: gone.contactId,
      consent: false,
      suppressed: 'erased',
      suppressedAt: '2026-02-01T00:00:00.000Z',
      erasedAt: '2026-02-01T00:00:00.000Z',
      createdAt: gone.createdAt,
      updatedAt: '2026-02-01T00:00:00.000Z',
    });
    expect(await store.upsertMany([gone, { ...kept, firstName: 'Still' }])).toEqual({
      created: 0,
      updated: 1,
      erased: [gone.contactId],
      consentWithdrawn: [],
      consentNotRestored: [],
    });
    expect((await store.get(gone.contactId))?.email).toBeUndefined();
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list(cursor, 100, { industry: 'Erasure' });
      listed.push(...page.items.map((c) => c.contactId));
      cursor = page.cursor;
    } while (cursor);
    expect(listed).toContain(kept.contactId);
    expect(listed).not.toContain(gone.contactId);
  });

  it('moves a campaign state only from the states named', async () => {
    const store = new DynamoCampaignStore(dynamo.db, dynamo.tableName);
    await store.create({
      campaignId: 'cmp_state',
      name: 'n',
      subject: 's',
      fromAddress: 'a@b.example',
      htmlTemplate: 'h',
      textTemplate: 't',
      profileId: 'icp_1',
      status: 'draft',
      profileVersion: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      links: {},
    });
    expect(await store.transition('cmp_state', ['draft'], 'sending')).toBe(true);
    expect(await store.transition('cmp_state', ['draft'], 'sending')).toBe(false);
    expect((await store.get('cmp_state'))?.status).toBe('sending');
  });

  it('pages campaigns with the cursors it issues, and refuses a cursor of another list on every listing', async () => {
    const campaigns = new DynamoCampaignStore(dynamo.db, dynamo.tableName);
    for (const id of ['cmp_page_a', 'cmp_page_b']) {
      await campaigns.create({
        campaignId: id,
        name: 'n',
        subject: 's',
        fromAddress: 'a@b.example',
        htmlTemplate: 'h',
        textTemplate: 't',
        profileId: 'icp_1',
        status: 'draft',
        profileVersion: 1,
        createdAt: '2026-01-02T00:00:00.000Z',
        links: {},
      });
    }
    const first = await campaigns.list(undefined, 1);
    expect(first.cursor).toEqual(expect.any(String));
    const second = await campaigns.list(first.cursor, 1);
    expect(second.items.map((c) => c.campaignId)).not.toEqual(first.items.map((c) => c.campaignId));
    const leads = new DynamoLeadStore(dynamo.db, dynamo.tableName);
    const engagement = new DynamoEngagementStore(dynamo.db, dynamo.tableName);
    await expect(leads.listByCampaign('cmp_page_a', first.cursor)).rejects.toThrow(InvalidCursorError);
    await expect(engagement.listRecipients('cmp_page_a', first.cursor)).rejects.toThrow(InvalidCursorError);
    await expect(campaigns.list('garbage')).rejects.toThrow(InvalidCursorError);
    await expect(leads.listByCampaign('cmp_page_a', 'garbage')).rejects.toThrow(InvalidCursorError);
  });

  it("lets one sender claim a send job, another only after the lease has expired, and keeps each recipient's outcome", async () => {
    const ledger = new DynamoSendLedger(dynamo.db, dynamo.tableName);
    const t0 = new Date('2026-01-01T00:00:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    expect(await ledger.claimJob('cmp_l', '0.0', { token: 'a', at: t0, leaseMs: 60_000 })).toBe('claimed');
    expect(await ledger.claimJob('cmp_l', '0.0', { token: 'b', at: at(1_000), leaseMs: 60_000 })).toBe('busy');
    expect(await ledger.claimJob('cmp_l', '0.0', { token: 'a', at: at(1_000), leaseMs: 60_000 })).toBe('claimed'); // the SDK's retry of a lost answer
    expect(await ledger.claimJob('cmp_l', '0.0', { token: 'c', at: at(62_000), leaseMs: 60_000 })).toBe('taken-over');
    await ledger.releaseJob('cmp_l', '0.0', ['a']); // not the holder's token: nothing changes
    expect(await ledger.claimJob('cmp_l', '0.0', { token: 'd', at: at(63_000), leaseMs: 60_000 })).toBe('busy');
    await ledger.releaseJob('cmp_l', '0.0', ['c']);
    expect(await ledger.claimJob('cmp_l', '0.0', { token: 'e', at: at(63_000), leaseMs: 60_000 })).toBe('claimed');
    const outcomes = Array.from({ length: 30 }, (_, i) => ({
      contactId: `ct_${i}`,
      at: t0.toISOString(),
      state: 'sent' as const,
      messageId: `msg-${i}`,
    }));
    await ledger.recordOutcomes('cmp_l', [
      ...outcomes,
      { contactId: 'ct_x', at: t0.toISOString(), state: 'failed', reason: 'SES MESSAGE_REJECTED' },
    ]);
    const records = await ledger.outcomes('cmp_l', ['ct_0', 'ct_29', 'ct_x', 'ct_none']);
    expect(records).toEqual(
      new Map([
        ['ct_0', { state: 'sent', messageId: 'msg-0' }],
        ['ct_29', { state: 'sent', messageId: 'msg-29' }],
        ['ct_x', { state: 'failed', reason: 'SES MESSAGE_REJECTED' }],
      ]),
    );
  });

  it('hands a claim on to a continuation: taken at once under a handed-over token, never by another copy', async () => {
    const ledger = new DynamoSendLedger(dynamo.db, dynamo.tableName);
    const t0 = new Date('2026-01-01T00:00:00Z');
    expect(await ledger.claimJob('cmp_h', '0.0', { token: 'run-1', at: t0, leaseMs: 60_000 })).toBe('claimed');
    // run-1 handed its token on; the continuation's first claim was throttled, so it hands on both tokens.
    expect(await ledger.claimJob('cmp_h', '0.0', { token: 'copy', at: t0, leaseMs: 60_000 })).toBe('busy'); // a duplicate of run-1's message
    expect(await ledger.claimJob('cmp_h', '0.0', { token: 'run-3', handedOver: ['run-2', 'run-1'], at: t0, leaseMs: 60_000 })).toBe(
      'claimed',
    );
    expect(await ledger.claimJob('cmp_h', '0.0', { token: 'late-copy', handedOver: ['run-2', 'run-1'], at: t0, leaseMs: 60_000 })).toBe(
      'busy',
    ); // the continuation delivered twice
    await ledger.releaseJob('cmp_h', '0.0', ['run-3']);
    await ledger.releaseJob('cmp_h', '0.0', ['run-3']); // a retried release changes nothing
    expect(await ledger.claimJob('cmp_h', '0.0', { token: 'next', at: t0, leaseMs: 60_000 })).toBe('claimed');
  });

  it('lets one fan-out queue a page per generation, and a continuation with the handed-over token', async () => {
    const progress = new DynamoSendProgressStore(dynamo.db, dynamo.tableName);
    await progress.recordPage('cmp_p', { page: 0, jobs: [], excluded: {}, totals: { recipients: 0, jobs: 0, excluded: {} } });
    const t0 = new Date('2026-01-01T00:00:00Z');
    expect(await progress.claimPageQueuing('cmp_p', 0, 1, { token: 'f-1', at: t0, leaseMs: 60_000 })).toBe(true);
    expect(await progress.claimPageQueuing('cmp_p', 0, 1, { token: 'dup', at: t0, leaseMs: 60_000 })).toBe(false);
    expect(await progress.claimPageQueuing('cmp_p', 0, 1, { token: 'f-2', handedOver: ['f-1'], at: t0, leaseMs: 60_000 })).toBe(true);
    await progress.markPageQueued('cmp_p', 0, 1);
    expect(await progress.claimPageQueuing('cmp_p', 0, 1, { token: 'f-3', handedOver: ['f-2'], at: t0, leaseMs: 60_000 })).toBe(false); // queued already
    expect(await progress.claimPageQueuing('cmp_p', 0, 2, { token: 'g2', at: t0, leaseMs: 60_000 })).toBe(true); // a resume's generation
    expect(await progress.getPage('cmp_p', 0)).toEqual({
      page: 0,
      jobs: [],
      excluded: {},
      totals: { recipients: 0, jobs: 0, excluded: {} },
    });
  });

  it('creates a lead once and lets one notifier claim it', async () => {
    const leads = new DynamoLeadStore(dynamo.db, dynamo.tableName);
    const lead: Lead = {
      leadId: 'ld_ct_9',
      contactId: 'ct_9',
      lifecycle: 1,
      campaignId: 'cmp_x',
      criteriaId: 'icp_1',
      criteriaVersion: 1,
      profileId: 'icp_1',
      profileVersion: 1,
      qualifiedAt: '2026-01-01T00:00:00.000Z',
      reasons: ['Fit: industry is Software'],
      fit: { score: 0, threshold: 0, matched: [] },
      engagement: { score: 10, threshold: 10, contributions: [] },
      handRaiser: false,
      trigger: { kind: 'click', at: '2026-01-01T00:00:00.000Z', clickedAt: '2026-01-01T00:00:00.000Z' },
      stage: 'mql',
      stageHistory: [],
      owner: 'sales@acme.example',
      routedBy: 'default',
    };
    expect(await leads.createIfAbsent(lead)).toBe(true);
    expect(await leads.createIfAbsent({ ...lead, reasons: ['other'] })).toBe(false);
    const now = new Date();
    expect(await leads.claimNotification('ct_9', now, 60_000)).toBe(true);
    expect(await leads.claimNotification('ct_9', now, 60_000)).toBe(false);
    await leads.markNotified('ct_9', 'm-1', now.toISOString());
    expect((await leads.get('ct_9'))?.reasons).toEqual(['Fit: industry is Software']);
    expect((await leads.listByCampaign('cmp_x')).items.map((l) => l.contactId)).toEqual(['ct_9']);
  });

  it("claims a lead for its notification when the claim landed but its answer was lost past the SDK's attempts", async () => {
    const lead: Lead = {
      leadId: 'ld_ct_lost',
      contactId: 'ct_lost',
      lifecycle: 1,
      campaignId: 'cmp_x',
      criteriaId: 'icp_1',
      criteriaVersion: 1,
      profileId: 'icp_1',
      profileVersion: 1,
      qualifiedAt: '2026-01-01T00:00:00.000Z',
      reasons: ['Fit'],
      fit: { score: 0, threshold: 0, matched: [] },
      engagement: { score: 10, threshold: 10, contributions: [] },
      handRaiser: false,
      trigger: { kind: 'click', at: '2026-01-01T00:00:00.000Z', clickedAt: '2026-01-01T00:00:00.000Z' },
      stage: 'mql',
      stageHistory: [],
      owner: 'sales@acme.example',
      routedBy: 'default',
    };
    await new DynamoLeadStore(dynamo.db, dynamo.tableName).createIfAbsent(lead);
    let loseNext = true;
    // DynamoDB applies the first claim, then the caller gets a 500 (as the SDK does after its attempts).
    const unanswered = {
      send: async (command: Parameters<typeof dynamo.db.send>[0]) => {
        const result = await dynamo.db.send(command);
        if (!loseNext) return result;
        loseNext = false;
        throw Object.assign(new Error('Internal server error'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
      },
    } as unknown as typeof dynamo.db;
    const leads = new DynamoLeadStore(unanswered, dynamo.tableName);
    expect(await leads.claimNotification('ct_lost', new Date(), 60_000)).toBe(true);
    expect(await leads.claimNotification('ct_lost', new Date(), 60_000)).toBe(false); // another notifier
  });

  it('records a shuffled, duplicated event log exactly, with a crash between writes', async () => {
    const store = new DynamoEngagementStore(dynamo.db, dynamo.tableName);
    const log = generateEventLog({ recipients: 300, campaigns: 1, seed: 21 });
    const deliveries = shuffle([...log, ...log.slice(0, 500)], prng(2)).map((event, i) => ({ messageId: `m${i}`, event }));
    let clock = Date.parse('2026-03-05T00:00:00Z');
    let deltaCalls = 0;
    let ids = 0;
    const crashingStore = Object.create(store) as DynamoEngagementStore;
    crashingStore.putDelta = async (delta) => {
      if (++deltaCalls % 4 === 0) throw Object.assign(new Error('injected crash'), { retryable: true });
      return store.putDelta(delta);
    };
    let queue = deliveries;
    while (queue.length) {
      const failed: typeof queue = [];
      for (let i = 0; i < queue.length; i += 100) {
        const batch = queue.slice(i, i + 100);
        const result = await recordEngagement(
          {
            store: crashingStore,
            clock: { now: () => new Date(clock) },
            rules: defaultMachineRules,
            inFlightGraceMs: 60_000,
            newDeltaId: () => `d${++ids}`,
          },
          batch,
        );
        failed.push(...batch.filter((b) => result.failedMessageIds.includes(b.messageId)));
      }
      clock += 600_000;
      queue = failed;
    }
    const m = computeMetrics((await store.campaignCounters('cmp_0')).counters);
    const expected = recount(log, 'cmp_0', defaultMachineRules);
    expect({
      sent: m.sent,
      delivered: m.delivered,
      opens: m.uniqueOpens,
      clicks: m.uniqueClicks,
      humanClicks: m.human.uniqueClicks,
      totalOpens: m.totalOpens,
    }).toEqual({
      sent: expected.sent,
      delivered: expected.delivered,
      opens: expected.uniqueOpens,
      clicks: expected.uniqueClicks,
      humanClicks: expected.humanUniqueClicks,
      totalOpens: expected.totalOpens,
    });
    expect((await store.listRecipients('cmp_0')).items.length).toBeGreaterThan(0);
  });
});

describe('campaign stats checkpoints', () => {
  it('folds old deltas into a checkpoint without changing the figures, and reads only newer deltas after it', async () => {
    const store = new DynamoEngagementStore(dynamo.db, dynamo.tableName);
    const { newId } = await import('../../lib/common/ids');
    const base = Date.parse('2026-03-01T00:00:00Z');
    const put = (i: number) =>
      store.putDelta({
        campaignId: 'cmp_ck',
        deltaId: newId('d', new Date(base + i * 1000)),
        counters: { sent: 1, [`link:l${i % 3}:clicks`]: 2 },
        linkUrls: { [`l${i % 3}`]: `https://a.example/${i % 3}` },
        at: '',
      });
    for (let i = 0; i < 250; i++) await put(i);
    const cutoff = `d_${(base + 200 * 1000).toString(36)}`;
    const before = await store.campaignCounters('cmp_ck');
    const compacting = await store.campaignCounters('cmp_ck', { compactBefore: cutoff });
    expect(compacting).toEqual(before);
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
    const checkpoint = (
      await dynamo.db.send(new GetCommand({ TableName: dynamo.tableName, Key: { pk: 'CAMPAIGN#cmp_ck', sk: 'CHECKPOINT' } }))
    ).Item;
    expect(checkpoint?.c).toMatchObject({ sent: 200 });
    for (let i = 250; i < 260; i++) await put(i);
    expect((await store.campaignCounters('cmp_ck', { compactBefore: cutoff })).counters.sent).toBe(260);
    expect((await store.campaignCounters('cmp_ck')).counters).toMatchObject({ sent: 260, 'link:l0:clicks': 174 });
  });

  it('never sums more than its budget of deltas: a backlog is answered as incomplete, folded a budget at a time, then exact', async () => {
    const store = new DynamoEngagementStore(dynamo.db, dynamo.tableName);
    const { newId } = await import('../../lib/common/ids');
    const base = Date.parse('2026-03-01T00:00:00Z');
    const putDeltas = (campaignId: string, count: number) =>
      mapWithConcurrency(
        Array.from({ length: count }, (_, i) => i),
        16,
        (i) => store.putDelta({ campaignId, deltaId: newId('d', new Date(base + i * 1000)), counters: { sent: 1 }, linkUrls: {}, at: '' }),
      );
    await putDeltas('cmp_backlog', 2_345);
    const cutoff = `d_${(base + 10_000 * 1000).toString(36)}`; // every delta is settled
    const reads: { sent?: number; complete: boolean }[] = [];
    for (let i = 0; i < 4; i++) {
      const { counters, complete } = await store.campaignCounters('cmp_backlog', { compactBefore: cutoff, maxDeltas: 1_000 });
      reads.push({ sent: counters.sent, complete });
    }
    // Each read sums the checkpoint and at most 1,000 deltas after it, and folds them.
    expect(reads).toEqual([
      { sent: 1_000, complete: false },
      { sent: 2_000, complete: false },
      { sent: 2_345, complete: true },
      { sent: 2_345, complete: true },
    ]);
    // Exactly the budget left: complete, with no delta beyond it.
    await putDeltas('cmp_budget', 1_000);
    expect(await store.campaignCounters('cmp_budget', { maxDeltas: 1_000 })).toMatchObject({ counters: { sent: 1_000 }, complete: true });
    expect(await store.campaignCounters('cmp_budget', { maxDeltas: 999 })).toMatchObject({ counters: { sent: 999 }, complete: false });
  });
});

describe('suppression from engagement', () => {
  it('suppresses after transient bounces of three different messages, counting a replayed bounce once', async () => {
    const { suppressionListener } = await import('../../lib/engagement/listeners');
    const { emptyRecipient } = await import('../../lib/engagement/recipient');
    const contacts = new DynamoContactStore(dynamo.db, dynamo.tableName);
    const c = contact('soft@northwind.example');
    await contacts.upsertMany([c]);
    const listener = suppressionListener({ contacts });
    const bounce = (messageId: string) => {
      const e = {
        key: messageId,
        type: 'bounce' as const,
        campaignId: 'cmp_s',
        contactId: c.contactId,
        messageId,
        sentAt: '2026-03-01T00:00:00.000Z',
        at: '2026-03-01T00:00:02.000Z',
        bounceType: 'Transient',
      };
      const state = { ...emptyRecipient('cmp_s', c.contactId), bounceType: 'Transient' };
      return [{ before: state, after: state, newEvents: [e] }];
    };
    await listener.recipientsChanged(bounce('m1'));
    await listener.recipientsChanged(bounce('m1')); // the same bounce heard again
    await listener.recipientsChanged(bounce('m2'));
    expect((await contacts.get(c.contactId))?.suppressed).toBeUndefined();
    await listener.recipientsChanged(bounce('m3'));
    expect((await contacts.get(c.contactId))?.suppressed).toBe('bounced');
  });
});
