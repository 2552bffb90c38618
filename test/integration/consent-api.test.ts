import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../functions/observability';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';
import { expectDocumented } from '../support/openapi-responses';

/**
 * Consent both ways over HTTP on the local runtime (issue 15): PATCH /contacts/{id} and the
 * suppression-list import. Every answer is checked against the committed OpenAPI document.
 */
logger.setLogLevel('CRITICAL');
let runtime: LocalRuntime;
const contactIdFor = (email: string) => runtime.app.contactIds.idFor(email);
beforeAll(async () => {
  runtime = await startLocalRuntime();
});
afterAll(async () => runtime.stop());

// biome-ignore lint/suspicious/noExplicitAny: answers are read loosely; the document's schemas check their shape
type Loose = any;
async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Loose; headers: Headers }> {
  const response = await fetch(runtime.apiUrl + path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
  });
  const parsed = await response.json();
  expectDocumented(method, path, response.status, parsed);
  return { status: response.status, body: parsed, headers: response.headers };
}

const importOne = (contact: Record<string, unknown>) => call('POST', '/contacts/import', { contacts: [contact] });

describe('PATCH /contacts/{id}', () => {
  it('changes attributes and consent, and an import cannot give back consent the person withdrew', async () => {
    const email = 'pat.ch@northwind.example';
    const id = contactIdFor(email);
    await importOne({ email, firstName: 'Pat', company: 'Northwind', consent: true });
    const changed = await call('PATCH', `/contacts/${id}`, { company: 'Northwind Traders', interests: ['security'], consent: false });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ company: 'Northwind Traders', interests: ['security'], firstName: 'Pat', consent: false });
    const withdrawnAt = changed.body.consentWithdrawnAt;
    expect(withdrawnAt).toEqual(expect.any(String));
    // A later import saying yes does not re-consent (the rest of the row is imported, with a warning).
    const reimport = await importOne({ email, role: 'CTO', consent: true });
    expect(reimport.body).toMatchObject({ updated: 1, warnings: [{ row: 1, field: 'consent' }] });
    expect((await call('GET', `/contacts/${id}`)).body).toMatchObject({ consent: false, role: 'CTO', consentWithdrawnAt: withdrawnAt });
    // An explicit opt-in through PATCH does.
    const optIn = await call('PATCH', `/contacts/${id}`, { consent: true });
    expect(optIn.body).toMatchObject({ consent: true, consentGivenAt: expect.any(String) });
    expect(optIn.body.consentWithdrawnAt).toBeUndefined();
  });

  it('is 404 for an unknown or erased contact and 422 naming the field for bad input, changing nothing', async () => {
    expect((await call('PATCH', `/contacts/${contactIdFor('nobody@nowhere.example')}`, { consent: false })).status).toBe(404);
    const email = 'gone.patch@northwind.example';
    await importOne({ email, consent: true });
    await call('DELETE', `/contacts/${contactIdFor(email)}`);
    expect((await call('PATCH', `/contacts/${contactIdFor(email)}`, { firstName: 'Back' })).status).toBe(404);

    const kept = 'kept.patch@northwind.example';
    await importOne({ email: kept, firstName: 'Kim', consent: true });
    const cases: [unknown, string][] = [
      [{ consent: 'nope' }, 'consent'],
      [{ companySize: 'huge' }, 'companySize'],
      [{ email: 'other@northwind.example' }, ''],
      [{ owner: 'not-an-email' }, 'owner'],
      [{}, ''],
    ];
    for (const [body, field] of cases) {
      const r = await call('PATCH', `/contacts/${contactIdFor(kept)}`, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      if (field) expect(r.body.error.details.map((d: { path: string[] }) => d.path.join('.'))).toContain(field);
    }
    expect((await call('GET', `/contacts/${contactIdFor(kept)}`)).body).toMatchObject({ firstName: 'Kim', consent: true });
  });

  it('never lifts an unsubscribe, bounce or complaint suppression: consent true is 409 and changes nothing', async () => {
    for (const reason of ['unsubscribed', 'bounced', 'complained'] as const) {
      const email = `sup.${reason}@northwind.example`;
      const id = contactIdFor(email);
      await importOne({ email, consent: true });
      await runtime.app.adapters.contacts.suppress(id, reason, new Date().toISOString());
      const r = await call('PATCH', `/contacts/${id}`, { consent: true, firstName: 'Sneaky' });
      expect(r.status).toBe(409);
      expect(r.body.error.message).toContain(reason);
      await importOne({ email, consent: true });
      // Attributes and withdrawal stay possible; the suppression stays whatever is sent.
      expect((await call('PATCH', `/contacts/${id}`, { consent: false })).status).toBe(200);
      const contact = (await call('GET', `/contacts/${id}`)).body;
      expect(contact).toMatchObject({ suppressed: reason, consent: false });
      expect(contact.firstName).toBeUndefined();
    }
  });

  it('honours an Idempotency-Key: a repeat returns the first answer, another body under the key is refused', async () => {
    const email = 'idem.patch@northwind.example';
    const id = contactIdFor(email);
    await importOne({ email, consent: true });
    const first = await call('PATCH', `/contacts/${id}`, { region: 'EMEA' }, { 'idempotency-key': 'patch-1' });
    const repeat = await call('PATCH', `/contacts/${id}`, { region: 'EMEA' }, { 'idempotency-key': 'patch-1' });
    expect(repeat.status).toBe(200);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(repeat.body).toEqual(first.body);
    expect((await call('PATCH', `/contacts/${id}`, { region: 'APAC' }, { 'idempotency-key': 'patch-1' })).status).toBe(422);
    expect((await call('PATCH', `/contacts/${id}`, { region: 'APAC' }, { 'idempotency-key': 'bad key with spaces' })).status).toBe(400);
  });
});

