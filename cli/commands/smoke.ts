import { randomBytes } from 'node:crypto';
import { type Command, InvalidArgumentError } from 'commander';
import type { CampaignMetrics } from '../../lib/engagement/metrics';
import type { RecipientRow } from '../../lib/engagement/recipient-view';
import { ApiError, type ApiClient } from '../http-client';
import type { CommandContext } from './context';

/**
 * `mql smoke`: a tiny campaign to the SES mailbox simulator, through the HTTP API only, as a deployed
 * stack is used (docs/deploy.md, "Smoke test after deploy"). It imports three simulator contacts,
 * creates and sends the campaign, then waits until SES's Delivery, Bounce and Complaint are recorded
 * and the bounced and complained contacts are suppressed. Every step is printed as passed or failed;
 * the command fails (exit 1) naming the steps that did not pass.
 */

const simulatorDomain = 'simulator.amazonses.com';
/** The sender domain of the local stack (`npm start`): its notifications' From is at acme.example. */
const localFrom = 'MQL Smoke <smoke@acme.example>';

interface StepResult {
  step: string;
  ok: boolean;
  detail: string;
}

/** The three simulator addresses of a run, labelled so runs never share a contact (the simulator accepts `+label`). */
export function smokeAudience(runId: string) {
  const at = (mailbox: string) => `${mailbox}+smoke-${runId}@${simulatorDomain}`;
  return { success: at('success'), bounce: at('bounce'), complaint: at('complaint') };
}
type Audience = ReturnType<typeof smokeAudience>;

const seconds = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a number of seconds above 0`);
  return n;
};
const runIdOf = (value: string) => {
  if (!/^[a-z0-9-]{1,40}$/.test(value)) throw new InvalidArgumentError('--run-id takes 1 to 40 lower-case letters, digits or dashes');
  return value;
};

export function addSmokeCommand(program: Command, context: CommandContext): void {
  program
    .command('smoke')
    .description(
      'Send a tiny campaign to the SES mailbox simulator (success@, bounce@, complaint@) through the API and check that the Delivery, Bounce and Complaint are recorded and the suppressions applied',
    )
    .option('--from <address>', 'the From, at the stack’s sender domain (SENDER_DOMAIN)', localFrom)
    .option('--timeout <seconds>', 'how long to wait for the events and suppressions', seconds('--timeout'), 300)
    .option('--interval <seconds>', 'how often to look', seconds('--interval'), 2)
    .option('--run-id <id>', 'labels this run’s addresses (default: a new one)', runIdOf)
    .action(async (o: { from: string; timeout: number; interval: number; runId?: string }) => {
      const runId = o.runId ?? `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
      const audience = smokeAudience(runId);
      const say = (r: StepResult) => {
        if (!context.json()) context.io.out(`  ${r.ok ? 'PASS' : 'FAIL'}  ${r.step}: ${r.detail}`);
      };
      if (!context.json())
        context.io.out(`mql smoke, run ${runId}: a campaign to ${Object.values(audience).length} mailbox-simulator addresses`);
      const results = await smoke(context.client(), { ...o, runId, audience }, say);
      const failed = results.filter((r) => !r.ok);
      if (context.json()) context.print({ runId, passed: failed.length === 0, steps: results }, () => '');
      else if (!failed.length) context.io.out(`smoke test passed: all ${results.length} steps`);
      if (failed.length) throw new Error(`smoke test failed: ${failed.map((r) => r.step).join('; ')}`);
    });
}

interface SmokeRun {
  from: string;
  timeout: number;
  interval: number;
  runId: string;
  audience: Audience;
}

/** The steps in order; after a failed setup step, the waiting steps are reported as not run. */
async function smoke(api: ApiClient, run: SmokeRun, say: (r: StepResult) => void): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const record = (r: StepResult) => {
    results.push(r);
    say(r);
    return r.ok;
  };
  const campaignId = await setUp(api, run, record);
  const checks = waitingChecks(run.audience);
  if (!campaignId) {
    for (const c of checks) record({ step: c.step, ok: false, detail: notRun });
    return results;
  }
  await waitFor(api, checks, campaignId, run, record);
  return results;
}

