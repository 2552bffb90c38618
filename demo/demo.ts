import { sleepBackoff } from '../lib/common/backoff';
import { saveReportFiles } from './save-report';
import { sesEventsPattern } from '../infra/event-patterns';
import type { EventEnvelope } from '../infra/local/event-bus';
import { DemoClock } from './demo-clock';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../infra/local/runtime';
import type { CampaignMetrics } from '../lib/engagement/metrics';
import { demoProfile, generateAudience } from './audience';
import { bounceOutcome, simulateEngagement, type AudienceMember } from './behaviour';

export interface DemoSummary {
  seed: number;
  audience: number;
  sent: number;
  delivered: number;
  bounced: number;
  uniqueOpens: number;
  uniqueClicks: number;
  openRate: number | null;
  clickRate: number | null;
  clickToOpenRate: number | null;
  human: { uniqueOpens: number; uniqueClicks: number; openRate: number | null; clickRate: number | null };
  machineFlags: Record<string, number>;
  mqls: number;
  notificationsSent: number;
  campaignId: string;
  inboxUrl: string;
  report: { html: string; json: string; keys: Record<string, string>; files?: Record<string, string> };
}

export interface DemoResult {
  summary: DemoSummary;
  /** Every SES event the local SES published, as EventBridge delivered it (for independent recounts). */
  published: EventEnvelope[];
  metrics: CampaignMetrics;
  runtime: LocalRuntime;
}

const campaignTemplate = {
  name: 'Q3 cloud cost review',
  subject: '{{default firstName "Hello"}}, your Q3 cloud cost review',
  fromAddress: 'Acme Marketing <news@acme.example>',
  htmlTemplate: `<!doctype html><html><body style="font-family:sans-serif">
<p>Hi {{default firstName "there"}},</p>
<p>Teams like yours at {{default company "your company"}} cut cloud spend by 23 % last quarter.</p>
<p><a href="https://acme.example/report/q3-cloud-costs">Read the Q3 report</a> ·
<a ses:tags="intent:pricing;" href="https://acme.example/pricing">See pricing</a> ·
<a ses:tags="intent:contact-sales;" href="https://acme.example/demo">Book a demo</a></p>
<p style="font-size:12px;color:#666">You receive this because you subscribed to Acme news.
<a href="{{unsubscribeUrl}}">Unsubscribe</a></p></body></html>`,
  textTemplate: `Hi {{default firstName "there"}},

Teams like yours at {{default company "your company"}} cut cloud spend by 23 % last quarter.
Read the Q3 report: https://acme.example/report/q3-cloud-costs
Unsubscribe: {{unsubscribeUrl}}`,
};

