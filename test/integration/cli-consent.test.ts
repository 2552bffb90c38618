import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program';
import { logger } from '../../functions/observability';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';

/** `mql contacts update|suppress` and the import's consent lines, against the local runtime (issue 15). */
logger.setLogLevel('CRITICAL');
let runtime: LocalRuntime;
const contactIdFor = (email: string) => runtime.app.contactIds.idFor(email);
const dir = mkdtempSync(join(tmpdir(), 'mql-consent-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
beforeAll(async () => {
  runtime = await startLocalRuntime();
});
afterAll(async () => runtime.stop());

async function mql(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--endpoint', runtime.apiUrl, ...args], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const contact = (email: string) => runtime.app.adapters.contacts.get(contactIdFor(email));

describe('consent from the CLI', () => {
  it('mql import says which file rows withdrew consent and warns where consent is not given back', async () => {
    await mql('import', file('first.csv', 'email,consent\nw1@tailspin.example,yes\nw2@tailspin.example,yes\nw3@tailspin.example,yes\n'));
    await mql('contacts', 'update', 'w3@tailspin.example', '--consent', 'false');
    const r = await mql(
      'import',
      file(
        'second.csv',
        'email,consent\nw1@tailspin.example,yes\nnew@tailspin.example,no\nw2@tailspin.example,no\nw3@tailspin.example,yes\n',
      ),
      '--chunk-size',
      '2',
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('imported 1 new, updated 3, rejected 0 (of 4 rows)');
    expect(r.out).toContain('consent withdrawn: 1 contact(s) (rows 3): they are mailed no more');
    expect(r.out).toContain('warning, row 4: the person withdrew consent earlier');
    expect(await contact('w2@tailspin.example')).toMatchObject({ consent: false, consentWithdrawnAt: expect.any(String) });
    expect(await contact('w3@tailspin.example')).toMatchObject({ consent: false });
    expect(await contact('new@tailspin.example')).toMatchObject({ consent: false });
    expect((await contact('new@tailspin.example'))?.consentWithdrawnAt).toBeUndefined(); // nothing was withdrawn
  });

  it('mql contacts update changes attributes and consent, and names what is wrong', async () => {
    await mql('import', file('one.csv', 'email,firstName,consent\nupd@tailspin.example,Uma,yes\n'));
    const r = await mql(
      'contacts',
      'update',
      'upd@tailspin.example',
      '--consent',
      'no',
      '--attr',
      'company=Tailspin, Inc.',
      '--attr',
      'interests=analytics; security',
      '--attr',
      'contactMe=yes',
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^updated ct2_\S+: no consent, consent withdrawn \d{4}-/);
    expect(await contact('upd@tailspin.example')).toMatchObject({
      firstName: 'Uma',
      company: 'Tailspin, Inc.',
      interests: ['analytics', 'security'],
      contactMe: true,
      consent: false,
    });
    const bad = await mql('contacts', 'update', 'upd@tailspin.example', '--attr', 'companySize=huge');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('companySize');
    const nothing = await mql('contacts', 'update', 'upd@tailspin.example');
    expect(nothing.code).not.toBe(0);
    expect(nothing.err).toContain('nothing to change');
    expect((await mql('contacts', 'update', 'upd@tailspin.example', '--consent', 'maybe')).code).not.toBe(0);
  });

  it('mql contacts suppress takes addresses and a CSV, and a suppressed contact cannot be re-consented', async () => {
    await mql('import', file('sup.csv', 'email,consent\nsup1@tailspin.example,yes\n'));
    const csv = file('optouts.csv', 'email,reason\nsup1@tailspin.example,complained\nnever@tailspin.example,\nbroken,bounced\n');
    const r = await mql('contacts', 'suppress', 'extra@tailspin.example', '--file', csv, '--reason', 'bounced');
    expect(r.code).toBe(0);
    expect(r.out).toContain('suppressed 1, new suppressed addresses 2, already suppressed 0, rejected 1 (of 4)');
    expect(r.out).toContain('row 4: email is not a valid email address');
    expect(await contact('sup1@tailspin.example')).toMatchObject({ suppressed: 'complained' });
    expect(await contact('never@tailspin.example')).toMatchObject({ suppressed: 'bounced', consent: false });
    expect(await contact('extra@tailspin.example')).toMatchObject({ suppressed: 'bounced' });
    const lift = await mql('contacts', 'update', 'sup1@tailspin.example', '--consent', 'true');
    expect(lift.code).not.toBe(0);
    expect(lift.err).toContain('consent cannot lift a suppression');
  });
});
