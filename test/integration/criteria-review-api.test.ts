import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program';
import { logger } from '../../functions/observability';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';

/** The quarterly review and both sides' approvals through the HTTP API and the CLI, on the local stack. */
logger.setLogLevel('CRITICAL');
let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startLocalRuntime();
});
afterAll(async () => runtime.stop());

const call = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(runtime.apiUrl + path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined, headers: r.headers };
};
async function mql(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--endpoint', runtime.apiUrl, ...args], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the criteria review and approvals over HTTP', () => {
  it('publishing a set that requires approval is 409 until both sides approved; bad approvals are refused by name', async () => {
    const id = (await call('POST', '/criteria', { name: 'Signed ICP', approval: { required: true } })).body.criteriaId as string;
    const refused = await call('POST', `/criteria/${id}/publish`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('requires approval by a marketing and a sales reviewer');
    expect((await call('POST', `/criteria/${id}/approvals`, { side: 'finance', by: 'x', revision: 1 })).status).toBe(422);
    expect((await call('POST', `/criteria/${id}/approvals`, { side: 'sales', by: 'sam', revision: 2 })).status).toBe(409);
    expect((await call('POST', '/criteria/nope/approvals', { side: 'sales', by: 'sam', revision: 1 })).status).toBe(404);
    const m = await mql('criteria', 'approve', id, '--side', 'marketing', '--by', 'mia@acme.example', '--revision', '1');
    expect(m).toMatchObject({ code: 0 });
    expect(m.out).toContain('still needs sales');
    expect((await call('POST', `/criteria/${id}/approvals`, { side: 'sales', by: 'MIA@acme.example', revision: 1 })).status).toBe(422);
    const s = await call('POST', `/criteria/${id}/approvals`, { side: 'sales', by: 'sam@acme.example', revision: 1 });
    expect(s.body.missing).toEqual([]);
    const published = await call('POST', `/criteria/${id}/publish`);
    expect(published.status).toBe(201);
    expect(published.body.version.approvals.map((a: { side: string }) => a.side)).toEqual(['marketing', 'sales']);
  });

  it('writes the review to S3 (201) and refuses a bad period (422) or an unknown set (404); suggests nothing without leads', async () => {
    const id = (await call('POST', '/criteria', { name: 'Quiet ICP' })).body.criteriaId as string;
    await call('POST', `/criteria/${id}/publish`);
    expect((await call('POST', `/criteria/${id}/reviews`, { from: '2026-03-31', to: '2026-01-01' })).status).toBe(422);
    expect((await call('POST', `/criteria/${id}/reviews`, { from: '2026-01-01' })).status).toBe(422);
    expect((await call('POST', '/criteria/nope/reviews', { from: '2026-01-01', to: '2026-03-31' })).status).toBe(404);
    const written = await call('POST', `/criteria/${id}/reviews`, { from: '2026-01-01', to: '2026-03-31' });
    expect(written.status).toBe(201);
    expect(written.body.keys.html).toMatch(new RegExp(`^reports/reviews/${id}/2026-01-01_2026-03-31/`));
    const page = await fetch(written.body.urls.html);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("default-src 'none'");
    const suggest = await mql('criteria', 'suggest', id, '--from', '2026-01-01', '--to', '2026-03-31');
    expect(suggest.code).toBe(0);
    expect(suggest.out).toContain('no suggestion: no group has 30 decided leads');
    const draft = await call('POST', `/criteria/${id}/suggestions/1/draft`, { from: '2026-01-01', to: '2026-03-31' });
    expect(draft.status).toBe(422);
    expect(draft.body.error.message).toContain('there is no suggestion 1');
    const review = await mql('criteria', 'review', id, '--from', '2026-01-01', '--to', '2026-03-31');
    expect(review.code).toBe(0);
    expect(review.out).toContain('no MQLs of this set from campaigns sent in the period');
    expect(review.out).toMatch(/html: http/);
  });
});