async function api<T>(
  runtime: LocalRuntime,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(runtime.apiUrl + path, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as T & { error?: { message: string } };
  if (!response.ok)
    throw Object.assign(new Error(`${method} ${path} → ${response.status}: ${json.error?.message}`), { status: response.status });
  return json;
}

/**
 * The send request as the CLI makes it: with an Idempotency-Key, retried after a 5xx (DynamoDB
 * failing under the API, as in the fault suite), so a retry is answered as the first was, never 409.
 */
async function requestSend(runtime: LocalRuntime, campaignId: string) {
  const key = `demo-${campaignId}`;
  for (let attempt = 0; ; attempt++) {
    try {
      return await api(runtime, 'POST', `/campaigns/${campaignId}/send`, undefined, { 'idempotency-key': key });
    } catch (error) {
      if (attempt >= 4 || ((error as { status?: number }).status ?? 0) < 500) throw error;
      await sleepBackoff(attempt, { baseMs: 50, jitter: 'none' });
    }
  }
}

export interface DemoOptions {
  size?: number;
  seed?: number;
  progress?: (message: string) => void;
  keepRunning?: boolean;
  /** Copy the report's files into this folder (they outlive the stand-ins); their paths are in `summary.report.files`. */
  saveReportTo?: string;
  /**
   * Let the demo's time pass as its audience reads (demo/demo-clock.ts), as `npm run demo` does.
   * Off, everything runs on the wall clock: tests that read the campaign back by today's date.
   */
  passTime?: boolean;
  /** Extra runtime options (the fault suite injects DynamoDB faults). */
  runtime?: Pick<LocalRuntimeOptions, 'dynamodbFaults'>;
  /**
   * Called as each phase starts: the send (contacts, profile and campaign exist), the audience's
   * engagement (every message is out), and reading the figures back.
   */
  onPhase?: (phase: 'send' | 'engage' | 'read-back', runtime: LocalRuntime) => void | Promise<void>;
}

type Say = (message: string) => void;
type DemoCampaign = { campaignId: string; links: Record<string, string> };

/** The local runtime, its SES answering each address as the audience's member would (some bounce). */
function startDemoRuntime(
  options: DemoOptions,
  members: Map<string, AudienceMember>,
  seed: number,
  clock: DemoClock,
): Promise<LocalRuntime> {
  return startLocalRuntime({
    clock,
    // Contact ids are keyed with this secret: fixed per seed, so a seed gives the same ids, hence
    // the same audience order and figures, on every run. A laptop demo's key, guarding nothing.
    unsubscribeSecret: `mql-pipeline-demo-key-for-seed-${seed}`.padEnd(32, '.'),
    ...options.runtime,
    outcome: (to) => {
      const member = members.get(to.toLowerCase());
      const bounce = member && bounceOutcome(member, seed);
      return bounce ? { bounce } : 'deliver';
    },
  });
}

/** Every SES event the local SES publishes, as EventBridge delivers it. */
function tapSesEvents(runtime: LocalRuntime): EventEnvelope[] {
  const published: EventEnvelope[] = [];
  runtime.buses.default.addRule('demo-tap', sesEventsPattern(runtime.app.config.configurationSetName), async (e) => {
    published.push(e);
  });
  return published;
}

/** The contacts (in imports of 1,000), the ideal customer profile and the campaign, through the API. */
async function prepareCampaign(runtime: LocalRuntime, audience: ReturnType<typeof generateAudience>, say: Say): Promise<DemoCampaign> {
  say(`importing ${audience.length} contacts`);
  for (let i = 0; i < audience.length; i += 1000) {
    await api(runtime, 'POST', '/contacts/import', { contacts: audience.slice(i, i + 1000) });
    say(`  imported ${Math.min(i + 1000, audience.length)}/${audience.length}`);
  }
  const profile = await api<{ profileId: string }>(runtime, 'POST', '/profiles', demoProfile);
  return api<DemoCampaign>(runtime, 'POST', '/campaigns', { ...campaignTemplate, profileId: profile.profileId });
}

async function sendCampaign(runtime: LocalRuntime, campaignId: string, say: Say) {
  say(`campaign ${campaignId}: sending`);
  await requestSend(runtime, campaignId);
  const progress = setInterval(() => say(`  sending… ${runtime.queues.send.delivered} send jobs handled`), 2000);
  await runtime.settle();
  clearInterval(progress);
}

/** The delivered members' simulated opens and clicks, in the order they happen. */
function audienceActions(runtime: LocalRuntime, members: Map<string, AudienceMember>, campaign: DemoCampaign, seed: number, base: Date) {
  const delivered = [...members.values()]
    .filter((m) => runtime.sesPlayback.messageFor(campaign.campaignId, m.contactId) && !bounceOutcome(m, seed))
    .sort((a, b) => a.contactId.localeCompare(b.contactId));
  return simulateEngagement({ members: delivered, links: Object.values(campaign.links), sentAt: base, seed });
}

/**
 * The simulated audience reads its mail: opens and clicks through the local SES playback, each at
 * its time relative to when its own message was sent.
 */
async function playEngagement(
  runtime: LocalRuntime,
  campaignId: string,
  actions: ReturnType<typeof simulateEngagement>,
  base: Date,
  say: Say,
  clock: DemoClock,
) {
  say(`audience engaging: ${actions.length} opens and clicks`);
  let done = 0;
  for (const action of actions) {
    if (action.kind === 'bounce') continue;
    const message = runtime.sesPlayback.messageFor(campaignId, action.contactId)!;
    const at = new Date(Date.parse(message.sentAt) + (Date.parse(action.at) - base.getTime())).toISOString();
    clock.advanceTo(at);
    if (action.kind === 'open') await runtime.sesPlayback.open(message.token, { ...action, at });
    else await runtime.sesPlayback.click(message.token, action.link, { ...action, at });
    if (++done % 500 === 0) say(`  ${done}/${actions.length}`);
  }
  await runtime.settle();
}

async function campaignLeads(runtime: LocalRuntime, campaignId: string): Promise<{ notifiedAt?: string }[]> {
  const leads: { notifiedAt?: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await api<{ items: { notifiedAt?: string }[]; cursor?: string }>(
      runtime,
      'GET',
      `/campaigns/${campaignId}/leads${cursor ? `?cursor=${cursor}` : ''}`,
    );
    leads.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return leads;
}

/** The figures as the API answers them (DynamoDB), and the report it writes. */
async function readBack(
  runtime: LocalRuntime,
  campaignId: string,
): Promise<{ metrics: CampaignMetrics; summary: Omit<DemoSummary, 'seed' | 'audience'> }> {
  const stats = await api<{ metrics: CampaignMetrics }>(runtime, 'GET', `/campaigns/${campaignId}/stats`);
  const leads = await campaignLeads(runtime, campaignId);
  const report = await api<{ keys: Record<string, string>; urls: Record<string, string> }>(
    runtime,
    'POST',
    `/campaigns/${campaignId}/reports`,
  );
  const m = stats.metrics;
  const summary = {
    sent: m.sent,
    delivered: m.delivered,
    bounced: m.bounced,
    uniqueOpens: m.uniqueOpens,
    uniqueClicks: m.uniqueClicks,
    openRate: m.rates.openRate,
    clickRate: m.rates.clickRate,
    clickToOpenRate: m.rates.clickToOpenRate,
    human: {
      uniqueOpens: m.human.uniqueOpens,
      uniqueClicks: m.human.uniqueClicks,
      openRate: m.rates.human.openRate,
      clickRate: m.rates.human.clickRate,
    },
    machineFlags: m.machineFlags,
    mqls: leads.length,
    // Recorded on each lead once SES accepted the sales email (the inbox is shared by every run in a process).
    notificationsSent: leads.filter((l) => l.notifiedAt).length,
    campaignId,
    inboxUrl: runtime.inboxUrl,
    report: { html: report.urls.html!, json: report.urls.json!, keys: report.keys },
  };
  return { metrics: m, summary };
}

/**
 * The whole pipeline once, on the embedded stand-ins, through the same API handler, queues,
 * engagement handler and notifier as on AWS. Every figure in the summary is read back from the API
 * (DynamoDB), never from the simulation.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const seed = options.seed ?? 42;
  const say = options.progress ?? (() => {});
  const audience = generateAudience({ size: options.size ?? 2000, seed });
  // Filled once the runtime is up: contact ids are keyed with its secret (read only when mail goes out).
  const members = new Map<string, AudienceMember>();
  const clock = new DemoClock(options.passTime ?? false);
  const runtime = await startDemoRuntime(options, members, seed, clock);
  for (const c of audience) {
    const contactId = runtime.app.contactIds.idFor(c.email);
    members.set(c.email, { contactId, email: c.email, industry: c.industry, seniority: c.seniority });
  }
  const published = tapSesEvents(runtime);

  const campaign = await prepareCampaign(runtime, audience, say);
  await options.onPhase?.('send', runtime);
  await sendCampaign(runtime, campaign.campaignId, say);

  const base = new Date('2026-01-01T00:00:00.000Z');
  const actions = audienceActions(runtime, members, campaign, seed, base);
  await options.onPhase?.('engage', runtime);
  await playEngagement(runtime, campaign.campaignId, actions, base, say, clock);

  await options.onPhase?.('read-back', runtime);
  say('writing the report');
  const { metrics, summary } = await readBack(runtime, campaign.campaignId);
  if (options.saveReportTo) {
    const { html, json } = summary.report;
    summary.report.files = await saveReportFiles({ html, json }, options.saveReportTo);
  }
  if (!options.keepRunning) await runtime.stop();
  return { summary: { seed, audience: audience.length, ...summary }, published, metrics, runtime };
}