/** Import, profile and campaign, send: each a step, run while the ones before passed; answers the campaign id once it is sending. */
async function setUp(api: ApiClient, run: SmokeRun, record: (r: StepResult) => boolean): Promise<string | undefined> {
  const emails = Object.values(run.audience);
  const key = (what: string) => ({ 'idempotency-key': `mql-smoke-${what}-${run.runId}` });
  let campaignId = '';
  const steps: [string, () => Promise<string>][] = [
    [
      'import the simulator contacts (consent given)',
      async () => {
        const contacts = emails.map((email) => ({ email, firstName: 'Smoke', consent: true }));
        const r = await api.request<{ created: number; updated: number; rejected: number }>(
          'POST',
          '/contacts/import',
          { contacts },
          key('import'),
        );
        if (r.rejected || r.created + r.updated !== emails.length)
          throw new Error(`${r.created} created, ${r.updated} updated, ${r.rejected} rejected`);
        return `${r.created + r.updated} imported (${emails.join(', ')})`;
      },
    ],
    [
      'create the campaign',
      async () => {
        const profile = await api.request<{ profileId: string }>('POST', '/profiles', { name: `mql smoke ${run.runId}` }, key('profile'));
        const c = await api.request<{ campaignId: string }>(
          'POST',
          '/campaigns',
          campaignInput(run, emails, profile.profileId),
          key('campaign'),
        );
        campaignId = c.campaignId;
        return `${c.campaignId} from ${run.from}`;
      },
    ],
    [
      'send the campaign',
      async () => {
        const r = await api.request<{ status: string }>(
          'POST',
          `/campaigns/${encodeURIComponent(campaignId)}/send`,
          undefined,
          key('send'),
        );
        return `${r.status} (Idempotency-Key mql-smoke-send-${run.runId})`;
      },
    ],
  ];
  let passed = true;
  for (const [step, fn] of steps) passed = record(passed ? await attempt(step, fn) : { step, ok: false, detail: notRun }) && passed;
  return passed ? campaignId : undefined;
}

const notRun = 'not run: an earlier step failed';

function campaignInput(run: SmokeRun, emails: string[], profileId: string) {
  return {
    name: `mql smoke ${run.runId}`,
    subject: 'mql smoke test',
    fromAddress: run.from,
    htmlTemplate: '<p>An mql smoke test, sent to the SES mailbox simulator.</p><p><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
    textTemplate: 'An mql smoke test, sent to the SES mailbox simulator.\nUnsubscribe: {{unsubscribeUrl}}',
    profileId,
    audience: { kind: 'list', emails },
  };
}

/** A step's outcome: its detail, or what went wrong (an API error with its status and each detail). */
async function attempt(step: string, run: () => Promise<string>): Promise<StepResult> {
  try {
    return { step, ok: true, detail: await run() };
  } catch (error) {
    return { step, ok: false, detail: problem(error) };
  }
}

function problem(error: unknown): string {
  if (!(error instanceof ApiError)) return (error as Error).message;
  const details = (error.body.error?.details as { message?: string }[] | undefined) ?? [];
  const text = [`${error.status} ${error.message}`, ...details.map((d) => d.message)].join('; ');
  return /sender domain/.test(text) ? `${text} (pass --from <address at the stack's sender domain>)` : text;
}

/** What is read back on each look: the campaign's recipient rows and stats, and the audience's contacts. */
interface Observed {
  rows: Map<string, RecipientRow>;
  metrics?: CampaignMetrics;
  suppressed: Map<string, string | undefined>;
}

interface Check {
  step: string;
  /** undefined when it holds; else what was seen instead. */
  missing: (seen: Observed) => string | undefined;
}

