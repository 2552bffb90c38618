import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program';
import { type NpmStart, startNpmStart } from '../support/npm-start';

/**
 * README's "Run it and click around" session, run as written: the fenced block after the
 * `readme-session` marker, in order, against `npm start` (its own process, as a person starts it),
 * with the CLI finding it through MQL_PORT. Each command's comment is what README says it prints
 * (`…` stands for ids and times; ` — ` separates pieces on different lines); `#` lines are what the
 * reader does, and the test does the same: opens the message in the local SES inbox and clicks the
 * tracked link after the pause README asks for, like a browser. README cannot drift from the CLI.
 */
const root = join(__dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const block = /<!-- readme-session[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
const browser = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

interface Step {
  line: string;
  command?: string[];
  expected: RegExp[];
}

/** A README line as a step: its words (quotes honoured, `$(date -u +%F)` as the shell would) and its expectations. */
function stepOf(line: string): Step {
  if (line.startsWith('#')) return { line, expected: [] };
  const [command = '', comment = ''] = line.split(/\s+#\s+/, 2);
  const today = new Date().toISOString().slice(0, 10);
  const words = [...command.replaceAll('$(date -u +%F)', today).matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  const pattern = (piece: string) =>
    new RegExp(
      piece
        .trim()
        .split('…')
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('\\S*?'),
    );
  return { line, command: words, expected: comment ? comment.split(' — ').map(pattern) : [] };
}

const steps = block
  .split('\n')
  .map((l) => l.trim())
  .filter(Boolean)
  .map(stepOf);

let server: NpmStart;
let inboxUrl = '';
// Below Linux's ephemeral ports (32768 and up), where other tests' free ports land; below the smoke test's.
const port = 20_000 + Math.floor(Math.random() * 800) * 5;

beforeAll(async () => {
  server = await startNpmStart(port);
  const printed = server.printed;
  inboxUrl = /SES inbox\s+(http:\/\/\S+?)\/?\s/.exec(printed)![1]!;
}, 120_000);

afterAll(async () => server?.stop());

type InboxMail = { destination: { to: string[] }; subject: string; body: { html?: string; text?: string }; at: number };
const inbox = async () => ((await (await fetch(`${inboxUrl}/store`)).json()) as { emails: InboxMail[] }).emails;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one mql command in-process, the endpoint found through MQL_PORT as in a second terminal. */
async function mql(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { port: process.env.MQL_PORT, endpoint: process.env.MQL_ENDPOINT };
  process.env.MQL_PORT = String(port);
  delete process.env.MQL_ENDPOINT;
  try {
    const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), progressStream: { write: () => true } as never });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    if (saved.port === undefined) delete process.env.MQL_PORT;
    else process.env.MQL_PORT = saved.port;
    if (saved.endpoint !== undefined) process.env.MQL_ENDPOINT = saved.endpoint;
  }
}

/** What a reader does: open the message to a contact in the inbox and, after README's pause, click a link by its text. */
async function clickAsAPerson(to: string, linkText: string, sentAt: number, pauseSeconds: number) {
  const message = (await inbox()).find((m) => m.destination.to.includes(to));
  expect(message, `a message to ${to} in the inbox`).toBeDefined();
  const html = message!.body.html ?? '';
  const href = new RegExp(`<a [^>]*href="([^"]+)"[^>]*>${linkText}</a>`).exec(html)?.[1]?.replaceAll('&amp;', '&');
  expect(href, `a link "${linkText}" in the message`).toMatch(/\/t\/c\//);
  // The send is asynchronous: the pause counts from when SES accepted the message (the inbox's `at`, in seconds).
  const accepted = Math.max(sentAt, (message!.at + 1) * 1000);
  await sleep(Math.max(0, accepted + pauseSeconds * 1000 - Date.now()));
  const clicked = await fetch(href!, { redirect: 'manual', headers: { 'user-agent': browser } });
  expect(clicked.status).toBe(302);
}

describe("README's click-around session", () => {
  it('is a block of commands the test can run', () => {
    expect(steps.filter((s) => s.command).length).toBeGreaterThanOrEqual(8);
    expect(steps.every((s) => !s.command || s.command[0] === 'mql')).toBe(true);
  });

  it('runs as written against npm start: the MQL is made and sales is emailed', { timeout: 240_000 }, async () => {
    const ids: Record<string, string> = {};
    let sentAt = 0;
    for (const step of steps) {
      if (!step.command) {
        await doWhatReadmeSays(step.line, sentAt);
        continue;
      }
      const args = step.command.slice(1).map((w) => w.replace(/^(icp|cmp)_…$/, (_, kind: string) => ids[kind]!));
      const reads = ['stats', 'get'].includes(args[1] ?? '');
      let r = await mql(args);
      // Sending, recording and notifying run in the background, as on AWS: reads are repeated until they agree, for up to a minute.
      for (let i = 0; reads && i < 60 && !step.expected.every((re) => re.test(r.out)); i++) {
        await sleep(1000);
        r = await mql(args);
      }
      expect({ line: step.line, code: r.code, err: r.err }).toEqual({ line: step.line, code: 0, err: '' });
      for (const re of step.expected) expect(r.out, step.line).toMatch(re);
      for (const kind of ['icp', 'cmp']) ids[kind] ??= new RegExp(`\\b${kind}_\\w+`).exec(r.out)?.[0] ?? (undefined as never);
      if (args[0] === 'campaign' && args[1] === 'send' && !sentAt) sentAt = Date.now();
    }
    expect(Object.keys(ids)).toEqual(['icp', 'cmp']);
  });
});

/** The `#` lines: a click in the inbox, or a look at the sales email. Any other instruction fails the test, so README stays runnable. */
async function doWhatReadmeSays(line: string, sentAt: number) {
  const click = /open the message to (\S+?);.*?(\w+) seconds or more after the send, click "([^"]+)"/.exec(line);
  if (click) {
    const seconds = { ten: 10 }[click[2]!] ?? Number(click[2]);
    // README's pause, and one second more: SES's clock and ours are not the same instant.
    return clickAsAPerson(click[1]!, click[3]!, sentAt, seconds + 1);
  }
  const salesEmail = /holds the sales email to (\S+) about (.+)\.$/.exec(line);
  if (salesEmail) {
    const mail = (await inbox()).find((m) => m.destination.to.includes(salesEmail[1]!));
    expect(mail, line).toBeDefined();
    expect(`${mail!.subject}\n${mail!.body.text ?? ''}`).toContain(salesEmail[2]!);
    return;
  }
  throw new Error(`README session: the test does not know how to do "${line}"`);
}
