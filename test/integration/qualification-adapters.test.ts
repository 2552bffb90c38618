import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoActivityStore } from '../../adapters/dynamodb/activity-store';
import { DynamoCriteriaStore } from '../../adapters/dynamodb/criteria-store';
import { DynamoLeadStore } from '../../adapters/dynamodb/lead-store';
import { DynamoRoutingStore } from '../../adapters/dynamodb/routing-store';
import type { Lead } from '../../lib/qualification/lead';
import { criteriaDocumentSchema } from '../../lib/qualification/criteria';
import { defaultRoutingRules } from '../../lib/qualification/routing';
import { startDynamo } from '../support/dynamo';

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
beforeAll(async () => {
  dynamo = await startDynamo('mql-qualification');
});
afterAll(async () => dynamo.stop());

const lead = (extra: Partial<Lead> = {}): Lead => ({
  leadId: 'ld_ct_q',
  contactId: 'ct_q',
  lifecycle: 1,
  campaignId: 'cmp_q',
  criteriaId: 'crit',
  criteriaVersion: 1,
  profileId: 'crit',
  profileVersion: 1,
  qualifiedAt: '2026-01-01T00:00:00.000Z',
  reasons: ['Fit: industry is Software'],
  fit: { score: 0, threshold: 0, matched: [] },
  engagement: { score: 10, threshold: 10, contributions: [] },
  handRaiser: false,
  trigger: { kind: 'click', at: '2026-01-01T00:00:00.000Z', clickedAt: '2026-01-01T00:00:00.000Z' },
  stage: 'mql',
  stageHistory: [{ stage: 'mql', at: '2026-01-01T00:00:00.000Z' }],
  owner: 'sales@acme.example',
  routedBy: 'default',
  ...extra,
});