function waitingChecks(audience: Audience): Check[] {
  const status = (email: string, wanted: string) => (seen: Observed) => {
    const row = seen.rows.get(email);
    if (row?.status === wanted) return undefined;
    if (!row) return 'not among the campaign recipients';
    // A recipient the sender recorded is listed as sent until SES's next event for it is recorded.
    return row.status === 'sent' ? 'sent; no SES event after the send recorded yet' : `status ${row.status}, not ${wanted}`;
  };
  const suppression = (email: string, wanted: string | undefined) => (seen: Observed) => {
    const got = seen.suppressed.get(email);
    if (got === wanted) return undefined;
    return wanted ? `contact ${got ? `suppressed as ${got}` : 'not suppressed'}` : `contact suppressed as ${got}`;
  };
  return [
    { step: `Delivery recorded for ${audience.success}`, missing: status(audience.success, 'delivered') },
    { step: `Bounce recorded for ${audience.bounce}`, missing: status(audience.bounce, 'bounced') },
    { step: `Complaint recorded for ${audience.complaint}`, missing: status(audience.complaint, 'complained') },
    { step: 'campaign stats count them (sent 3, delivered 2, bounced 1, complained 1)', missing: statsMissing },
    { step: `bounced contact suppressed (${audience.bounce})`, missing: suppression(audience.bounce, 'bounced') },
    { step: `complained contact suppressed (${audience.complaint})`, missing: suppression(audience.complaint, 'complained') },
    {
      // Only worth saying once the suppressions were applied: then it shows they were not applied to everyone.
      step: `delivered contact still mailable (${audience.success})`,
      missing: (seen) =>
        status(audience.success, 'delivered')(seen) ??
        suppression(audience.bounce, 'bounced')(seen) ??
        suppression(audience.complaint, 'complained')(seen) ??
        suppression(audience.success, undefined)(seen),
    },
  ];
}

function statsMissing(seen: Observed): string | undefined {
  const m = seen.metrics;
  if (!m) return 'no stats yet';
  const got = { sent: m.sent, delivered: m.delivered, bounced: m.bounced, complained: m.complained };
  const wanted = { sent: 3, delivered: 2, bounced: 1, complained: 1 };
  return JSON.stringify(got) === JSON.stringify(wanted)
    ? undefined
    : `sent ${m.sent}, delivered ${m.delivered}, bounced ${m.bounced}, complained ${m.complained}`;
}

/** Looks every interval until every check holds or the timeout passes; each check is reported once, when it holds or at the end. */
async function waitFor(api: ApiClient, checks: Check[], campaignId: string, run: SmokeRun, record: (r: StepResult) => boolean) {
  const started = Date.now();
  const deadline = started + run.timeout * 1000;
  let pending = checks;
  let last = new Map<string, string>();
  for (;;) {
    const seen = await observe(api, campaignId, run.audience).catch((error: unknown) => problem(error));
    last = new Map();
    for (const c of pending) {
      const missing = typeof seen === 'string' ? `could not read the campaign: ${seen}` : c.missing(seen);
      if (missing === undefined) record({ step: c.step, ok: true, detail: `after ${Math.round((Date.now() - started) / 1000)} s` });
      else last.set(c.step, missing);
    }
    pending = pending.filter((c) => last.has(c.step));
    if (!pending.length || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(run.interval * 1000, Math.max(0, deadline - Date.now()))));
  }
  for (const c of pending) record({ step: c.step, ok: false, detail: `not within ${run.timeout} s: ${last.get(c.step)}` });
}

async function observe(api: ApiClient, campaignId: string, audience: Audience): Promise<Observed> {
  const id = encodeURIComponent(campaignId);
  const rows = new Map<string, RecipientRow>();
  let cursor: string | undefined;
  do {
    const page = await api.request<{ items: RecipientRow[]; cursor?: string }>(
      'GET',
      `/campaigns/${id}/recipients${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    for (const row of page.items) if (row.email) rows.set(row.email.toLowerCase(), row);
    cursor = page.cursor;
  } while (cursor);
  const { metrics } = await api.request<{ metrics: CampaignMetrics }>('GET', `/campaigns/${id}/stats`);
  const suppressed = new Map<string, string | undefined>();
  for (const email of Object.values(audience)) {
    const page = await api.request<{ items: { suppressed?: string }[] }>('GET', `/contacts?email=${encodeURIComponent(email)}`);
    suppressed.set(email, page.items[0]?.suppressed);
  }
  return { rows, metrics, suppressed };
}
