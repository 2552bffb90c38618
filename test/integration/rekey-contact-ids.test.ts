import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCampaignStore } from '../../adapters/dynamodb/campaign-store';
import { DynamoContactRekeyStore } from '../../adapters/dynamodb/contact-rekey-store';
import { logger } from '../../functions/observability';
import { sesEventsPattern } from '../../infra/event-patterns';
import type { EventEnvelope } from '../../infra/local/event-bus';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';
import { localS3Config } from '../../infra/local/stand-ins';
import { contactIds, legacyIdFor, replaceLegacyIds } from '../../lib/common/ids';
import { rekeyLegacyContacts } from '../../lib/contacts/rekey-contacts';
import { signUnsubscribeToken } from '../../lib/contacts/unsubscribe-token';
import { callApi } from '../support/reports';
import { openAndClickPricing, sendCampaignTo } from '../support/campaign-flow';

/**
 * Issue #16 row 1, the migration path: data stored before keyed ids (contacts under `ct_` ids, the
 * campaigns sent to them, their engagement, MQLs, notes, set-aside events, idempotency answers,
 * reports, and a person erased before keyed ids) is re-keyed by the migration, after which no `ct_`
 * id of theirs is left in the table or the bucket, every look-up by email reaches the same
 * contacts, the erased person stays erased, and every campaign figure is what it was — also when a
 * run crashes part-way and is run again.
 */
logger.setLogLevel('CRITICAL');
const secret = 'a-rekey-test-secret-of-at-least-32-characters';
const ids = contactIds(secret);
const base = 41_000 + Math.floor(Math.random() * 15_000);
let runtime: LocalRuntime;
let s3: S3Client;
let db: DynamoDBDocumentClient;
const published: EventEnvelope[] = [];

beforeAll(async () => {
  runtime = await startLocalRuntime({
    unsubscribeSecret: secret,
    // The fault proxy, quiet until the re-run of the crashed migration.
    dynamodbFaults: {},
    port: base,
    standInPorts: { ses: base + 1, dynamodb: base + 2, s3: base + 3, eventBridge: base + 4 },
  });
  s3 = new S3Client(localS3Config(runtime.endpoints.s3));
  db = DynamoDBDocumentClient.from(runtime.clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  runtime.buses.default.addRule('test-tap', sesEventsPattern(runtime.app.config.configurationSetName), async (e) => void published.push(e));
});
afterAll(async () => {
  s3?.destroy();
  await runtime?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: answers are read loosely here
const call = (method: string, path: string, body?: unknown) => callApi<any>(runtime, method, path, body);

const people = {
  lee: { email: 'lee.legacy@northwind.example', firstName: 'Lee', lastName: 'Legacy', company: 'Northwind' },
  ola: { email: 'ola.old@contoso.example', firstName: 'Ola', lastName: 'Old', company: 'Contoso' },
  gone: { email: 'gone.before@fabrikam.example', firstName: 'Gus', lastName: 'Gone', company: 'Fabrikam' },
};
const legacy = { lee: legacyIdFor(people.lee.email), ola: legacyIdFor(people.ola.email), gone: legacyIdFor(people.gone.email) };
const mapping = new Map([
  [legacy.lee, ids.idFor(people.lee.email)],
  [legacy.ola, ids.idFor(people.ola.email)],
  [legacy.gone, ids.idForLegacy(legacy.gone)],
]);

/** Contacts as the code before keyed ids stored them: the same items, under `ct_` ids. */
async function legacyContacts() {
  const at = new Date().toISOString();
  await runtime.app.adapters.contacts.upsertMany(
    (['lee', 'ola', 'gone'] as const).map((p) => ({ ...people[p], contactId: legacy[p], consent: true, createdAt: at, updatedAt: at })),
  );
}

const campaign = (name: string, contactIds: string[]) => sendCampaignTo(runtime, name, contactIds);
const engage = (campaignId: string, contactId: string) => openAndClickPricing(runtime, campaignId, contactId);

type Item = Record<string, unknown>;
async function items(): Promise<Item[]> {
  const out: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: runtime.app.config.tableName, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

async function objects(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const Bucket = runtime.app.config.reportBucket;
  const listed = await s3.send(new ListObjectsV2Command({ Bucket }));
  for (const o of listed.Contents ?? []) {
    out.set(o.Key!, await (await s3.send(new GetObjectCommand({ Bucket, Key: o.Key }))).Body!.transformToString());
  }
  return out;
}

const json = (item: Item) => JSON.stringify(item, (_k, v) => (v instanceof Set ? [...v].sort() : v));
/** An item as the migration must leave it: every mapped id replaced (ids need no JSON escaping); the shard of a contact's listing follows its id. */
const expectedItem = (item: Item) => {
  const text = json(item);
  return replaceLegacyIds(text, mapping) ?? text;
};
const withoutShard = (text: string) => {
  const { gsi1pk: _shard, ...rest } = JSON.parse(text);
  return JSON.stringify(rest);
};
const legacyIn = (text: string) => [...mapping.keys()].filter((id) => text.includes(id));

function migrate(options: { client?: DynamoDBDocumentClient; dryRun?: boolean } = {}) {
  const client = options.client ?? db;
  return rekeyLegacyContacts(
    {
      rekey: new DynamoContactRekeyStore(client, runtime.app.config.tableName),
      campaigns: new DynamoCampaignStore(client, runtime.app.config.tableName),
      reports: runtime.app.adapters.reports,
      ids,
    },
    { dryRun: options.dryRun },
  );
}

/** The table client of a process that stops for good after `writes` writes: the last one is applied, its answer never read. */
function crashingAfter(writes: number): DynamoDBDocumentClient {
  let done = 0;
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: unknown) => {
        const isWrite = command instanceof PutCommand || command instanceof DeleteCommand;
        if (isWrite && done >= writes) throw new Error('crashed: the process stopped');
        // biome-ignore lint/suspicious/noExplicitAny: the proxied client's own send
        const answer = await (target.send as any)(command);
        if (isWrite && ++done === writes) throw new Error('crashed: the write was applied, its answer lost');
        return answer;
      };
    },
  });
}

