import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../functions/observability';
import { computeMetrics } from '../../lib/engagement/metrics';
import { signUnsubscribeToken } from '../../lib/contacts/unsubscribe-token';
import { localClientConfig } from '../../infra/local/stand-ins';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';

logger.setLogLevel('ERROR');
const fixtureDir = join(__dirname, '../fixtures/ses-eventbridge');
let runtime: LocalRuntime;
/** The contact id of an email, as the runtime's API makes it (keyed). */
const contactIdFor = (email: string) => runtime.app.contactIds.idFor(email);
let eventBridge: EventBridgeClient;

beforeAll(async () => {
  runtime = await startLocalRuntime();
  eventBridge = new EventBridgeClient(localClientConfig(runtime.eventBridgeUrl));
});
afterAll(async () => {
  eventBridge.destroy();
  await runtime.stop();
});

/** PutEvents with the real SDK: a captured EventBridge event goes back in as Source/DetailType/Detail. */
async function replay(events: { source: string; 'detail-type': string; detail: unknown; time?: string }[]) {
  for (let i = 0; i < events.length; i += 10) {
    const result = await eventBridge.send(
      new PutEventsCommand({
        Entries: events
          .slice(i, i + 10)
          .map((e) => ({ EventBusName: 'default', Source: e.source, DetailType: e['detail-type'], Detail: JSON.stringify(e.detail) })),
      }),
    );
    expect(result.FailedEntryCount).toBe(0);
  }
  await runtime.settle();
}

async function deadLetterReasons(): Promise<string[]> {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(runtime.endpoints.dynamodb)));
  const today = new Date().toISOString().slice(0, 10);
  const letters = await db.send(
    new QueryCommand({
      TableName: 'mql-pipeline',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `DEADLETTER#${today}` },
    }),
  );
  return (letters.Items ?? []).map((i) => String(i.reason));
}

/** A campaign that was sent to these contacts under these SES message ids, as the sender records it. */
async function sentCampaign(campaignId: string, sends: { contactId: string; messageId: string; at: string }[]) {
  const { campaigns, ledger } = runtime.app.adapters;
  await campaigns.create({
    campaignId,
    name: campaignId,
    subject: 's',
    fromAddress: 'a@acme.example',
    htmlTemplate: '<p>hi</p>',
    textTemplate: 'hi',
    links: {},
    status: 'sending',
    createdAt: '2026-03-02T13:00:00.000Z',
    sendRequestedAt: '2026-03-02T13:59:00.000Z',
  } as never);
  await ledger.recordOutcomes(
    campaignId,
    sends.map((s) => ({ ...s, state: 'sent' as const })),
  );
}

const call = async (method: string, path: string, body?: string) => {
  const r = await fetch(runtime.apiUrl + path, { method, body, headers: body !== undefined ? { 'content-type': 'application/json' } : {} });
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
};

