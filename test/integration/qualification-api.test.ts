import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../infra/local/stand-ins';
import { logger } from '../../functions/observability';
import { leadQualifiedDetailType, leadQualifiedDetailSchema, projectEventSource } from '../../lib/qualification/lead';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';
import type { EventEnvelope } from '../../infra/local/event-bus';

logger.setLogLevel('ERROR');
let runtime: LocalRuntime;
/** The contact id of an email, as the runtime's API makes it (keyed). */
const contactIdFor = (email: string) => runtime.app.contactIds.idFor(email);
beforeAll(async () => {
  runtime = await startLocalRuntime();
});
afterAll(async () => runtime.stop());

const call = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(runtime.apiUrl + path, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
};
type InboxMail = { destination: { to: string[] }; subject: string; body: { text?: string; html?: string } };
const inbox = async () => ((await (await fetch(`${runtime.inboxUrl}/store`)).json()) as { emails: InboxMail[] }).emails;

describe('qualification through the HTTP API on the local stack', () => {
  it('criteria: create, edit the draft, publish immutable versions, refuse bad input by name', async () => {
    expect((await call('POST', '/criteria', '{oops')).status).toBe(400);
    const invalid = await call('POST', '/criteria', {
      name: 'x',
      fit: { rules: [{ name: 'r', when: { attribute: 'industry', op: 'range', min: 'a' } }] },
    });
    expect(invalid.status).toBe(422);
    expect(JSON.stringify(invalid.body.error.details)).toContain('range needs an ordered attribute');
    const created = await call('POST', '/criteria', { name: 'Hand-raisers only', engagement: { humanClick: 1, threshold: 50 } });
    expect(created.status).toBe(201);
    const id = created.body.criteriaId as string;
    expect((await call('POST', `/criteria/${id}/publish`)).status).toBe(201);
    expect((await call('PUT', `/criteria/${id}/draft`)).status).toBe(400);
    expect(
      (
        await call('PUT', `/criteria/${id}/draft?revision=1`, {
          name: 'Hand-raisers only, v2',
          engagement: { humanClick: 1, threshold: 60 },
        })
      ).status,
    ).toBe(200);
    expect((await call('PUT', `/criteria/${id}/draft?revision=1`, { name: 'stale' })).status).toBe(409);
    expect((await call('POST', `/criteria/${id}/publish`, {})).body.version.version).toBe(2);
    const again = await call('POST', `/criteria/${id}/publish`);
    expect([again.status, again.body.published, again.body.version.version]).toEqual([200, false, 2]);
    expect((await call('GET', `/criteria/${id}/versions/1`)).body.document.engagement.threshold).toBe(50);
    expect((await call('GET', `/criteria/${id}/versions`)).body.items.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect((await call('GET', `/criteria/${id}/versions/9`)).status).toBe(404);
    expect((await call('GET', `/criteria/${id}/versions/first`)).status).toBe(400);
    expect((await call('GET', '/criteria/crit_nope')).status).toBe(404);
  });

  it('a hand-raiser click, clicked twice and replayed, makes one lead, one Lead Qualified event and one email to the routed owner', async () => {
    const criteria = await call('POST', '/criteria', {
      name: 'Hand-raisers',
      engagement: { humanClick: 1, threshold: 50 },
      handRaiser: { intents: ['contact-sales'] },
    });
    await call('POST', `/criteria/${criteria.body.criteriaId}/publish`);
    const emails = ['hana@northwind.example', 'hugo@northwind.example'];
    await call('POST', '/contacts/import', {
      contacts: emails.map((email) => ({ email, firstName: 'H', company: 'Northwind', country: 'DE', consent: true })),
    });
    expect(
      (
        await call('PUT', '/routing', {
          territories: [{ name: 'DACH', countries: ['DE'], team: 'emea' }],
          teams: { emea: { members: ['eva@acme.example'] } },
        })
      ).status,
    ).toBe(200);
    const campaign = await call('POST', '/campaigns', {
      name: 'Demo day',
      subject: 'Hi',
      fromAddress: 'news@acme.example',
      criteriaId: criteria.body.criteriaId,
      textTemplate: 'Hi',
      htmlTemplate:
        '<p><a ses:tags="intent:contact-sales;" href="https://acme.example/talk-to-sales">Talk to sales</a> <a href="https://acme.example/blog">Blog</a></p>',
    });
    expect(campaign.status).toBe(201);
    const campaignId = campaign.body.campaignId as string;
    await call('POST', `/campaigns/${campaignId}/send`);
    await runtime.settle();

    const captured: EventEnvelope[] = [];
    runtime.buses.project.addRule('test-tap', { source: [projectEventSource] }, async (e) => void captured.push(e));
    const [hana, hugo] = emails.map((e) => contactIdFor(e));
    const later = (contactId: string) =>
      new Date(Date.parse(runtime.sesPlayback.messageFor(campaignId, contactId)!.sentAt) + 600_000).toISOString();
    const human = { userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0', ipAddress: '198.51.100.7' };
    const token = runtime.sesPlayback.messageFor(campaignId, hana!)!.token;
    await runtime.sesPlayback.click(token, 'https://acme.example/talk-to-sales', { ...human, at: later(hana!) });
    await runtime.sesPlayback.click(token, 'https://acme.example/talk-to-sales', { ...human, at: later(hana!) }); // SES publishes it twice
    await runtime.sesPlayback.click(runtime.sesPlayback.messageFor(campaignId, hugo!)!.token, 'https://acme.example/blog', {
      ...human,
      at: later(hugo!),
    });
    await runtime.settle();
    // The Lead Qualified event is delivered again (EventBridge is at-least-once).
    const heard = [...captured];
    for (const e of heard) await runtime.buses.project.publish(e);
    await runtime.settle();

    expect(heard).toHaveLength(1);
    expect(captured).toHaveLength(2); // the original and its repeat
    const detail = leadQualifiedDetailSchema.parse(heard[0]!.detail);
    expect(heard[0]!['detail-type']).toBe(leadQualifiedDetailType);
    expect(detail.lead).toMatchObject({
      contactId: hana,
      campaignId,
      handRaiser: true,
      owner: 'eva@acme.example',
      routedBy: 'territory',
      criteriaVersion: 1,
    });
    expect(JSON.stringify(detail)).not.toContain('hana@northwind.example');
    const toSales = (await inbox()).filter((m) => m.destination.to.includes('eva@acme.example'));
    expect(toSales).toHaveLength(1);
    expect(toSales[0]!.subject).toBe('Hand-raiser: H (Northwind)');
    expect(toSales[0]!.body.text).toContain('Clicked: clicked https://acme.example/talk-to-sales (intent contact-sales)');
    expect((await call('GET', `/leads/${hugo}`)).status).toBe(404); // a plain click scores 1 of 50

    // Sales feedback through the API, and the rates it feeds.
    expect((await call('POST', `/leads/${hana}/feedback`, { action: 'accept' })).body.lead.stage).toBe('sal');
    expect((await call('POST', `/leads/${hana}/feedback`, { action: 'qualify' })).body.lead.stage).toBe('sql');
    expect((await call('POST', `/leads/${hana}/feedback`, { action: 'stage', stage: 'meeting' })).body.lead.stage).toBe('meeting');
    const back = await call('POST', `/leads/${hana}/feedback`, { action: 'stage', stage: 'proposal', leadId: 'ld_other' });
    expect([back.status, back.body.error.code]).toEqual([409, 'CONFLICT']);
    expect((await call('POST', `/leads/${hana}/feedback`, { action: 'promote' })).status).toBe(422);
    const rates = await call('GET', `/qualification/rates?campaignIds=${campaignId}`);
    expect(rates.body.total).toMatchObject({
      mqls: 1,
      accepted: 1,
      qualified: 1,
      rejected: 0,
      open: 0,
      mqlToSal: 1,
      salToSql: 1,
      mqlToSql: 1,
    });
    expect((await call('GET', '/qualification/rates')).status).toBe(400);

    // An engagement event posted for Hugo: recorded once; backtest of a draft that scores it.
    const post = { type: 'webinar-attended', eventId: 'zoom-1', campaignId };
    expect((await call('POST', `/contacts/${hugo}/engagement`, post)).status).toBe(201);
    expect((await call('POST', `/contacts/${hugo}/engagement`, post)).body).toMatchObject({
      recorded: false,
      qualification: 'not-qualified',
    });
    expect((await call('POST', '/contacts/ct_nobody/engagement', post)).status).toBe(404);
    expect((await call('POST', `/contacts/${hugo}/engagement`, { type: 'webinar attended' })).status).toBe(422);
    await call('PUT', `/criteria/${criteria.body.criteriaId}/draft`, {
      name: 'Webinars count',
      engagement: { humanClick: 1, events: { 'webinar-attended': 49 }, threshold: 50 },
    });
    const backtest = await call('POST', `/criteria/${criteria.body.criteriaId}/backtest`, {
      campaignIds: [campaignId],
      monthlyTarget: 10,
      monthlyVolume: 1000,
    });
    expect(backtest.status).toBe(200);
    expect(backtest.body.campaigns[0]).toMatchObject({
      campaignId,
      delivered: 2,
      engagedContacts: 2,
      wouldQualify: 2,
      handRaisers: 1,
      mqlsToday: 1,
      acceptedBySales: 1,
      currentMqls: 1,
    });
    expect(backtest.body.forecast).toMatchObject({ mqlsPerDelivered: 1, projectedMqlsPerMonth: 1000, enough: true, volumeNeeded: 10 });
    expect((await call('POST', `/criteria/${criteria.body.criteriaId}/backtest`, { campaignIds: ['cmp_nope'] })).status).toBe(422);

    // A subject access request shows the ledger; erasure seals it and strips the lead of the person.
    const exported = await call('GET', `/contacts/${hana}/export`);
    expect(exported.body.activities.map((a: { kind: string; linkUrl?: string }) => [a.kind, a.linkUrl])).toEqual([
      ['click', 'https://acme.example/talk-to-sales'],
    ]);
    const erased = await call('DELETE', `/contacts/${hana}`);
    expect([erased.status, erased.body.activitiesSealed, erased.body.leadAnonymised]).toEqual([200, 1, true]);
    const after = (await call('GET', `/leads/${hana}`)).body;
    expect(after.lead).toMatchObject({
      reasons: [],
      stage: 'meeting',
      owner: 'eva@acme.example',
      fit: { matched: [] },
      engagement: { contributions: [] },
    });
    expect(after.lead.trigger.linkUrl).toBeUndefined();
    expect(after.history).toEqual([expect.objectContaining({ kind: 'click', machine: true })]);
    expect(after.history[0].linkUrl).toBeUndefined();
    expect((await call('POST', `/contacts/${hana}/engagement`, { type: 'webinar-attended' })).status).toBe(404);
  });

  it('sets a malformed Lead Qualified event aside with its reason instead of retrying it', async () => {
    await runtime.buses.project.publish({
      version: '0',
      id: 'evt-malformed-1',
      source: projectEventSource,
      'detail-type': leadQualifiedDetailType,
      account: '0',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: { schemaVersion: 1, lead: { campaignId: 'cmp_x' } },
    });
    await runtime.settle();
    const db = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(runtime.endpoints.dynamodb)));
    const today = new Date().toISOString().slice(0, 10);
    const letters = await db.send(
      new QueryCommand({
        TableName: 'mql-pipeline',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `DEADLETTER#${today}` },
      }),
    );
    const letter = letters.Items?.find((i) => i.eventId === 'evt-malformed-1');
    expect(letter).toMatchObject({ source: 'notifier' });
    expect(letter!.reason).toMatch(/^malformed Lead Qualified event: lead\.contactId: /);
  });
});
