import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm run demo` as a person runs it: with --json (and npm's --silent, README's advice) stdout is one
 * JSON object, so `| jq .` works; the report's files are copied to a folder and still open after
 * the demo, and its stand-ins, stopped.
 */
const root = join(__dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'mql-demo-out-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run demo', () => {
  it('prints JSON only on stdout, and leaves the report files behind', { timeout: 300_000 }, async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'demo', '--', '--json', '--size', '60', '--out', out], {
      cwd: root,
      maxBuffer: 10_000_000,
    });
    const summary = JSON.parse(stdout) as { sent: number; report: { files: { html: string; json: string } } };
    expect(summary.sent).toBeGreaterThan(0);
    expect(summary.report.files.html.startsWith(out)).toBe(true);
    expect(existsSync(summary.report.files.html)).toBe(true);
    expect(readFileSync(summary.report.files.html, 'utf8')).toMatch(/<html/i);
    const report = JSON.parse(readFileSync(summary.report.files.json, 'utf8'));
    expect(report).toMatchObject({ schemaVersion: 1 });
    // The audience reads over the days after the send, and the demo's time passes with it: the report,
    // written at the end, draws that activity (on the wall clock it drew only the hour of the send).
    expect(report.activity.points.length).toBeGreaterThan(6);
  });
});