describe('qualification adapters on dynalite, through the real SDK', () => {
  it('criteria versions are immutable; drafts move only from the revision they were read at', async () => {
    const store = new DynamoCriteriaStore(dynamo.db, dynamo.tableName);
    const document = criteriaDocumentSchema.parse({ name: 'v' });
    const draft = {
      criteriaId: 'crit_a',
      document,
      revision: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    expect(await store.createDraft(draft)).toBe(true);
    expect(await store.createDraft({ ...draft, updatedAt: '2026-01-01T00:00:01.000Z' })).toBe(false); // another writer's
    expect(await store.createDraft(draft)).toBe(true); // the SDK's retry of our own unanswered write
    expect(await store.saveDraft({ ...draft, revision: 2, updatedAt: '2026-01-01T00:00:02.000Z' }, 1)).toBe(true);
    expect(await store.saveDraft({ ...draft, revision: 2, updatedAt: '2026-01-01T00:00:03.000Z' }, 1)).toBe(false);
    const v = { criteriaId: 'crit_a', version: 1, document, fromRevision: 2, publishedAt: '2026-01-02T00:00:00.000Z' };
    expect(await store.putVersion(v)).toBe(true);
    expect(await store.putVersion({ ...v, document: { ...document, name: 'changed' }, fromRevision: 3 })).toBe(false);
    expect(await store.putVersion({ ...v, version: 2 })).toBe(true);
    expect((await store.getVersion('crit_a', 1))!.document.name).toBe('v');
    expect((await store.getVersion('crit_a'))!.version).toBe(2);
    expect((await store.listVersions('crit_a')).map((x) => x.version)).toEqual([1, 2]);
    expect((await store.list()).items.map((d) => d.criteriaId)).toContain('crit_a');
    expect(await store.setDefault('crit_a', true)).toBe(true);
    expect(await store.setDefault('crit_b', true)).toBe(false);
    expect(await store.getDefault()).toBe('crit_a');
  });

  it("the activity ledger is idempotent per key and lists a contact's activities", async () => {
    const store = new DynamoActivityStore(dynamo.db, dynamo.tableName);
    const acts = Array.from({ length: 30 }, (_, i) => ({
      key: `cmp_1:click:l${i}`,
      contactId: 'ct_act',
      kind: 'click' as const,
      at: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`,
      campaignId: 'cmp_1',
    }));
    await store.put(acts);
    await store.put(acts.slice(0, 5).map((a) => ({ ...a, machine: true })));
    const listed = await store.listForContact('ct_act');
    expect(listed).toHaveLength(30);
    expect(listed.filter((a) => a.machine)).toHaveLength(5);
    const event = {
      key: 'event:e1',
      contactId: 'ct_act',
      kind: 'event' as const,
      at: '2026-01-02T00:00:00.000Z',
      eventType: 'webinar-attended',
    };
    expect(await store.putIfAbsent(event)).toBe(true);
    expect(await store.putIfAbsent(event)).toBe(false);
  });

  it('follow-ups: listed from the day buckets when due (a Query per day, no scan), claimed once, marked, dropped', async () => {
    const leads = new DynamoLeadStore(dynamo.db, dynamo.tableName);
    const followUp = {
      remindAt: '2026-01-01T12:00:00.000Z',
      dueAt: '2026-01-02T00:00:00.000Z',
      escalateTo: 'boss@acme.example',
      firstOwner: 'sales@acme.example',
    };
    expect(await leads.createIfAbsent(lead({ contactId: 'ct_fu', leadId: 'ld_ct_fu', campaignId: 'cmp_fu', followUp }))).toBe(true);
    expect((await leads.listDueFollowUps('2026-01-01T11:59:59.000Z')).items).toEqual([]);
    const [reminder] = (await leads.listDueFollowUps('2026-01-01T12:00:00.000Z')).items;
    expect(reminder).toEqual({ contactId: 'ct_fu', leadId: 'ld_ct_fu', kind: 'reminder', at: followUp.remindAt });
    const at = new Date('2026-01-01T12:01:00.000Z');
    const claims = await Promise.all([leads.claimFollowUp(reminder!, at, 300_000), leads.claimFollowUp(reminder!, at, 300_000)]);
    expect(claims.sort()).toEqual([false, true]);
    await leads.markFollowUpSent(reminder!, 'm-1', at.toISOString());
    await leads.dropFollowUp(reminder!);
    expect(await leads.claimFollowUp(reminder!, new Date('2026-01-05T00:00:00.000Z'), 300_000)).toBe(false); // sent: never again
    const due = (await leads.listDueFollowUps('2026-01-03T00:00:00.000Z')).items;
    expect(due.map((d) => d.kind)).toEqual(['escalation']);
    expect(await leads.claimFollowUp(due[0]!, new Date('2026-01-03T00:00:00.000Z'), 300_000)).toBe(true);
    await leads.markFollowUpSent(due[0]!, 'm-2', '2026-01-03T00:00:00.000Z', 'boss@acme.example');
    await leads.dropFollowUp(due[0]!);
    expect((await leads.listDueFollowUps('2026-01-03T00:00:00.000Z')).items).toEqual([]);
    const stored = (await leads.get('ct_fu'))!;
    expect(stored).toMatchObject({
      owner: 'boss@acme.example',
      followUp: { remindedAt: at.toISOString(), escalatedAt: '2026-01-03T00:00:00.000Z' },
    });
    expect(Object.keys(stored).some((k) => k.includes('Claim'))).toBe(false);
  });

  it('a closed lead is replaced once by a new lifecycle and stays listed for its campaign; stages move conditionally', async () => {
    const leads = new DynamoLeadStore(dynamo.db, dynamo.tableName);
    expect(await leads.createIfAbsent(lead())).toBe(true);
    const entry = { stage: 'rejected' as const, at: '2026-01-03T00:00:00.000Z', reason: 'bad-timing' };
    const change = { stage: 'rejected' as const, entries: [entry], rejectionReason: 'bad-timing' as const, closedAt: entry.at };
    expect(await leads.updateStage('ct_q', { leadId: 'ld_ct_q', stage: 'mql' }, change)).toBe(true);
    expect(await leads.updateStage('ct_q', { leadId: 'ld_ct_q', stage: 'mql' }, change)).toBe(false);
    const rejected = (await leads.get('ct_q'))!;
    expect(rejected).toMatchObject({ stage: 'rejected', rejectionReason: 'bad-timing', closedAt: entry.at });
    expect(rejected.stageHistory.map((s) => s.stage)).toEqual(['mql', 'rejected']);

    const next = lead({ leadId: 'ld_ct_q_2', lifecycle: 2, campaignId: 'cmp_q2', qualifiedAt: '2026-05-01T00:00:00.000Z' });
    expect(await Promise.all([leads.replaceClosed(next, rejected), leads.replaceClosed(next, rejected)])).toEqual(
      expect.arrayContaining([true, false]),
    );
    expect((await leads.get('ct_q'))!.leadId).toBe('ld_ct_q_2');
    expect((await leads.listByCampaign('cmp_q')).items.map((l) => [l.leadId, l.stage])).toEqual([['ld_ct_q', 'rejected']]);
    expect((await leads.listByCampaign('cmp_q2')).items.map((l) => l.leadId)).toEqual(['ld_ct_q_2']);
    expect((await leads.getMany(['ct_q', 'ct_none'])).map((l) => l.leadId)).toEqual(['ld_ct_q_2']);
    // A reopen removes the closing facts.
    const reopen = {
      stage: 'mql' as const,
      entries: [{ stage: 'mql' as const, at: '2026-05-02T00:00:00.000Z' }],
      rejectionReason: null,
      closedAt: null,
    };
    await leads.updateStage(
      'ct_q',
      { leadId: 'ld_ct_q_2', stage: 'mql' },
      { stage: 'rejected', entries: [entry], rejectionReason: 'no-need', closedAt: entry.at },
    );
    expect(await leads.updateStage('ct_q', { leadId: 'ld_ct_q_2', stage: 'rejected' }, reopen)).toBe(true);
    const reopened = (await leads.get('ct_q'))!;
    expect(reopened.stage).toBe('mql');
    expect(reopened.rejectionReason).toBeUndefined();
    expect(reopened.closedAt).toBeUndefined();
  });

  it('routing rules are revision-checked and round-robin turns are handed out once each', async () => {
    const store = new DynamoRoutingStore(dynamo.db, dynamo.tableName);
    expect(await store.get()).toBeUndefined();
    expect(await store.put({ rules: defaultRoutingRules, revision: 1, updatedAt: 'now' }, 0)).toBe(true);
    expect(await store.put({ rules: defaultRoutingRules, revision: 1, updatedAt: 'now, elsewhere' }, 0)).toBe(false);
    expect(await store.put({ rules: defaultRoutingRules, revision: 1, updatedAt: 'now' }, 0)).toBe(true); // our own retried write
    expect(await store.put({ rules: defaultRoutingRules, revision: 2, updatedAt: 'later' }, 1)).toBe(true);
    const turns = await Promise.all(Array.from({ length: 10 }, () => store.nextTurn('emea')));
    expect(turns.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
