import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program';
import { logger } from '../../functions/observability';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';
import { expectDocumented } from '../support/openapi-responses';

/**
 * "Say why nothing happened": a contact who is not an MQL is explained by `mql lead get` and
 * `GET /leads/{contactId}/explanation`: the fit rule that failed, the score against the threshold,
 * and the activity judged machine, by rule.
 */
logger.setLogLevel('ERROR');
let runtime: LocalRuntime;
/** The contact id of an email, as the runtime's API makes it (keyed). */
const contactIdFor = (email: string) => runtime.app.contactIds.idFor(email);
let campaignId = '';
const person = {
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36',
  ipAddress: '198.51.100.7',
};

beforeAll(async () => {
  runtime = await startLocalRuntime();
  const app = runtime.app;
  await app.importContacts([
    { email: 'dana.weiss@northwind.example', firstName: 'Dana', industry: 'Software', companySize: '201-1000', consent: true },
    { email: 'sam.okafor@fabrikam.example', firstName: 'Sam', industry: 'Retail', companySize: '51-200', consent: true },
  ]);
  const profile = await mql(
    'profile',
    'create',
    '--name',
    'Mid-market software',
    '--industries',
    'Software',
    '--company-sizes',
    '201-1000',
  );
  const profileId = /icp_\w+/.exec(profile.out)![0];
  const examples = join(__dirname, '../../examples');
  const campaign = JSON.parse(readFileSync(join(examples, 'campaign.json'), 'utf8'));
  const created = await runtime.app.createCampaign({ ...campaign, profileId });
  campaignId = created.campaignId;
  await mql('campaign', 'send', campaignId);
  await runtime.settle();
}, 120_000);
afterAll(async () => runtime.stop());

async function mql(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--endpoint', runtime.apiUrl, ...args], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function click(email: string, secondsAfterSend: number) {
  const { token, sentAt } = runtime.sesPlayback.messageFor(campaignId, contactIdFor(email))!;
  const at = new Date(Date.parse(sentAt) + secondsAfterSend * 1000).toISOString();
  expect(await runtime.sesPlayback.click(token, 'https://acme.example/report/q3-cloud-costs', { ...person, at })).toBe(true);
  await runtime.settle();
}

describe('why a contact is not an MQL', () => {
  it('a click within the too-fast window: judged machine by that rule, score below the threshold', async () => {
    await click('dana.weiss@northwind.example', 3);
    const r = await mql('lead', 'get', 'dana.weiss@northwind.example');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${contactIdFor('dana.weiss@northwind.example')}: not an MQL`);
    expect(r.out).toContain('fits (fit score');
    expect(r.out).toMatch(/engagement score 0 of \d+ needed/);
    expect(r.out).toContain('1 click judged machine: too-fast (within 10 s of the send');

    const path = `/leads/${contactIdFor('dana.weiss@northwind.example')}/explanation?campaignId=${campaignId}`;
    const api = await fetch(runtime.apiUrl + path);
    const body = (await api.json()) as { campaigns: unknown[] };
    expectDocumented('GET', path, 200, body);
    expect(body.campaigns[0]).toMatchObject({ campaignId, clicks: { human: 0, machine: { 'too-fast': 1 } }, fit: { passed: true } });
    // The campaign's stats account for it, per rule.
    expect((await mql('campaign', 'stats', campaignId)).out).toMatch(/machine activity: .*too-fast 1/);
  });

  it('a contact who does not fit: the failing fit rule', async () => {
    await click('sam.okafor@fabrikam.example', 60);
    const r = await mql('--json', 'lead', 'get', 'sam.okafor@fabrikam.example');
    const { lead, explanation } = JSON.parse(r.out);
    expect(lead).toBeNull();
    expect(explanation.campaigns[0].clicks).toEqual({ human: 1, machine: {} });
    expect(explanation.campaigns[0].fit.passed).toBe(false);
    expect(explanation.campaigns[0].why.join('\n')).toMatch(/not a fit: .*industry/i);
  });

  it('once a person clicks later, the same command shows the MQL', async () => {
    await click('dana.weiss@northwind.example', 60);
    const r = await mql('lead', 'get', 'dana.weiss@northwind.example');
    expect(r.out).toMatch(/: MQL since /);
  });

  it('an unknown contact is still a 404', async () => {
    const r = await mql('lead', 'get', 'ct_unknown000000000000');
    expect(r.code).toBe(1);
    expect(r.err).toContain('404');
  });
});
