import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, runCli } from '../../cli/program';
import { logger } from '../../functions/observability';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';

/** The `mql` CLI against the local runtime, run in-process (and once as the real bin). */
logger.setLogLevel('CRITICAL');
let runtime: LocalRuntime;
/** The contact id of an email, as the runtime's API makes it (keyed). */
const contactIdFor = (email: string) => runtime.app.contactIds.idFor(email);
const dir = mkdtempSync(join(tmpdir(), 'mql-cli-'));
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
  const progress = Object.assign(new PassThrough(), {
    isTTY: true,
    columns: 160,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  let drawn = '';
  progress.on('data', (c: Buffer) => (drawn += c.toString()));
  const code = await runCli(['--endpoint', runtime.apiUrl, ...args], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    progressStream: progress,
  });
  return { code, out: out.join('\n'), err: err.join('\n'), progress: drawn };
}

describe('mql import', () => {
  it('streams a CSV in chunks, shows progress, and reports imported / updated / rejected with file row numbers', async () => {
    await runtime.app.importContacts([{ email: 'known@wingtip.example', firstName: 'Known' }]);
    const rows = ['email,firstName,companySize,consent'];
    for (let i = 0; i < 11; i++) rows.push(`p${i}@wingtip.example,P${i},51-200,yes`);
    rows[4] = 'not-an-email,Bad,51-200,yes'; // row 4
    rows[9] = 'p8x@wingtip.example,Bad,enormous,maybe'; // row 9: two problems
    rows.push('known@wingtip.example,Known again,,'); // row 12: an update
    const errorsFile = join(dir, 'rejected.csv');
    const r = await mql('import', file('people.csv', `${rows.join('\n')}\n`), '--chunk-size', '3', '--errors', errorsFile);
    expect(r.code).toBe(0);
    expect(r.out).toContain('imported 9 new, updated 1, rejected 2 (of 12 rows)');
    expect(r.out).toContain('row 4: email is not a valid email address');
    // Both problems of row 9, in plain words.
    expect(r.out).toContain('row 9: consent must be yes or no (true/false, 1/0)');
    expect(r.out).toContain('row 9: companySize must be one of 1-10, 11-50, 51-200, 201-1000, 1001-5000, 5001+');
    expect(r.progress).toContain('100% | 12/12 rows | 9 new, 1 updated, 2 rejected');
    expect(readFileSync(errorsFile, 'utf8').trim().split('\n')).toEqual([
      'row,field,reason',
      '4,email,"email is not a valid email address"',
      '9,consent,"consent must be yes or no (true/false, 1/0)"',
      '9,companySize,"companySize must be one of 1-10, 11-50, 51-200, 201-1000, 1001-5000, 5001+"',
    ]);
    expect((await runtime.app.adapters.contacts.get(contactIdFor('known@wingtip.example')))?.firstName).toBe('Known again');
  });

  it('stops before writing anything when the file cannot be read as a whole, even past the first chunk', async () => {
    const rows = ['email,firstName'];
    for (let i = 0; i < 8; i++) rows.push(`late${i}@wingtip.example,L${i}`);
    rows.push('late-bad@wingtip.example,"never closed');
    const r = await mql('import', file('broken.csv', `${rows.join('\n')}\n`), '--chunk-size', '2');
    expect(r.code).toBe(1);
    expect(r.err).toContain('never closed');
    expect(await runtime.app.adapters.contacts.get(contactIdFor('late0@wingtip.example'))).toBeUndefined();
    const semicolons = await mql('import', file('semi.csv', 'email;firstName\nsemi@wingtip.example;Semi\n'));
    expect(semicolons.err).toContain('semicolon-separated');
    expect(
      (await mql('import', file('semi2.csv', 'email;firstName\nsemi@wingtip.example;Semi\n'), '--delimiter', 'semicolon')).out,
    ).toContain('imported 1 new');
  });

  it('streams JSON lists, { "contacts": [ … ] } documents and NDJSON', async () => {
    const list = await mql(
      '--json',
      'import',
      file('a.json', JSON.stringify([{ email: 'j1@wingtip.example' }, { email: 'j2@wingtip.example', country: 'Germany' }])),
    );
    expect(JSON.parse(list.out)).toMatchObject({ totalRows: 2, created: 1, rejected: 1, firstErrors: [{ row: 2, field: 'country' }] });
    const wrapped = await mql('import', file('b.json', JSON.stringify({ contacts: [{ email: 'j3@wingtip.example' }] })));
    expect(wrapped.out).toContain('imported 1 new');
    const ndjson = await mql('import', file('c.ndjson', '{"email":"j4@wingtip.example"}\n\n{not json}\n{"email":"j5@wingtip.example"}\n'));
    expect(ndjson.out).toContain('imported 2 new, updated 0, rejected 1 (of 3 rows)');
    expect(ndjson.out).toContain('row 2: not valid JSON');
    const broken = await mql('import', file('d.json', '[{"email":"j6@wingtip.example"}, {'));
    expect([broken.code, broken.err]).toEqual([1, expect.stringContaining('the JSON cannot be read')]);
    expect(await runtime.app.adapters.contacts.get(contactIdFor('j6@wingtip.example'))).toBeUndefined();
  });
});

