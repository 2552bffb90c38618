import { SESv2Client, SendBulkEmailCommand } from '@aws-sdk/client-sesv2';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../functions/observability';
import { localClientConfig } from '../../infra/local/stand-ins';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';
import { signUnsubscribeToken } from '../../lib/contacts/unsubscribe-token';
import type { CampaignStats } from '../../lib/sending/campaign-stats';

logger.setLogLevel('ERROR');
const RATE = 25;
let runtime: LocalRuntime;
/** The contact id of an email, as the runtime's API makes it (keyed). */
const contactIdFor = (email: string) => runtime.app.contactIds.idFor(email);

beforeAll(async () => {
  // The local SES enforces 25 messages a second; the pipeline is not told the rate and reads it from GetAccount.
  runtime = await startLocalRuntime({ sesMaxSendRate: RATE, sending: { recipientsPerJob: 20, fanoutPageSize: 100 } });
});
afterAll(async () => runtime.stop());

type Mail = {
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: { name: string; value: string }[];
};
const inbox = async () => ((await (await fetch(`${runtime.inboxUrl}/store`)).json()) as { emails: Mail[] }).emails;
const api = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const r = await fetch(runtime.apiUrl + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return {
    status: r.status,
    type: r.headers.get('content-type') ?? '',
    text,
    json: (r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined) as T,
  };
};

const team = Array.from({ length: 60 }, (_, i) => ({
  email: `pace${i}@northwind.example`,
  firstName: `P${i}`,
  industry: 'Software',
  consent: true,
}));
const special = [
  { email: 'zoe@northwind.example', firstName: 'Zoë <script>alert(1)</script>', industry: 'Software', consent: true },
  { email: 'lei@northwind.example', firstName: '李雷', industry: 'Software', consent: true },
];
const excluded = [
  { email: 'nope@northwind.example', industry: 'Software', consent: false },
  { email: 'left@northwind.example', industry: 'Software', consent: true },
];
let campaignId: string;
let profileId: string;

async function createCampaign(industry: string) {
  const { json, status } = await api<{ campaignId: string }>('POST', '/campaigns', {
    name: 'Pace',
    subject: 'Hi {{firstName}}, the Q3 review',
    fromAddress: 'Acme <news@acme.example>',
    htmlTemplate: '<p>Hi {{firstName}}</p><p><a href="https://acme.example/q3">Q3</a> <a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
    textTemplate: 'Hi {{firstName}} — unsubscribe: {{unsubscribeUrl}}',
    fallbacks: { firstName: 'there' },
    profileId,
    audience: { kind: 'segment', conditions: [{ attribute: 'industry', in: [industry] }] },
  });
  expect(status).toBe(201);
  return json.campaignId;
}

