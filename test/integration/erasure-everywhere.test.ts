import { GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../functions/observability';
import { sesEventsPattern } from '../../infra/event-patterns';
import type { EventEnvelope } from '../../infra/local/event-bus';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';
import { localS3Config } from '../../infra/local/stand-ins';
import { callApi } from '../support/reports';
import { openAndClickPricing, sendCampaignTo } from '../support/campaign-flow';
import { legacyIdFor } from '../../lib/common/ids';

/**
 * Issue #16 row 1: after `DELETE /contacts/{id}` the person's email and name are in no item of the
 * table and no object of any bucket — reports already written, sales notes on other leads and
 * set-aside SES events included — and every campaign figure is what it was.
 */
logger.setLogLevel('CRITICAL');
let runtime: LocalRuntime;
let s3: S3Client;
const published: EventEnvelope[] = [];

beforeAll(async () => {
  runtime = await startLocalRuntime();
  s3 = new S3Client(localS3Config(runtime.endpoints.s3));
  runtime.buses.default.addRule('test-tap', sesEventsPattern(runtime.app.config.configurationSetName), async (e) => void published.push(e));
});
afterAll(async () => {
  s3?.destroy();
  await runtime?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: answers are read loosely here
const call = (method: string, path: string, body?: unknown) => callApi<any>(runtime, method, path, body);

const person = { email: 'Zebulon.Quartermaine@northwind.example', firstName: 'Zebulon', lastName: 'Quartermaine', company: 'Northwind' };
const other = { email: 'ola.berg@contoso.example', firstName: 'Ola', lastName: 'Berg', company: 'Contoso' };
/** What must be found nowhere after the erasure (case-insensitive): the address and each part of the name. */
const traces = [person.email, person.firstName, person.lastName].map((t) => t.toLowerCase());

const campaign = (name: string, contactIds: string[]) => sendCampaignTo(runtime, name, contactIds);
const engage = (campaignId: string, contactId: string) => openAndClickPricing(runtime, campaignId, contactId);

/** Every item of the table and every object of every bucket, as text, with where it is. */
async function everything(): Promise<{ where: string; text: string }[]> {
  const out: { where: string; text: string }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await runtime.clients.dynamodb.send(
      new ScanCommand({ TableName: runtime.app.config.tableName, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) out.push({ where: `item ${item.pk} / ${item.sk}`, text: JSON.stringify(item) });
    start = page.LastEvaluatedKey;
  } while (start);
  for (const bucket of (await s3.send(new ListBucketsCommand({}))).Buckets ?? []) {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket.Name, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket.Name, Key: o.Key }))).Body!.transformToString();
        out.push({ where: `s3://${bucket.Name}/${o.Key}`, text: body });
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  return out;
}

const tracesIn = (all: { where: string; text: string }[]) =>
  all.flatMap(({ where, text }) => traces.filter((t) => text.toLowerCase().includes(t)).map((t) => `${t} in ${where}`));

async function storedJson(key: string) {
  return JSON.parse(
    await (await s3.send(new GetObjectCommand({ Bucket: runtime.app.config.reportBucket, Key: key }))).Body!.transformToString(),
  );
}

/** A report's figures: all of it but when it was made and what described people in the MQL list. */
// biome-ignore lint/suspicious/noExplicitAny: a report read back from S3
function figuresOf(report: any) {
  const { generatedAt: _at, ...rest } = report;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const leads = rest.mqls.leads.map(({ name: _n, company: _c, reasons: _r, clickedLink: _l, ...kept }: any) => kept);
  return { ...rest, mqls: { ...rest.mqls, leads } };
}

describe('erasure reaches every copy (#16 row 1)', () => {
  it('leaves the email and name in no table item and no S3 object, and every campaign figure as it was', async () => {
    const imported = await call('POST', '/contacts/import', { contacts: [person, other].map((c) => ({ ...c, consent: true })) });
    expect(imported.body).toMatchObject({ created: 2, rejected: 0 });
    const ids = (await Promise.all([person, other].map((c) => call('GET', `/contacts?email=${encodeURIComponent(c.email)}`)))).map(
      (r) => r.body.items[0].contactId as string,
    );
    const [personId, otherId] = ids as [string, string];
    const both = await campaign('Spring launch', [personId, otherId]);
    const onlyThem = await campaign('Follow-up', [personId]);
    await runtime.settle();
    for (const id of [personId, otherId]) await engage(both, id);
    await runtime.settle();

    // Sales writes about the person on the other lead; an SES event naming them is set aside.
    const note = `Ola's colleague ZEBULON   quartermaine (zebulon.quartermaine@NORTHWIND.example) asked for a demo too.`;
    // With an Idempotency-Key, so the answer (the lead, its note included) is kept for replays.
    const feedback = await fetch(`${runtime.apiUrl}/leads/${otherId}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'note-1' },
      body: JSON.stringify({ action: 'accept', note }),
    });
    expect(feedback.status).toBe(200);
    const theirs = published.find((e) => JSON.stringify(e).includes(personId) && JSON.stringify(e).includes('"Click"'))!;
    await runtime.buses.default.publish(JSON.parse(JSON.stringify(theirs).replaceAll(both, 'cmp_neverexisted')));
    await runtime.settle();

    const reports = [
      await call('POST', `/campaigns/${both}/reports`),
      await call('POST', `/campaigns/${onlyThem}/reports`),
      await call('POST', '/reports', { from: new Date().toISOString().slice(0, 10), to: new Date().toISOString().slice(0, 10) }),
    ];
    for (const r of reports) expect(r.status).toBe(201);
    const before = {
      stats: await Promise.all([both, onlyThem].map(async (id) => (await call('GET', `/campaigns/${id}/stats`)).body)),
      reports: await Promise.all(reports.map(async (r) => figuresOf(await storedJson(r.body.keys.json)))),
    };
    expect(before.stats[0].metrics).toMatchObject({ sent: 2, delivered: 2, uniqueClicks: 2 });
    expect(before.reports[0].mqls.total ?? before.reports[0].mqls.leads.length).toBeGreaterThanOrEqual(2);
    const found = tracesIn(await everything());
    for (const where of ['recipients.csv', 'leads.csv', 'report.json', 'report.html', 'DEADLETTER#', 'IDEMPOTENCY#', 'LEAD', 'CONTACT#']) {
      expect({ where, found: found.some((f) => f.includes(where)) }).toEqual({ where, found: true });
    }

    const erased = await call('DELETE', `/contacts/${personId}`);
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ campaigns: 2, leadAnonymised: true, notesRedacted: 1, deadLettersRedacted: 1, answersRedacted: 1 });
    expect(erased.body.reportObjectsRewritten).toBeGreaterThanOrEqual(6);

    const left = await everything();
    expect(tracesIn(left)).toEqual([]);
    const stats = await Promise.all([both, onlyThem].map(async (id) => (await call('GET', `/campaigns/${id}/stats`)).body));
    expect(stats).toEqual(before.stats);
    expect(await Promise.all(reports.map(async (r) => figuresOf(await storedJson(r.body.keys.json))))).toEqual(before.reports);
    // A report written after the erasure has the same figures as the rewritten one.
    const fresh = await call('POST', `/campaigns/${both}/reports`);
    expect(figuresOf(await storedJson(fresh.body.keys.json))).toEqual(before.reports[0]);
    // The note stays, without the person.
    const lead = (await call('GET', `/leads/${otherId}`)).body;
    expect(JSON.stringify(lead)).toContain("Ola's colleague [erased] ([erased]) asked for a demo too.");
    // Repeating the request changes nothing more.
    const again = await call('DELETE', `/contacts/${personId}`);
    expect(again.body).toMatchObject({
      firstErasure: false,
      reportObjectsRewritten: 0,
      notesRedacted: 0,
      deadLettersRedacted: 0,
      answersRedacted: 0,
    });
  });
});

describe('keyed contact ids and their migration (#16 row 1)', () => {
  it('gives new contacts a keyed id, so the tombstone of an erasure is not the hash of the address', async () => {
    const email = 'keyed.person@northwind.example';
    await call('POST', '/contacts/import', { contacts: [{ email, firstName: 'Kim', consent: true }] });
    const contactId = (await call('GET', `/contacts?email=${email}`)).body.items[0].contactId as string;
    expect(contactId).toMatch(/^ct2_/);
    expect(contactId).not.toBe(legacyIdFor(email));
    expect((await call('DELETE', `/contacts/${contactId}`)).status).toBe(200);
    const tombstones = (await everything()).filter((x) => x.where.startsWith('item CONTACT#') && x.text.includes('"erasedAt"'));
    expect(tombstones.some((t) => t.where.includes(contactId))).toBe(true);
    expect(tombstones.filter((t) => t.where.includes(legacyIdFor(email)))).toEqual([]);
  });

  it('keeps a contact stored before keyed ids under its legacy id: found by email, updated by import, mailed by email list', async () => {
    const email = 'legacy.person@northwind.example';
    const legacyId = legacyIdFor(email);
    const at = new Date().toISOString();
    await runtime.app.adapters.contacts.upsertMany([
      { contactId: legacyId, email, firstName: 'Lee', consent: true, createdAt: at, updatedAt: at },
    ]);
    const reimport = await call('POST', '/contacts/import', {
      contacts: [{ email: 'Legacy.Person@northwind.example', company: 'Northwind' }],
    });
    expect(reimport.body).toMatchObject({ created: 0, updated: 1 });
    expect((await call('GET', `/contacts?email=${email}`)).body.items).toMatchObject([{ contactId: legacyId, company: 'Northwind' }]);
    const profileId = (await call('POST', '/profiles', { name: 'Anyone' })).body.profileId;
    const created = await call('POST', '/campaigns', {
      name: 'Legacy',
      subject: 'Hello',
      fromAddress: 'Acme <news@acme.example>',
      htmlTemplate: '<p>Hi</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
      textTemplate: 'Hi {{unsubscribeUrl}}',
      profileId,
      audience: { kind: 'list', emails: [email, 'someone.new@northwind.example'] },
    });
    expect(created.body.audience.contactIds).toEqual([legacyId, runtime.app.contactIds.idFor('someone.new@northwind.example')]);
  });
});