describe('re-keying legacy contact ids (#16 row 1, migration path)', () => {
  let before: { items: Item[]; objects: Map<string, string>; stats: unknown[]; campaigns: string[] };

  it('builds data stored before keyed ids, one person erased before the migration', async () => {
    await legacyContacts();
    const both = await campaign('Spring launch', [legacy.lee, legacy.ola, legacy.gone]);
    const second = await campaign('Follow-up', [legacy.lee, legacy.gone]);
    await runtime.settle();
    for (const id of [legacy.lee, legacy.ola, legacy.gone]) await engage(both, id);
    await engage(second, legacy.lee);
    await runtime.settle();
    // A note on Lee's lead, kept for replays with an Idempotency-Key; an SES event naming Ola set aside.
    const feedback = await fetch(`${runtime.apiUrl}/leads/${legacy.lee}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'rekey-note' },
      body: JSON.stringify({ action: 'accept', note: `Spoke to ${legacy.ola}'s team too.` }),
    });
    expect(feedback.status).toBe(200);
    const olas = published.find((e) => JSON.stringify(e).includes(legacy.ola) && JSON.stringify(e).includes('"Click"'))!;
    await runtime.buses.default.publish(JSON.parse(JSON.stringify(olas).replaceAll(both, 'cmp_neverexisted')));
    await runtime.settle();
    const day = new Date().toISOString().slice(0, 10);
    for (const r of [
      await call('POST', `/campaigns/${both}/reports`),
      await call('POST', `/campaigns/${second}/reports`),
      await call('POST', '/reports', { from: day, to: day }),
    ])
      expect(r.status).toBe(201);
    expect((await call('DELETE', `/contacts/${legacy.gone}`)).status).toBe(200);

    const stored = await items();
    const where = stored.filter((i) => legacyIn(json(i)).length).map((i) => `${String(i.pk).split('#')[0]} ${String(i.sk).split('#')[0]}`);
    for (const kind of [
      'CONTACT PROFILE',
      'CONTACT LEAD',
      'CONTACT ACT',
      'CONTACT FOLLOWUP',
      'CAMPAIGN AUDIENCE',
      'CAMPAIGN RCPT',
      'CAMPAIGN SEND',
      'CAMPAIGN META',
      'IDEMPOTENCY',
      'DEADLETTER',
    ]) {
      expect({ kind, found: where.some((w) => w.startsWith(kind)) }).toEqual({ kind, found: true });
    }
    const files = await objects();
    for (const file of ['recipients.csv', 'leads.csv', 'report.json', 'report.html']) {
      expect({ file, found: [...files].some(([k, t]) => k.endsWith(file) && legacyIn(t).length) }).toEqual({ file, found: true });
    }
    const stats = await Promise.all([both, second].map(async (id) => (await call('GET', `/campaigns/${id}/stats`)).body));
    expect(stats[0].metrics).toMatchObject({ sent: 3, uniqueClicks: 3 });
    before = { items: stored, objects: files, stats, campaigns: [both, second] };
  });

  it('a dry run counts what it would re-key and writes nothing', async () => {
    const dry = await migrate({ dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, contacts: 3, erasedContacts: 1, alreadyDone: 0 });
    const touched = before.items.filter((i) => legacyIn(json(i)).length).length;
    expect(dry.itemsRewritten).toBe(touched);
    expect(dry.reportObjectsRewritten).toBe([...before.objects.values()].filter((t) => legacyIn(t).length).length);
    expect((await items()).map(json).sort()).toEqual(before.items.map(json).sort());
    expect(await objects()).toEqual(before.objects);
  });

  it('a run crashed part-way, then run again, leaves every record re-keyed and nothing lost or doubled', async () => {
    await expect(migrate({ client: crashingAfter(7) })).rejects.toThrow(/crashed/);
    const half = (await items()).map(json);
    // Part-way: some records moved, some not; none lost; the one in hand (written anew, the old
    // one not yet deleted) doubled.
    expect(half.filter((t) => legacyIn(t).length).length).toBeGreaterThan(0);
    expect(half.filter((t) => [...mapping.values()].some((id) => t.includes(id))).length).toBeGreaterThan(0);
    expect(half.length).toBe(before.items.length + 1);

    // The re-run meets throttling and lost responses (a write applied, its answer lost, the SDK retrying it).
    runtime.dynamodbFaults!.set({ throttleRate: 0.1, lostResponseRate: 0.15, seed: 11 });
    const run = await migrate().finally(() => runtime.dynamodbFaults!.set({}));
    const lost = runtime.dynamodbFaults!.injected.lostResponses;
    expect((lost.PutItem ?? 0) + (lost.DeleteItem ?? 0)).toBeGreaterThan(0);
    expect(run).toMatchObject({ dryRun: false, contacts: 3, erasedContacts: 1 });
    expect(run.alreadyDone).toBeGreaterThan(0);
    const after = await items();
    expect(after.map(json).filter((t) => legacyIn(t).length)).toEqual([]);
    // Exactly the records there were, with the new ids (a contact's listing shard follows its id),
    // and where each live contact went, under a key only the secret makes.
    const forwardings = after.filter((i) => i.sk === 'REKEYED');
    expect(forwardings.map(({ pk, contactId }) => ({ pk, contactId }))).toEqual(
      expect.arrayContaining(
        (['lee', 'ola'] as const).map((p) => ({ pk: `CONTACT#${ids.idForLegacy(legacy[p])}`, contactId: ids.idFor(people[p].email) })),
      ),
    );
    expect(forwardings).toHaveLength(2);
    expect(
      after
        .filter((i) => i.sk !== 'REKEYED')
        .map((i) => withoutShard(json(i)))
        .sort(),
    ).toEqual(before.items.map((i) => withoutShard(expectedItem(i))).sort());
    const files = await objects();
    expect([...files].filter(([, t]) => legacyIn(t).length)).toEqual([]);
    expect(files).toEqual(new Map([...before.objects].map(([k, t]) => [k, replaceLegacyIds(t, mapping) ?? t])));
  });

  it('keeps every campaign figure, and reaches the same contacts by email', async () => {
    const stats = await Promise.all(before.campaigns.map(async (id) => (await call('GET', `/campaigns/${id}/stats`)).body));
    expect(stats).toEqual(before.stats);
    // A report written now has the figures of the re-keyed one (MQLs qualified at the same second
    // are listed by id, so in another order).
    const fresh = await call('POST', `/campaigns/${before.campaigns[0]}/reports`);
    const all = await objects();
    const stored = JSON.parse(all.get(fresh.body.keys.json)!);
    const rekeyed = JSON.parse(
      [...all].find(([k]) => k !== fresh.body.keys.json && k.includes(before.campaigns[0]!) && k.endsWith('report.json'))![1],
    );
    // biome-ignore lint/suspicious/noExplicitAny: reports read back from S3
    const figures = ({ generatedAt: _at, ...rest }: any) => ({
      ...rest,
      mqls: { ...rest.mqls, leads: [...rest.mqls.leads].sort((a, b) => a.contactId.localeCompare(b.contactId)) },
    });
    expect(figures(stored)).toEqual(figures(rekeyed));
    const lee = (await call('GET', `/contacts?email=${encodeURIComponent(people.lee.email)}`)).body.items;
    expect(lee).toMatchObject([{ contactId: ids.idFor(people.lee.email), firstName: 'Lee', company: 'Northwind', consent: true }]);
    const reimport = await call('POST', '/contacts/import', { contacts: [{ email: 'Ola.Old@contoso.example', company: 'Contoso Ltd' }] });
    expect(reimport.body).toMatchObject({ created: 0, updated: 1 });
    expect((await call('GET', `/contacts/${ids.idFor(people.ola.email)}`)).body).toMatchObject({ company: 'Contoso Ltd' });
    const lead = (await call('GET', `/leads/${ids.idFor(people.lee.email)}`)).body;
    expect(JSON.stringify(lead)).toContain(`Spoke to ${ids.idFor(people.ola.email)}'s team too.`);
  });

  it('keeps the person erased before the migration erased: the address cannot be imported again', async () => {
    const tombstone = ids.idForLegacy(legacy.gone);
    expect((await call('GET', `/contacts/${tombstone}`)).status).toBe(404);
    const reimport = await call('POST', '/contacts/import', { contacts: [{ email: people.gone.email, consent: true }] });
    expect(reimport.body).toMatchObject({ created: 0, updated: 0, rejected: 1 });
    expect(reimport.body.errors[0].reason).toContain('erased');
    expect((await call('GET', `/contacts?email=${encodeURIComponent(people.gone.email)}`)).body.items).toEqual([]);
    expect((await items()).filter((i) => String(i.pk).includes(ids.idFor(people.gone.email)))).toEqual([]);
  });

  it('a second run changes nothing; the script finds nothing left to do on the local stack', async () => {
    const itemsBefore = (await items()).map(json).sort();
    const objectsBefore = await objects();
    expect(await migrate()).toEqual({
      dryRun: false,
      contacts: 0,
      erasedContacts: 0,
      itemsRewritten: 0,
      reportObjectsRewritten: 0,
      alreadyDone: 0,
    });
    expect((await items()).map(json).sort()).toEqual(itemsBefore);
    expect(await objects()).toEqual(objectsBefore);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/migrate-contact-ids.ts', '--local', '--port', String(base), '--secret', secret, '--dry-run'],
      { cwd: process.cwd() },
    );
    expect(stdout).toContain('0 legacy contacts');
    expect(stdout).toMatch(/contacts to re-key: +0/);
  });

  it('follows an unsubscribe link mailed before the migration to the re-keyed contact, counted once', async () => {
    const [both] = before.campaigns as [string];
    const link = signUnsubscribeToken({ campaignId: both, contactId: legacy.ola }, secret);
    const olaNow = ids.idFor(people.ola.email);
    for (let click = 0; click < 2; click++) expect((await call('POST', `/u/${link}`)).status).toBe(200);
    expect((await call('GET', `/contacts/${olaNow}`)).body).toMatchObject({ suppressed: 'unsubscribed' });
    const stats = (await call('GET', `/campaigns/${both}/stats`)).body;
    expect(stats.metrics.unsubscribed).toBe((before.stats[0] as { metrics: { unsubscribed: number } }).metrics.unsubscribed + 1);
    // The erased person's old link reaches the re-keyed tombstone and changes nothing.
    const theirs = signUnsubscribeToken({ campaignId: both, contactId: legacy.gone }, secret);
    expect((await call('POST', `/u/${theirs}`)).status).toBe(200);
    expect((await call('GET', `/campaigns/${both}/stats`)).body.metrics.unsubscribed).toBe(stats.metrics.unsubscribed);
    expect((await items()).filter((i) => legacyIn(json(i)).length)).toEqual([]);
  });

  it('never writes over another record under the new key: it stops naming both, and finishes once one is gone', async () => {
    const email = 'cora.clash@northwind.example';
    const at = new Date().toISOString();
    const [old, clash] = [legacyIdFor(email), ids.idFor(email)];
    await runtime.app.adapters.contacts.upsertMany([
      { contactId: old, email, firstName: 'Cora', consent: true, createdAt: at, updatedAt: at },
      { contactId: clash, email, firstName: 'Someone else', consent: false, createdAt: at, updatedAt: at },
    ]);
    await expect(migrate()).rejects.toThrow(`CONTACT#${clash} / PROFILE holds another record than CONTACT#${old} / PROFILE`);
    expect((await runtime.app.adapters.contacts.getMany([old, clash])).map((c) => c.firstName).sort()).toEqual(['Cora', 'Someone else']);
    await db.send(new DeleteCommand({ TableName: runtime.app.config.tableName, Key: { pk: `CONTACT#${clash}`, sk: 'PROFILE' } }));
    expect(await migrate()).toMatchObject({ contacts: 1, erasedContacts: 0 });
    expect(await runtime.app.adapters.contacts.getMany([old, clash])).toMatchObject([{ contactId: clash, firstName: 'Cora' }]);
  });
});