describe('the local runtime', () => {
  it('sets captured SES events of another account, for a campaign it never sent, aside: they count nothing', async () => {
    const fixtures = readdirSync(fixtureDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')));
    await replay(fixtures);
    // The fixtures are account 123456789012's; the local bus is account 000000000000's, as PutEvents makes it.
    expect(await runtime.app.adapters.engagement.campaignCounters('cmp_01JD8Q3V6W')).toEqual({
      counters: {},
      linkUrls: {},
      complete: true,
    });
    const reasons = await deadLetterReasons();
    expect(reasons.filter((r) => r === 'foreign account: sendingAccountId 123456789012 is not the bus account')).toHaveLength(
      fixtures.length,
    );
    expect(runtime.queues.events.deadLetters).toEqual([]);
  });

  it('sets a malformed event aside with its reason and counts nothing for it', async () => {
    const click = JSON.parse(readFileSync(join(fixtureDir, 'click.json'), 'utf8'));
    delete click.detail.click.link;
    click.detail.mail.tags.campaignId = ['cmp_malformed'];
    await replay([click]);
    expect(await deadLetterReasons()).toContain('malformed Click event: click.link: Invalid input: expected string, received undefined');
    expect(await runtime.app.adapters.engagement.campaignCounters('cmp_malformed')).toEqual({ counters: {}, linkUrls: {}, complete: true });
    expect(runtime.queues.events.deadLetters).toEqual([]);
  });

  it('counts the good events of a batch that carries a poison message, and sets only the poison aside', async () => {
    const { sesEvent } = await import('../../infra/local/ses-events');
    const mail = (n: number) => ({
      messageId: `mix-${n}`,
      sentAt: '2026-03-02T14:00:00.000Z',
      from: 'a@acme.example',
      to: `p${n}@northwind.example`,
      subject: 's',
      configurationSet: 'mql-pipeline-events',
      campaignId: 'cmp_mixed',
      contactId: `ct_mix${n}`,
    });
    await sentCampaign(
      'cmp_mixed',
      [0, 1, 2].map((n) => ({ contactId: `ct_mix${n}`, messageId: `mix-${n}`, at: '2026-03-02T14:00:01.000Z' })),
    );
    const good = [0, 1, 2].flatMap((n) => [
      sesEvent('Send', mail(n)),
      sesEvent('Delivery', mail(n), { at: '2026-03-02T14:00:02.000Z' }),
      sesEvent('Open', mail(n), { at: '2026-03-02T15:00:00.000Z', userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0' }),
    ]);
    const poison = { ...sesEvent('Open', mail(9)), detail: { eventType: 'Open', mail: { messageId: 'x' } } };
    const invocationsBefore = runtime.queues.events.invocations;
    await replay([...good.slice(0, 5), poison, ...good.slice(5)]);
    expect(runtime.queues.events.invocations - invocationsBefore).toBe(1); // one batch held them all
    const m = computeMetrics((await runtime.app.adapters.engagement.campaignCounters('cmp_mixed')).counters);
    expect({ sent: m.sent, delivered: m.delivered, opens: m.uniqueOpens }).toEqual({ sent: 3, delivered: 3, opens: 3 });
    expect(runtime.queues.events.deadLetters).toEqual([]);
  });

  it('unsubscribes with one POST of a signed token, idempotently, and refuses a tampered one', async () => {
    await runtime.app.importContacts([{ email: 'una@northwind.example', consent: true }]);
    const contactId = contactIdFor('una@northwind.example');
    const token = signUnsubscribeToken({ campaignId: 'cmp_x', contactId }, runtime.app.config.unsubscribeSecret!);
    const tampered = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA');
    const refused = await call('POST', `/u/${tampered}`);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect((await runtime.app.adapters.contacts.get(contactId))?.suppressed).toBeUndefined();

    expect((await call('POST', `/u/${token}`)).status).toBe(200);
    expect((await call('POST', `/u/${token}`)).status).toBe(200);
    const page = await call('GET', `/u/${token}`);
    expect(page.type).toMatch(/text\/html/);
    expect(page.text).toContain('You are unsubscribed');
    expect((await runtime.app.adapters.contacts.get(contactId))?.suppressed).toBe('unsubscribed');
  });

  it('answers bad API input with a clear 4xx and an error body, never a stack trace', async () => {
    const cases: [string, string, string | undefined, number, string][] = [
      ['POST', '/campaigns', '{bad', 400, 'MALFORMED_JSON'],
      ['POST', '/campaigns', '', 400, 'EMPTY_BODY'],
      ['POST', '/campaigns', JSON.stringify({ name: 'x' }), 422, 'VALIDATION_FAILED'],
      ['POST', '/profiles', JSON.stringify({ name: 'x', unknownField: 1 }), 422, 'VALIDATION_FAILED'],
      ['POST', '/contacts/import', JSON.stringify({ contacts: 'nope' }), 422, 'VALIDATION_FAILED'],
      ['GET', '/campaigns/cmp_nope', undefined, 404, 'NOT_FOUND'],
      ['DELETE', '/campaigns', undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['POST', '/contacts/import', 'x'.repeat(2 * 1024 * 1024), 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await call(method, path, body);
      expect({ path, status: r.status }).toEqual({ path, status });
      const parsed = JSON.parse(r.text) as { error: { code: string; message: string; details: unknown } };
      expect(parsed.error.code).toBe(code);
      expect(parsed.error.message).not.toMatch(/\bat .+\(.+:\d+:\d+\)/);
    }
  });

  it('rejects a campaign whose subject would inject a header, or whose template names an unknown placeholder', async () => {
    const profile = JSON.parse((await call('POST', '/profiles', JSON.stringify({ name: 'p' }))).text) as { profileId: string };
    const base = {
      name: 'c',
      subject: 's',
      fromAddress: 'a@acme.example',
      htmlTemplate: '<p>{{firstName}}</p>',
      textTemplate: 't',
      fallbacks: { firstName: 'there' },
      profileId: profile.profileId,
    };
    const injected = await call('POST', '/campaigns', JSON.stringify({ ...base, subject: 'Hi\r\nBcc: all@example.com' }));
    expect(injected.status).toBe(422);
    expect(injected.text).toContain('subject: must not contain control characters');
    const unknown = await call('POST', '/campaigns', JSON.stringify({ ...base, htmlTemplate: '<p>{{favouriteColour}} {{firstName}}</p>' }));
    expect(unknown.status).toBe(422);
    expect(JSON.parse(unknown.text).error.details).toEqual([
      { in: 'body', path: ['htmlTemplate'], message: 'unknown placeholder {{favouriteColour}}' },
    ]);
    expect((await call('GET', '/campaigns')).text).not.toContain('favouriteColour');
  });
});