describe('POST /contacts/suppressions', () => {
  it('suppresses known and unknown addresses; the unknown stays suppressed when imported later; bad rows are named', async () => {
    const known = 'crm.known@northwind.example';
    await importOne({ email: known, consent: true });
    const r = await call('POST', '/contacts/suppressions', {
      suppressions: [
        { email: known, reason: 'unsubscribed' },
        { email: 'CRM.Unknown@Northwind.example', reason: 'bounced' },
        { email: 'not an email', reason: 'bounced' },
        { email: 'crm.other@northwind.example', reason: 'erased' },
        { email: 'crm.default@northwind.example' },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ received: 5, suppressed: 1, created: 2, alreadySuppressed: 0, rejected: 2 });
    expect(r.body.errors.map((e: { row: number; field: string }) => `${e.row}:${e.field}`)).toEqual(['3:email', '4:reason']);

    const unknownId = contactIdFor('crm.unknown@northwind.example');
    expect((await call('GET', `/contacts/${unknownId}`)).body).toMatchObject({ suppressed: 'bounced', consent: false });
    expect((await call('GET', `/contacts/${contactIdFor('crm.default@northwind.example')}`)).body).toMatchObject({
      suppressed: 'unsubscribed',
    });
    // An import of the suppressed address with consent never makes it mailable.
    const imported = await importOne({ email: 'crm.unknown@northwind.example', firstName: 'Una', consent: true });
    expect(imported.body).toMatchObject({ updated: 1 });
    expect((await call('GET', `/contacts/${unknownId}`)).body).toMatchObject({ suppressed: 'bounced', consent: true, firstName: 'Una' });
    const mailable = await call('GET', `/contacts?email=crm.unknown@northwind.example&status=mailable`);
    expect(mailable.body.items).toEqual([]);

    const again = await call('POST', '/contacts/suppressions', { suppressions: [{ email: known, reason: 'complained' }] });
    expect(again.body).toMatchObject({ suppressed: 0, created: 0, alreadySuppressed: 1 });
    expect((await call('GET', `/contacts/${contactIdFor(known)}`)).body).toMatchObject({ suppressed: 'unsubscribed' }); // the first reason stays
  });
});