describe('mql campaigns and contacts', () => {
  it('creates, sends once and reads a campaign; a second send is refused with the reason', async () => {
    await mql('import', file('audience.csv', 'email,firstName,consent\nana@wingtip.example,Ana,yes\nben@wingtip.example,Ben,yes\n'));
    const profile = await mql('--json', 'profile', 'create', '--name', 'Everyone');
    const profileId = JSON.parse(profile.out).profileId;
    const campaignFile = file(
      'campaign.json',
      JSON.stringify({
        name: 'CLI launch',
        subject: 'Hi {{firstName}}',
        fromAddress: 'news@acme.example',
        profileId,
        htmlTemplate: '<p>Hi {{firstName}}</p><a href="https://acme.example/x">x</a>',
        textTemplate: 'Hi {{firstName}}',
        fallbacks: { firstName: 'there' },
        contactIds: ['ana@wingtip.example', 'ben@wingtip.example'].map(contactIdFor),
      }),
    );
    const created = await mql('campaign', 'create', '--file', campaignFile);
    const campaignId = /campaign (cmp_\w+) \(draft\)/.exec(created.out)![1]!;
    expect((await mql('campaign', 'update', campaignId, '--file', file('patch.json', '{"subject":"Hello {{firstName}}"}'))).out).toContain(
      'updated (draft)',
    );
    const sent = await mql('campaign', 'send', campaignId, '--idempotency-key', 'cli-1');
    expect(sent.out).toContain(`sending ${campaignId}`);
    const replayed = await mql('campaign', 'send', campaignId, '--idempotency-key', 'cli-1');
    expect(replayed).toMatchObject({
      code: 0,
      out: expect.stringMatching(/: already (sending|sent); it is sent once, nothing new started/),
    });
    // A repeat under another key (curl, another person): reported, not an error, and nobody mailed twice.
    const again = await mql('campaign', 'send', campaignId, '--idempotency-key', 'someone-else');
    expect(again).toMatchObject({ code: 0, out: expect.stringMatching(/: already (sending|sent); it is sent once, nothing new started/) });
    await runtime.settle();
    const stats = await mql('campaign', 'stats', campaignId);
    expect(stats.out).toContain('sent 2  delivered 2');
    expect((await mql('campaign', 'list', '--limit', '1')).out).toContain(campaignId);
    const bad = await mql('campaign', 'create', '--file', file('bad.json', JSON.stringify({ name: 'x', subject: 'Hi {{nick}}' })));
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('body htmlTemplate: Invalid input');
  });

  it('gets, lists, exports and erases contacts by email or id', async () => {
    await mql('import', file('few.csv', 'email,industry\ncara@wingtip.example,Aviation\ndov@wingtip.example,Aviation\n'));
    expect((await mql('contacts', 'get', 'cara@wingtip.example')).out).toMatch(/industry\s+Aviation/);
    const listed = await mql('contacts', 'list', '--industry', 'Aviation', '--all', '--limit', '1');
    expect(listed.out).toContain('2 contacts');
    const exported = await mql('contacts', 'export', 'cara@wingtip.example');
    expect(JSON.parse(exported.out).contact.email).toBe('cara@wingtip.example');
    expect((await mql('contacts', 'erase', 'cara@wingtip.example')).code).toBe(1); // --yes is required
    expect((await mql('contacts', 'erase', contactIdFor('cara@wingtip.example'), '--yes')).out).toContain('erased');
    expect((await mql('contacts', 'get', 'cara@wingtip.example')).err).toContain('no contact with the email');
  });
});

describe("the README's five-line session", () => {
  it('runs as written, with the files in examples/', async () => {
    const examples = join(__dirname, '../../examples');
    const imported = await mql('import', join(examples, 'contacts.csv'));
    expect(imported.out).toContain('imported 5 new, updated 0, rejected 1 (of 6 rows)');
    expect(imported.out).toContain('row 6: email is not a valid email address');
    const profile = await mql(
      'profile',
      'create',
      '--name',
      'Mid-market software',
      '--industries',
      'Software',
      '--company-sizes',
      '201-1000,1001-5000',
    );
    const profileId = /profile (icp_\w+) v1/.exec(profile.out)![1]!;
    const created = await mql('campaign', 'create', '--file', join(examples, 'campaign.json'), '--profile-id', profileId);
    const campaignId = /campaign (cmp_\w+) \(draft\)/.exec(created.out)![1]!;
    expect((await mql('campaign', 'send', campaignId)).out).toContain(`sending ${campaignId}`);
    await runtime.settle();
    const stats = await mql('campaign', 'stats', campaignId);
    expect(stats.code).toBe(0);
    expect(stats.out).toMatch(/sent \d+ {2}delivered \d+/);
    expect(stats.out).toContain('open rate');
  });
});

describe('mql --help', () => {
  it('explains every command and subcommand on its own', () => {
    const program = buildProgram({ out: () => {}, err: () => {} });
    const walk = (c: typeof program, path: string[]): [string, string][] => [
      [path.join(' '), c.helpInformation()],
      ...c.commands.flatMap((s) => walk(s as typeof program, [...path, s.name()])),
    ];
    for (const [path, help] of walk(program, ['mql'])) {
      expect(help, path).toMatch(/^Usage: /);
      expect(help.split('\n')[2]!.length, `${path} has a description`).toBeGreaterThan(10);
    }
    expect(program.commands.find((c) => c.name() === 'import')!.helpInformation()).toContain('--delimiter <name>');
  });

  it('runs as the real bin, with a first session in its help', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, '../../bin/mql.js'), '--help']);
    expect(stdout).toContain('Usage: mql');
    expect(stdout).toContain('mql campaign send cmp_');
    expect(stdout).toContain('SigV4');
  });
});
