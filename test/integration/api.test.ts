import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApiHandler, MAX_BODY_BYTES } from '../../functions/api/handler';
import { logger } from '../../functions/observability';
import { sesEventsPattern } from '../../infra/event-patterns';
import type { EventEnvelope } from '../../infra/local/event-bus';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';
import { TransientDependencyError } from '../../lib/common/errors';
import { expectDocumented } from '../support/openapi-responses';

/**
 * The HTTP API as a marketer's client meets it: over HTTP on the local runtime (the same handler and
 * adapters as on AWS). Every answer is also checked against the committed OpenAPI document.
 */
logger.setLogLevel('CRITICAL');
let runtime: LocalRuntime;
/** The contact id of an email, as the runtime's API makes it (keyed). */
const contactIdFor = (email: string) => runtime.app.contactIds.idFor(email);
const published: EventEnvelope[] = [];

beforeAll(async () => {
  runtime = await startLocalRuntime();
  runtime.buses.default.addRule('test-tap', sesEventsPattern(runtime.app.config.configurationSetName), async (e) => void published.push(e));
});
afterAll(async () => runtime.stop());

// biome-ignore lint/suspicious/noExplicitAny: answers are read loosely; the document's schemas check their shape (openapi-responses.ts)
interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

// biome-ignore lint/suspicious/noExplicitAny: as above
async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const raw = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(runtime.apiUrl + path, {
    method,
    body: raw,
    headers: { ...(raw !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
  });
  const text = await response.text();
  const parsed = response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  if (response.status !== 405 && response.status !== 404) expectDocumented(method, path, response.status, parsed);
  else if (response.status === 404 && !path.startsWith('/nope')) expectDocumented(method, path, response.status, parsed);
  return { status: response.status, body: parsed, headers: response.headers };
}

const csv = (text: string, query = '') => call('POST', `/contacts/import${query}`, text, { 'content-type': 'text/csv' });

const campaignInput = (profileId: string, extra: Record<string, unknown> = {}) => ({
  name: 'Spring launch',
  subject: 'Hello {{default firstName "there"}}',
  fromAddress: 'Acme <news@acme.example>',
  htmlTemplate: '<p>Hi {{firstName}}</p><a href="https://acme.example/pricing">Pricing</a> <a href="{{unsubscribeUrl}}">Unsubscribe</a>',
  textTemplate: 'Hi {{firstName}} — https://acme.example/pricing — {{unsubscribeUrl}}',
  fallbacks: { firstName: 'there' },
  profileId,
  ...extra,
});

async function profile(): Promise<string> {
  return (await call('POST', '/profiles', { name: 'Anyone' })).body.profileId;
}

async function inbox(): Promise<{ to: string; subject: string; html: string }[]> {
  const store = (await (await fetch(`${runtime.inboxUrl}/store`)).json()) as {
    emails: { destination: { to: string[] }; subject: string; body: { html?: string } }[];
  };
  return store.emails.map((e) => ({ to: e.destination.to[0]!, subject: e.subject, html: e.body.html ?? '' }));
}

describe('the API contract for bad input', () => {
  it('answers malformed JSON with 400 MALFORMED_JSON, without echoing the body', async () => {
    const r = await call('POST', '/campaigns', '{"name": "secret@person.example",', { 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('MALFORMED_JSON');
    expect(JSON.stringify(r.body)).not.toContain('secret@person.example');
  });

  it('answers an empty body with 400 EMPTY_BODY and a whitespace-only one too', async () => {
    for (const body of ['', '   \n']) {
      const r = await call('POST', '/campaigns', body, { 'content-type': 'application/json' });
      expect([r.status, r.body.error.code]).toEqual([400, 'EMPTY_BODY']);
    }
  });

  it('answers wrong types, unknown fields and missing fields with 422 and one zod path per problem', async () => {
    const profileId = await profile();
    const r = await call('POST', '/campaigns', { ...campaignInput(profileId), name: 42, colour: 'red', textTemplate: undefined });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    const paths = (r.body.error.details as { in: string; path: unknown[] }[]).map((d) => `${d.in}:${d.path.join('.')}`);
    expect(paths).toEqual(expect.arrayContaining(['body:name', 'body:textTemplate', 'body:']));
    expect(r.body.error.details.find((d: { path: string[] }) => d.path.length === 0).message).toContain('colour');
    expect(r.body.error.message).toMatch(/^invalid request body: /);
  });

  it('refuses bodies over the documented limit with 413, on the wire and in the handler alike', async () => {
    const big = JSON.stringify({ contacts: [{ email: 'a@b.example', company: 'x'.repeat(MAX_BODY_BYTES) }] });
    const r = await call('POST', '/contacts/import', big, { 'content-type': 'application/json' });
    expect([r.status, r.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    // API Gateway hands the whole body to the function: the handler refuses it itself.
    const handler = makeApiHandler(runtime.app);
    const direct = await handler({
      rawPath: '/contacts/import',
      requestContext: { http: { method: 'POST' } },
      headers: { 'content-type': 'application/json' },
      body: big,
      isBase64Encoded: false,
    } as never);
    expect(direct.statusCode).toBe(413);
    expect(JSON.parse(direct.body!).error.message).toContain(String(MAX_BODY_BYTES));
  });

  it('refuses a media type it does not read with 415, naming the ones it does', async () => {
    const r = await call('POST', '/campaigns', '<xml/>', { 'content-type': 'application/xml' });
    expect([r.status, r.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(r.body.error.message).toContain('application/json');
  });

  it('refuses bad path, query and header parameters with 400 INVALID_PARAMETER', async () => {
    const id = await call('GET', '/contacts/someone@example.com');
    expect([id.status, id.body.error.code]).toEqual([400, 'INVALID_PARAMETER']);
    expect(id.body.error.message).toContain('GET /contacts?email=');
    const typo = await call('GET', '/contacts?industy=Software');
    expect([typo.status, typo.body.error.details[0].in]).toEqual([400, 'query']);
    const limit = await call('GET', '/contacts?limit=100000');
    expect(limit.body.error.details[0].path).toEqual(['limit']);
    const key = await call('POST', '/campaigns/cmp_x/send', undefined, { 'idempotency-key': 'not allowed: spaces' });
    expect([key.status, key.body.error.details[0].in]).toEqual([400, 'header']);
  });

  it('refuses a cursor it did not issue, or issued for other filters, with 400 INVALID_CURSOR', async () => {
    for (const cursor of [
      'garbage',
      Buffer.from(JSON.stringify({ s: 99 })).toString('base64url'),
      Buffer.from('{"pk":"CAMPAIGN#x"}').toString('base64url'),
    ]) {
      const r = await call('GET', `/contacts?cursor=${cursor}`);
      expect([r.status, r.body.error.code]).toEqual([400, 'INVALID_CURSOR']);
    }
    const campaigns = await call(
      'GET',
      `/campaigns?cursor=${Buffer.from('{"pk":"CONTACT#x","sk":"PROFILE","gsi1pk":"CONTACTS#1","gsi1sk":"x"}').toString('base64url')}`,
    );
    expect([campaigns.status, campaigns.body.error.code]).toEqual([400, 'INVALID_CURSOR']);
  });

  it('answers unknown routes with 404 and wrong methods with 405 and an Allow header', async () => {
    const missing = await call('GET', '/nope');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const wrong = await call('PUT', '/campaigns');
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'POST, GET']);
  });
});

describe('importing contacts', () => {
  it('imports good rows and reports each bad one by row, field and reason', async () => {
    const r = await call('POST', '/contacts/import', {
      contacts: [
        { email: 'Ada@Northwind.example', firstName: 'Ada', consent: true, interests: ['analytics'] },
        { email: 'not-an-email', firstName: 'Bob' },
        { email: 'cy@northwind.example', companySize: 'huge', favourite: 'blue' },
        'just a string',
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ received: 4, created: 1, updated: 0, rejected: 3 });
    expect(r.body.errors).toEqual([
      { row: 2, field: 'email', reason: 'email is not a valid email address' },
      { row: 3, field: 'companySize', reason: expect.stringContaining('1-10') },
      { row: 3, field: '(row)', reason: expect.stringContaining('favourite') },
      { row: 4, field: '(row)', reason: 'the row is not a contact: expected an object with its fields, got a string' },
    ]);
    expect((await call('GET', `/contacts/${contactIdFor('ada@northwind.example')}`)).body).toMatchObject({
      email: 'ada@northwind.example',
      interests: ['analytics'],
    });
    expect((await call('GET', `/contacts/${contactIdFor('cy@northwind.example')}`)).status).toBe(404);
  });

  it('imports the last valid row of a repeated email and rejects the earlier ones, naming the later row', async () => {
    const r = await call('POST', '/contacts/import', {
      contacts: [
        { email: 'dup@northwind.example', firstName: 'First' },
        { email: 'DUP@northwind.example', firstName: 'Second' },
        { email: 'dup@northwind.example', firstName: 'Third', companySize: 'wrong' },
      ],
    });
    expect(r.body).toMatchObject({ received: 3, created: 1, rejected: 2 });
    expect(r.body.errors[0]).toEqual({
      row: 1,
      field: 'email',
      reason: 'dup@northwind.example appears again in row 2; the last occurrence is imported',
    });
    expect((await call('GET', `/contacts/${contactIdFor('dup@northwind.example')}`)).body.firstName).toBe('Second');
  });

  it('reads CSV with a BOM, quoted commas, quotes and newlines, friendly headers and ;-separated interests', async () => {
    const text =
      '\uFEFFEmail,First Name,company,consent,interests,contact_me\r\n' +
      'eve@contoso.example,Eve,"Contoso, Ltd.",yes,analytics;security,no\r\n' +
      'fay@contoso.example,"Fay ""The Ace""","Line one\nLine two",1,,true\r\n';
    const r = await csv(text);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ received: 2, created: 2, rejected: 0 });
    const eve = (await call('GET', `/contacts/${contactIdFor('eve@contoso.example')}`)).body;
    expect(eve).toMatchObject({
      firstName: 'Eve',
      company: 'Contoso, Ltd.',
      consent: true,
      interests: ['analytics', 'security'],
      contactMe: false,
    });
    const fay = (await call('GET', `/contacts/${contactIdFor('fay@contoso.example')}`)).body;
    expect(fay).toMatchObject({ firstName: 'Fay "The Ace"', company: 'Line one\nLine two', contactMe: true });
  });

  it('reports CSV row problems per row: wrong field count, a bad yes/no, a bad email', async () => {
    const r = await csv(
      'email,company,consent\ngus@x.example,Acme,Inc,yes\nhal@x.example,Acme,maybe\nnope,Acme,yes\nivy@x.example,Acme,no\n',
    );
    expect(r.body).toMatchObject({ received: 4, created: 1, rejected: 3 });
    expect(r.body.errors.map((e: { row: number; field: string }) => `${e.row}:${e.field}`)).toEqual(['1:(row)', '2:consent', '3:email']);
    expect(r.body.errors[0].reason).toContain('double quotes');
  });

  it('refuses a file that cannot be read as a whole with 422 and writes nothing', async () => {
    const cases: [string, string, string][] = [
      ['email;firstName\njo@x.example;Jo\n', '', 'semicolon-separated'],
      ['email,firstName\n', '', 'no data rows'],
      ['', '', 'empty'],
      ['email,shoeSize\nkim@x.example,44\n', '', 'unknown column: shoeSize'],
      ['firstName\nKim\n', '', 'no email column'],
      ['email,company\nlee@x.example,"unclosed\n', '', 'never closed'],
    ];
    for (const [text, query, message] of cases) {
      const r = text ? await csv(text, query) : await call('POST', '/contacts/import', ' ', { 'content-type': 'text/csv' });
      expect({ status: r.status, message: r.body.error.message }).toEqual({
        status: text ? 422 : 400,
        message: expect.stringContaining(text ? message : 'empty'),
      });
    }
    expect((await call('GET', `/contacts?email=jo@x.example`)).body.items).toEqual([]);
    expect((await call('GET', `/contacts?email=lee@x.example`)).body.items).toEqual([]);
    const semicolon = await csv('email;firstName\njo@x.example;Jo\n', '?delimiter=semicolon');
    expect(semicolon.body).toMatchObject({ created: 1, rejected: 0 });
  });

  it('is non-destructive: never re-subscribes, never clears a value left out; consent false withdraws consent', async () => {
    const email = 'una.sub@northwind.example';
    await call('POST', '/contacts/import', { contacts: [{ email, firstName: 'Una', company: 'Northwind', consent: true }] });
    const contactId = contactIdFor(email);
    await runtime.app.adapters.contacts.suppress(contactId, 'unsubscribed', new Date().toISOString());
    const again = await call('POST', '/contacts/import', { contacts: [{ email, consent: false, role: 'CTO' }] });
    expect(again.body).toMatchObject({ created: 0, updated: 1, consentWithdrawn: [{ row: 1, contactId }] });
    const yes = await csv(`email,company,consent\n${email},,yes\n`);
    expect(yes.body).toMatchObject({ updated: 1, warnings: [{ row: 1, field: 'consent' }] });
    expect((await call('GET', `/contacts/${contactId}`)).body).toMatchObject({
      suppressed: 'unsubscribed',
      consent: false,
      company: 'Northwind',
      role: 'CTO',
      firstName: 'Una',
    });
  });

  it('stores HTML and script in names as data, and escapes them wherever a message renders them', async () => {
    const email = 'mallory@evil.example';
    const name = '<script>alert(1)</script><b>Mal</b>';
    await call('POST', '/contacts/import', { contacts: [{ email, firstName: name, consent: true }] });
    expect((await call('GET', `/contacts/${contactIdFor(email)}`)).body.firstName).toBe(name);
    const created = await call('POST', '/campaigns', campaignInput(await profile(), { contactIds: [contactIdFor(email)] }));
    await call('POST', `/campaigns/${created.body.campaignId}/send`, undefined, { 'idempotency-key': 'xss-1' });
    await runtime.settle();
    const mail = (await inbox()).find((m) => m.to === email)!;
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;Mal&lt;/b&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.subject).toBe(`Hello ${name}`); // the subject is text, not HTML
  });
});

describe('listing contacts', () => {
  const industries = ['Software', 'Retail', 'Banking'];
  beforeAll(async () => {
    const contacts = Array.from({ length: 90 }, (_, i) => ({
      email: `list${i}@fabrikam.example`,
      industry: industries[i % 3],
      country: i % 2 ? 'DE' : 'FR',
      consent: i % 5 !== 0,
      interests: i % 4 === 0 ? ['security'] : ['analytics'],
    }));
    await call('POST', '/contacts/import', { contacts });
  });

  async function all(query: string): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await call('GET', `/contacts?${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      ids.push(...r.body.items.map((c: { contactId: string }) => c.contactId));
      cursor = r.body.cursor;
      pages++;
    } while (cursor);
    return { ids, pages };
  }

  it('pages through every contact once with opaque cursors', async () => {
    const { ids, pages } = await all('limit=7');
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 0; i < 90; i++) expect(ids).toContain(contactIdFor(`list${i}@fabrikam.example`));
    expect(pages).toBeGreaterThan(10);
  });

  it('filters by attributes, interest and status, and every filtered page continues where the last stopped', async () => {
    const expected = (pick: (i: number) => boolean) =>
      Array.from({ length: 90 }, (_, i) => i)
        .filter(pick)
        .map((i) => contactIdFor(`list${i}@fabrikam.example`))
        .sort();
    const mine = (ids: string[]) => ids.filter((id) => expected(() => true).includes(id)).sort();
    expect(mine((await all('limit=4&industry=Software&country=DE')).ids)).toEqual(expected((i) => i % 3 === 0 && i % 2 === 1));
    expect(mine((await all('limit=5&interest=security')).ids)).toEqual(expected((i) => i % 4 === 0));
    expect(mine((await all('limit=9&status=no-consent&industry=Retail')).ids)).toEqual(expected((i) => i % 5 === 0 && i % 3 === 1));
  });

  it('finds one contact by email with a direct look-up, and refuses a cursor used with other filters', async () => {
    const r = await call('GET', '/contacts?email=LIST3@fabrikam.example');
    expect(r.body.items.map((c: { email: string }) => c.email)).toEqual(['list3@fabrikam.example']);
    const first = await call('GET', '/contacts?limit=2&industry=Software');
    const other = await call('GET', `/contacts?limit=2&industry=Retail&cursor=${first.body.cursor}`);
    expect([other.status, other.body.error.code]).toEqual([400, 'INVALID_CURSOR']);
  });
});

describe('campaigns', () => {
  it('creates, gets, lists and edits a draft; refuses unknown placeholders and header injection, creating nothing', async () => {
    const profileId = await profile();
    const before = (await call('GET', '/campaigns?limit=100')).body.items.length;
    const unknown = await call(
      'POST',
      '/campaigns',
      campaignInput(profileId, { htmlTemplate: '<p>{{favouriteColour}} {{shoeSize}}</p>', subject: 'Hi {{nickname}}' }),
    );
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.message).toMatch(/^unknown placeholders: nickname, favouriteColour, shoeSize \(known: firstName/);
    expect(unknown.body.error.details).toEqual([
      { in: 'body', path: ['subject'], message: 'unknown placeholder {{nickname}}' },
      { in: 'body', path: ['htmlTemplate'], message: 'unknown placeholder {{favouriteColour}}' },
      { in: 'body', path: ['htmlTemplate'], message: 'unknown placeholder {{shoeSize}}' },
    ]);
    for (const field of ['subject', 'fromAddress']) {
      const injected = await call(
        'POST',
        '/campaigns',
        campaignInput(profileId, { [field]: 'x@acme.example\r\nBcc: everyone@example.com' }),
      );
      expect([injected.status, injected.body.error.details[0].path]).toEqual([422, [field]]);
      expect(injected.body.error.details[0].message).toMatch(/^must not contain control characters/);
    }
    const unescaped = await call('POST', '/campaigns', campaignInput(profileId, { htmlTemplate: '<p>{{{firstName}}}</p>' }));
    expect(unescaped.body.error.details[0].message).toContain('bypass HTML escaping');
    expect((await call('GET', '/campaigns?limit=100')).body.items.length).toBe(before);

    const created = await call('POST', '/campaigns', campaignInput(profileId));
    expect([created.status, created.body.status]).toEqual([201, 'draft']);
    const id = created.body.campaignId;
    expect((await call('GET', `/campaigns/${id}`)).body.name).toBe('Spring launch');
    const edited = await call('PATCH', `/campaigns/${id}`, {
      subject: 'Spring is here, {{firstName}}',
      htmlTemplate: '<a href="https://acme.example/spring">Go</a>',
    });
    expect(edited.status).toBe(200);
    expect((await call('GET', `/campaigns/${id}`)).body).toMatchObject({
      subject: 'Spring is here, {{firstName}}',
      links: { [Object.keys(edited.body.links)[0]!]: 'https://acme.example/spring' },
    });
    expect((await call('PATCH', `/campaigns/${id}`, { textTemplate: '{{nickname}}' })).status).toBe(422);
    expect((await call('PATCH', `/campaigns/${id}`, {})).status).toBe(422);
    expect((await call('PATCH', `/campaigns/${id}`, { status: 'sent' })).body.error.details[0].message).toContain('status');
    const listed = await call('GET', '/campaigns?limit=1');
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.cursor).toEqual(expect.any(String));
  });

  it('sends once: a repeat with the same Idempotency-Key is replayed, any other send request is a conflict', async () => {
    const emails = ['s1@tailspin.example', 's2@tailspin.example'];
    await call('POST', '/contacts/import', { contacts: emails.map((email) => ({ email, consent: true })) });
    const id = (await call('POST', '/campaigns', campaignInput(await profile(), { contactIds: emails.map(contactIdFor), name: 'Once' })))
      .body.campaignId;
    const first = await call('POST', `/campaigns/${id}/send`, undefined, { 'idempotency-key': 'k-1' });
    expect([first.status, first.body.started, first.body.replayed]).toEqual([202, true, false]);
    const retry = await call('POST', `/campaigns/${id}/send`, undefined, { 'idempotency-key': 'k-1' });
    expect([retry.status, retry.body.replayed, retry.headers.get('idempotent-replayed')]).toEqual([202, true, 'true']);
    const second = await call('POST', `/campaigns/${id}/send`, undefined, { 'idempotency-key': 'k-2' });
    expect([second.status, second.body.error.code]).toEqual([409, 'CONFLICT']);
    expect((await call('POST', `/campaigns/${id}/send`)).status).toBe(409);
    await runtime.settle();
    expect((await inbox()).filter((m) => emails.includes(m.to))).toHaveLength(2);
    expect((await call('PATCH', `/campaigns/${id}`, { name: 'Too late' })).status).toBe(409);
  });

  it('completes a send whose queuing failed when the request is retried with its key, still once per person', async () => {
    const emails = ['q1@tailspin.example', 'q2@tailspin.example', 'q3@tailspin.example'];
    await call('POST', '/contacts/import', { contacts: emails.map((email) => ({ email, consent: true })) });
    const id = (await call('POST', '/campaigns', campaignInput(await profile(), { contactIds: emails.map(contactIdFor), name: 'Retry' })))
      .body.campaignId;
    const queue = runtime.app.adapters.queue;
    const enqueue = queue.enqueue;
    queue.enqueue = async () => {
      throw new TransientDependencyError('SQS throttled');
    };
    const failed = await call('POST', `/campaigns/${id}/send`, undefined, { 'idempotency-key': 'retry-me' });
    queue.enqueue = enqueue;
    expect([failed.status, failed.body.error.code]).toEqual([503, 'TRANSIENT_DEPENDENCY']);
    expect((await call('GET', `/campaigns/${id}`)).body.status).toBe('sending');
    const retried = await call('POST', `/campaigns/${id}/send`, undefined, { 'idempotency-key': 'retry-me' });
    expect([retried.status, retried.body.replayed]).toEqual([202, true]);
    await call('POST', `/campaigns/${id}/send`, undefined, { 'idempotency-key': 'retry-me' }); // queued already: nothing more
    await runtime.settle();
    const sent = (await inbox())
      .filter((m) => emails.includes(m.to))
      .map((m) => m.to)
      .sort();
    expect(sent).toEqual(emails);
  });

  it('starts a send whose transition landed but whose answer was lost, even without a key', async () => {
    const emails = ['lost1@tailspin.example', 'lost2@tailspin.example'];
    await call('POST', '/contacts/import', { contacts: emails.map((email) => ({ email, consent: true })) });
    const id = (
      await call('POST', '/campaigns', campaignInput(await profile(), { contactIds: emails.map(contactIdFor), name: 'Lost answer' }))
    ).body.campaignId;
    const campaigns = runtime.app.adapters.campaigns;
    const transition = campaigns.transition;
    // The write lands, its answer is lost, and the SDK's retry fails the condition: false.
    campaigns.transition = async (...args) => {
      await transition.apply(campaigns, args);
      return false;
    };
    const r = await call('POST', `/campaigns/${id}/send`);
    campaigns.transition = transition;
    expect([r.status, r.body.started, r.body.replayed]).toEqual([202, true, false]);
    await runtime.settle();
    expect(
      (await inbox())
        .filter((m) => emails.includes(m.to))
        .map((m) => m.to)
        .sort(),
    ).toEqual(emails);
  });

  it('refuses to send a cancelled campaign with 409', async () => {
    const id = (await call('POST', '/campaigns', campaignInput(await profile(), { contactIds: [] }))).body.campaignId;
    await runtime.app.adapters.campaigns.transition(id, ['draft'], 'cancelled');
    const r = await call('POST', `/campaigns/${id}/send`, undefined, { 'idempotency-key': 'c-1' });
    expect([r.status, r.body.error.message]).toEqual([409, `campaign ${id} is cancelled and cannot be sent`]);
    expect((await call('POST', '/campaigns/cmp_nope/send')).status).toBe(404);
  });
});

describe("a contact's data: export and erasure", () => {
  it('exports the contact with its engagement, then erases it while every campaign figure stays exactly as it was', async () => {
    const email = 'gdpr@adventure-works.example';
    const other = 'stays@adventure-works.example';
    await call('POST', '/contacts/import', {
      contacts: [email, other].map((e) => ({ email: e, firstName: 'Pat', company: 'Adventure Works', consent: true })),
    });
    const contactId = contactIdFor(email);
    const id = (
      await call('POST', '/campaigns', campaignInput(await profile(), { contactIds: [contactId, contactIdFor(other)], name: 'GDPR' }))
    ).body.campaignId;
    await call('POST', `/campaigns/${id}/send`, undefined, { 'idempotency-key': 'gdpr' });
    await runtime.settle();
    for (const who of [contactId, contactIdFor(other)]) {
      const { token, sentAt } = runtime.sesPlayback.messageFor(id, who)!;
      const later = (s: number) => new Date(Date.parse(sentAt) + s * 1000).toISOString();
      const person = { userAgent: 'Mozilla/5.0 (Macintosh) Safari/605.1.15', ipAddress: '198.51.100.7' };
      await runtime.sesPlayback.open(token, { ...person, at: later(600) });
      await runtime.sesPlayback.click(token, 'https://acme.example/pricing', { ...person, at: later(620) });
    }
    await runtime.settle();

    const exported = await call('GET', `/contacts/${contactId}/export`);
    expect(exported.status).toBe(200);
    expect(exported.body.contact).toMatchObject({ email, firstName: 'Pat' });
    const mine = exported.body.campaigns.find((c: { campaignId: string }) => c.campaignId === id);
    expect(mine.send.sentAt).toEqual(expect.any(String));
    expect(mine.engagement).toMatchObject({
      deliveredAt: expect.any(String),
      opens: [{ at: expect.any(String) }],
      clicks: [{ url: 'https://acme.example/pricing' }],
    });
    expect(exported.body.lead).toMatchObject({ contactId, campaignId: id });

    const statsBefore = (await call('GET', `/campaigns/${id}/stats`)).body;
    const leadsBefore = (await call('GET', `/campaigns/${id}/leads`)).body.items.length;
    expect(statsBefore.metrics).toMatchObject({ sent: 2, delivered: 2, uniqueClicks: 2 });

    const erased = await call('DELETE', `/contacts/${contactId}`);
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ contactId, firstErasure: true, campaigns: 1, leadAnonymised: true });

    // A replay of every SES event of the erased person counts nothing and records nothing.
    const theirs = published.filter((e) => JSON.stringify(e).includes(contactId));
    expect(theirs.length).toBeGreaterThanOrEqual(4);
    for (const envelope of theirs) await runtime.buses.default.publish(envelope);
    await runtime.settle();
    expect((await call('GET', `/campaigns/${id}/stats`)).body).toEqual(statsBefore);
    expect((await call('GET', `/campaigns/${id}/leads`)).body.items.length).toBe(leadsBefore);

    const gone = await call('GET', `/contacts/${contactId}`);
    expect([gone.status, gone.body.error.message]).toEqual([404, expect.stringContaining('was erased')]);
    const after = (await call('GET', `/contacts/${contactId}/export`)).body;
    expect(JSON.stringify(after)).not.toMatch(/gdpr@|Pat|Adventure|pricing|198\.51/);
    expect(after.campaigns[0].engagement).toMatchObject({ opens: [], clicks: [], erasedAt: expect.any(String) });
    expect(after.lead).toMatchObject({ reasons: [], erasedAt: expect.any(String) });
    expect((await call('GET', `/contacts?email=${email}`)).body.items).toEqual([]);

    const reimport = await call('POST', '/contacts/import', { contacts: [{ email, consent: true }] });
    expect(reimport.body).toMatchObject({ created: 0, updated: 0, rejected: 1 });
    expect(reimport.body.errors[0].reason).toContain('erased');
    const again = await call('DELETE', `/contacts/${contactId}`);
    expect([again.status, again.body.firstErasure]).toEqual([200, false]);
    expect((await call('DELETE', '/contacts/ct_neverExisted')).status).toBe(404);
    expect((await call('GET', `/contacts/${contactIdFor(other)}/export`)).body.campaigns[0].engagement.clicks).toHaveLength(1);
  });
});

describe('limits come from the storage (#16 row 4)', () => {
  it('answers 422 naming the field and the limit, never 500, for campaigns that would not fit one DynamoDB item', async () => {
    const profileId = await profile();
    const bigHtml = (kb: number) => `<p>Hi {{firstName}}</p>${'x'.repeat(kb * 1000)}`;
    const tooBig = await call('POST', '/campaigns', campaignInput(profileId, { htmlTemplate: bigHtml(495) }));
    expect([tooBig.status, tooBig.body.error.details[0].path]).toEqual([422, ['htmlTemplate']]);
    expect(tooBig.body.error.message).toMatch(/over the 350000-byte limit of a stored campaign/);

    const list = Array.from({ length: 10_000 }, (_, i) => `person${i}@big-list.example`);
    const withList = await call(
      'POST',
      '/campaigns',
      campaignInput(profileId, { htmlTemplate: bigHtml(200), audience: { kind: 'list', emails: list } }),
    );
    expect([withList.status, withList.body.error.details[0].path]).toEqual([422, ['audience']]);

    const draft = await call('POST', '/campaigns', campaignInput(profileId));
    expect(draft.status).toBe(201);
    // 300 KB of distinct links: the link catalogue stores each URL again.
    const links = Array.from({ length: 5_000 }, (_, i) => `<a href="https://acme.example/p/${i}/${'y'.repeat(40)}">l</a>`).join('');
    const patched = await call('PATCH', `/campaigns/${draft.body.campaignId}`, { htmlTemplate: `<p>{{firstName}}</p>${links}` });
    expect(patched.status).toBe(422);
    expect(patched.body.error.message).toMatch(/limit of a stored campaign/);
    expect((await call('GET', `/campaigns/${draft.body.campaignId}`)).body.htmlTemplate).toBe(campaignInput(profileId).htmlTemplate);
  }, 120_000);
});

describe('Idempotency-Key on every creating POST (#16 row 10)', () => {
  it('replays the first answer for the same key and body, refuses another body with 422, and never runs twice', async () => {
    const profileId = await profile();
    const before = (await call('GET', '/campaigns?limit=100')).body.items.length;
    const key = { 'idempotency-key': `draft-${Date.now()}` };
    const first = await call('POST', '/campaigns', campaignInput(profileId), key);
    const again = await call('POST', '/campaigns', campaignInput(profileId), key);
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await call('GET', '/campaigns?limit=100')).body.items.length).toBe(before + 1);
    const other = await call('POST', '/campaigns', campaignInput(profileId, { name: 'Another' }), key);
    expect([other.status, other.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);

    const importKey = { 'idempotency-key': `import-${Date.now()}` };
    const one = await call('POST', '/contacts/import', { contacts: [{ email: 'idem-one@acme.example' }] }, importKey);
    const two = await call('POST', '/contacts/import', { contacts: [{ email: 'idem-two@acme.example' }] }, importKey);
    expect(one.status).toBeLessThan(300);
    expect(two.status).toBe(422);
    expect((await call('GET', `/contacts?email=${encodeURIComponent('idem-two@acme.example')}`)).body.items).toEqual([]);

    const bad = await call('POST', '/profiles', { name: 'x' }, { 'idempotency-key': 'has space' });
    expect([bad.status, bad.body.error.details[0].path]).toEqual([400, ['Idempotency-Key']]);
  });
});