describe('sending on the embedded stack, with a local SES that throttles above its rate', () => {
  it('sends every recipient once at the rate read from GetAccount, recovering from a burst of other mail that throttles it', async () => {
    await api('POST', '/contacts/import', { contacts: [...team, ...special, ...excluded] });
    await runtime.app.adapters.contacts.suppress(contactIdFor('left@northwind.example'), 'unsubscribed', new Date().toISOString());
    profileId = (await api<{ profileId: string }>('POST', '/profiles', { name: 'Software' })).json.profileId;
    campaignId = await createCampaign('Software');

    expect((await api('POST', `/campaigns/${campaignId}/send`)).status).toBe(202);
    // Once the campaign's first call is in, another application on the same account sends two
    // seconds' worth of mail in one call (SES accepts it and then refuses everything until the
    // quota is paid back): the campaign's next calls are throttled.
    const traffic = runtime.sesTraffic!;
    while (traffic.messages === 0) await new Promise((r) => setTimeout(r, 5));
    const other = new SESv2Client({ ...localClientConfig(runtime.sesEndpoint), maxAttempts: 1 });
    await other.send(
      new SendBulkEmailCommand({
        FromEmailAddress: 'ops@acme.example',
        DefaultContent: { Template: { TemplateContent: { Subject: 'ops', Text: 'ops' }, TemplateData: '{}' } },
        BulkEmailEntries: Array.from({ length: RATE * 2 }, (_, i) => ({ Destination: { ToAddresses: [`ops${i}@acme.example`] } })),
      }),
    );
    other.destroy();
    await runtime.settle();

    const received = (await inbox()).filter((m) => m.subject.endsWith('the Q3 review')).map((m) => m.destination.to[0]);
    expect(received.sort()).toEqual([...team, ...special].map((c) => c.email).sort());
    expect(traffic.throttledCalls).toBeGreaterThan(0); // the campaign was throttled, backed off, and lost nobody
    const stats = (await api<CampaignStats>('GET', `/campaigns/${campaignId}/stats`)).json;
    expect(stats.status).toBe('sent');
    expect(stats.sending).toMatchObject({
      recipients: 62,
      sent: 62,
      failed: 0,
      remaining: 0,
      excluded: { 'no-consent': 1, unsubscribed: 1 },
      excludedTotal: 2,
    });
    expect(stats.metrics.sent).toBe(62); // SES's own Send events agree
  });

  it('puts RFC 8058 headers, escaped personalisation and non-ASCII names on the message the local SES received', async () => {
    const mails = (await inbox()).filter((m) => m.subject.endsWith('the Q3 review'));
    const zoe = mails.find((m) => m.destination.to[0] === 'zoe@northwind.example')!;
    const header = (m: Mail, name: string) => m.headers?.find((h) => h.name === name)?.value;
    expect(header(zoe, 'List-Unsubscribe')).toMatch(
      new RegExp(
        `^<${runtime.app.config.unsubscribeBaseUrl}/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+>, <mailto:unsubscribe@acme\\.example\\?subject=unsubscribe>$`,
      ),
    );
    expect(header(zoe, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(zoe.body.html).toContain('<p>Hi Zoë &lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(zoe.body.html).not.toContain('<script>');
    expect(zoe.body.text).toContain('Hi Zoë <script>alert(1)</script> — unsubscribe: http');
    expect(zoe.subject).toBe('Hi Zoë <script>alert(1)</script>, the Q3 review');
    const lei = mails.find((m) => m.destination.to[0] === 'lei@northwind.example')!;
    expect([lei.subject, lei.body.html, lei.body.text].every((part) => part?.includes('李雷'))).toBe(true);
    // Each recipient's link is their own.
    expect(new Set(mails.map((m) => header(m, 'List-Unsubscribe'))).size).toBe(mails.length);
  });

  it('unsubscribes with one POST, shows a page that changes nothing on GET, and refuses forged or tampered links', async () => {
    const mail = (await inbox()).find((m) => m.destination.to[0] === 'pace7@northwind.example' && m.subject.endsWith('the Q3 review'))!;
    const url = mail.headers!.find((h) => h.name === 'List-Unsubscribe')!.value.match(/^<([^>]+)>/)![1]!;
    const path = new URL(url).pathname;
    const contactId = contactIdFor('pace7@northwind.example');
    const suppressed = async (id: string) => (await runtime.app.adapters.contacts.get(id))?.suppressed;

    const page = await api('GET', path);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<form method="post">');
    expect(await suppressed(contactId)).toBeUndefined(); // a link scanner's GET unsubscribes nobody

    const forged = signUnsubscribeToken({ campaignId, contactId: contactIdFor('pace8@northwind.example') }, 'not-our-secret'.repeat(3));
    const [payload, signature] = path.slice('/u/'.length).split('.') as [string, string];
    const tampered = `${Buffer.from(`${campaignId}.${contactIdFor('pace9@northwind.example')}`).toString('base64url')}.${signature}`;
    for (const bad of [forged, tampered, `${payload}.`, 'nonsense']) {
      expect((await api('POST', `/u/${bad}`)).status).toBe(400);
      expect((await api('GET', `/u/${bad}`)).status).toBe(400);
    }
    expect(await suppressed(contactIdFor('pace8@northwind.example'))).toBeUndefined();
    expect(await suppressed(contactIdFor('pace9@northwind.example'))).toBeUndefined();

    // What a mailbox provider sends (RFC 8058), then a person's second click on the page's button.
    const oneClick = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    const again = await api('POST', path, undefined, { accept: 'text/html' });
    expect(again.status).toBe(200);
    expect(again.text).toContain('You are unsubscribed');
    expect((await api('GET', path)).text).toContain('You are unsubscribed');
    expect(await suppressed(contactId)).toBe('unsubscribed');
    await runtime.settle();
    const stats = (await api<CampaignStats>('GET', `/campaigns/${campaignId}/stats`)).json;
    expect(stats.metrics.unsubscribed).toBe(1); // counted once, however many times it was posted
  });

  it('pauses, resumes and cancels through the API, refusing moves the status does not allow', async () => {
    const id = await createCampaign('software');
    expect((await api('POST', `/campaigns/${id}/pause`)).status).toBe(409); // a draft has nothing to pause
    await api('POST', `/campaigns/${id}/send`);
    const paused = await api('POST', `/campaigns/${id}/pause`);
    expect(paused).toMatchObject({ status: 202, json: { campaignId: id, status: 'paused', changed: true } });
    await runtime.settle();
    const during = (await api<CampaignStats>('GET', `/campaigns/${id}/stats`)).json;
    expect(during.status).toBe('paused');
    expect(during.sending.pausedReason).toBe('paused on request');
    expect(during.sending.sent).toBeLessThan(61);
    expect((await api('POST', `/campaigns/${id}/resume`)).json).toMatchObject({ status: 'sending', changed: true });
    await runtime.settle();
    const after = (await api<CampaignStats>('GET', `/campaigns/${id}/stats`)).json;
    expect(after).toMatchObject({ status: 'sent', sending: { recipients: 61, sent: 61, remaining: 0 } }); // pace7 unsubscribed meanwhile
    const received = (await inbox()).filter((m) => m.subject.endsWith('the Q3 review')).map((m) => m.destination.to[0]);
    expect(received.filter((e) => e === 'pace3@northwind.example')).toHaveLength(2); // once per campaign
    expect((await api('POST', `/campaigns/${id}/cancel`)).status).toBe(409);
    expect((await api('POST', '/campaigns/cmp_none/resume')).status).toBe(404);
  });

  it('refuses a bad audience or a placeholder without a fallback with 422 naming the field, creating nothing', async () => {
    const base = {
      name: 'Bad',
      subject: 'Hi',
      fromAddress: 'a@acme.example',
      htmlTemplate: '<p>Hi</p>',
      textTemplate: 'Hi',
      profileId,
    };
    const before = (await api<{ items: unknown[] }>('GET', '/campaigns?limit=100')).json.items.length;
    const shoe = await api<{ error: { details: { path: (string | number)[] }[] } }>('POST', '/campaigns', {
      ...base,
      audience: { kind: 'segment', conditions: [{ attribute: 'shoeSize', in: ['9'] }] },
    });
    expect(shoe.status).toBe(422);
    expect(shoe.json.error.details[0]!.path.slice(0, 3)).toEqual(['audience', 'conditions', 0]);
    const empty = await api<{ error: { details: { message: string }[] } }>('POST', '/campaigns', { ...base, audience: { kind: 'list' } });
    expect([empty.status, empty.json.error.details[0]!.message]).toEqual([422, 'a list audience names at least one contact id or email']);
    const bare = await api<{ error: { message: string; details: { path: string[] }[] } }>('POST', '/campaigns', {
      ...base,
      htmlTemplate: '<p>Hi {{company}}</p>',
    });
    expect(bare.status).toBe(422);
    expect(bare.json.error.message).toMatch(/^no fallback for company: .*fallbacks\.company/);
    expect(bare.json.error.details[0]!.path).toEqual(['htmlTemplate']);
    expect((await api<{ items: unknown[] }>('GET', '/campaigns?limit=100')).json.items.length).toBe(before);
  });

  it('drives pause and cancel from the mql CLI', async () => {
    const id = await createCampaign('Software');
    const mql = (...args: string[]) =>
      promisify(execFile)('npx', ['tsx', 'cli/mql.ts', '--endpoint', runtime.apiUrl, ...args], { cwd: `${__dirname}/../..` });
    expect(JSON.parse((await mql('--json', 'campaign', 'cancel', id)).stdout)).toMatchObject({
      campaignId: id,
      status: 'cancelled',
      changed: true,
    });
    await expect(mql('campaign', 'pause', id)).rejects.toMatchObject({ stderr: expect.stringContaining('error 409 CONFLICT') });
  });
});
