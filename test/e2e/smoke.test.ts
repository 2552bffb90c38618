import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program';
import { logger } from '../../functions/observability';
import { type NpmStart, startNpmStart } from '../support/npm-start';
import { type LocalRuntime, startLocalRuntime } from '../../infra/local/runtime';

/**
 * `mql smoke` (docs/deploy.md, "Smoke test after deploy"): against `npm start` (its own process, as
 * a person starts it), every step passes; against a stack whose SES publishes no events, or with a
 * From outside the sender domain, it exits non-zero naming the steps that failed.
 */
logger.setLogLevel('ERROR');

async function mql(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const stepLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => /^\s+(PASS|FAIL)\s/.test(l))
    .map((l) => l.trim());

describe('mql smoke against npm start', () => {
  let server: NpmStart;
  let apiUrl = '';
  // Below Linux's ephemeral ports (32768 and up), where other tests' free ports land; above readme-session's.
  const port = 24_000 + Math.floor(Math.random() * 1_600) * 5;

  beforeAll(async () => {
    server = await startNpmStart(port);
    const printed = server.printed;
    apiUrl = /API\s+(http:\/\/\S+)/.exec(printed)![1]!;
  }, 120_000);

  afterAll(async () => server?.stop());

  it('passes every step: import, campaign, send, Delivery, Bounce, Complaint, stats and suppressions', async () => {
    const r = await mql(['--endpoint', apiUrl, 'smoke', '--run-id', 'e2e-pass', '--timeout', '60', '--interval', '0.5']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = stepLines(r.out).map((l) => l.split(':')[0]);
    // The setup steps run in order; each check after them is printed when it holds, so their order follows the events.
    expect(lines.slice(0, 3)).toEqual([
      'PASS  import the simulator contacts (consent given)',
      'PASS  create the campaign',
      'PASS  send the campaign',
    ]);
    expect(lines.slice(3).sort()).toEqual(
      [
        'PASS  Bounce recorded for bounce+smoke-e2e-pass@simulator.amazonses.com',
        'PASS  Complaint recorded for complaint+smoke-e2e-pass@simulator.amazonses.com',
        'PASS  campaign stats count them (sent 3, delivered 2, bounced 1, complained 1)',
        'PASS  bounced contact suppressed (bounce+smoke-e2e-pass@simulator.amazonses.com)',
        'PASS  complained contact suppressed (complaint+smoke-e2e-pass@simulator.amazonses.com)',
        'PASS  delivered contact still mailable (success+smoke-e2e-pass@simulator.amazonses.com)',
        'PASS  Delivery recorded for success+smoke-e2e-pass@simulator.amazonses.com',
      ].sort(),
    );
    expect(r.out).toContain('smoke test passed: all 10 steps');
  });

  it('repeated with the same --run-id, sends nothing new: every request is replayed by its Idempotency-Key and the counts stay exact', async () => {
    const r = await mql(['--endpoint', apiUrl, '--json', 'smoke', '--run-id', 'e2e-pass', '--timeout', '30', '--interval', '0.5']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { steps: { step: string; ok: boolean; detail: string }[] };
    const listed = await mql(['--endpoint', apiUrl, '--json', 'campaign', 'list']);
    const smokes = (JSON.parse(listed.out) as { items: { name: string }[] }).items.filter((c) => c.name === 'mql smoke e2e-pass');
    expect(smokes).toHaveLength(1);
    // The stats step asserts exactly sent 3: a second email to any of the three would fail it.
    expect(report.steps.find((s) => s.step.startsWith('campaign stats'))?.ok).toBe(true);
  });

  it('runs again with a fresh label and passes again (runs do not collide); --json reports each step', async () => {
    const r = await mql(['--endpoint', apiUrl, '--json', 'smoke', '--timeout', '60', '--interval', '0.5']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { runId: string; passed: boolean; steps: { step: string; ok: boolean }[] };
    expect(report.passed).toBe(true);
    expect(report.runId).not.toBe('e2e-pass');
    expect(report.steps).toHaveLength(10);
    expect(report.steps.every((s) => s.ok)).toBe(true);
  });
});

describe('mql smoke when a step cannot pass', () => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    // A stack whose SES publishes no events: the mail is sent, nothing is ever recorded.
    runtime = await startLocalRuntime({ playSesEvents: false });
  });
  afterAll(async () => runtime.stop());

  it('fails (exit 1) naming each step not reached within the timeout, after the setup steps pass', async () => {
    const r = await mql(['--endpoint', runtime.apiUrl, 'smoke', '--run-id', 'e2e-silent', '--timeout', '2', '--interval', '0.5']);
    expect(r.code).toBe(1);
    const lines = stepLines(r.out);
    expect(lines.slice(0, 3).every((l) => l.startsWith('PASS'))).toBe(true);
    expect(lines).toContain(
      'FAIL  Delivery recorded for success+smoke-e2e-silent@simulator.amazonses.com: not within 2 s: sent; no SES event after the send recorded yet',
    );
    expect(lines).toContain(
      'FAIL  bounced contact suppressed (bounce+smoke-e2e-silent@simulator.amazonses.com): not within 2 s: contact not suppressed',
    );
    expect(r.out).not.toContain('smoke test passed');
    expect(r.err).toMatch(
      /^error: smoke test failed: Delivery recorded for success\+smoke-e2e-silent@simulator\.amazonses\.com; Bounce recorded for/,
    );
    expect(r.err).toContain('campaign stats count them');
  });

  it('fails at the campaign step, saying so, when the From is outside the sender domain; later steps are not run', async () => {
    const r = await mql([
      '--endpoint',
      runtime.apiUrl,
      'smoke',
      '--run-id',
      'e2e-from',
      '--from',
      'smoke@elsewhere.example',
      '--timeout',
      '2',
    ]);
    expect(r.code).toBe(1);
    const lines = stepLines(r.out);
    expect(lines[0]).toMatch(/^PASS {2}import/);
    expect(lines[1]).toMatch(
      /^FAIL {2}create the campaign: 422 .*sender domain acme\.example.*\(pass --from <address at the stack's sender domain>\)$/,
    );
    expect(lines.slice(2).every((l) => l.endsWith('not run: an earlier step failed'))).toBe(true);
    expect(lines).toHaveLength(10);
  });

  it('refuses a timeout that is not a number of seconds, before calling the API', async () => {
    const r = await mql(['--endpoint', runtime.apiUrl, 'smoke', '--timeout', 'soon']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('--timeout must be a number of seconds above 0');
  });
});
