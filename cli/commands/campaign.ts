import type { Command } from 'commander';
import type { CampaignMetrics } from '../../lib/engagement/metrics';
import type { RecipientRow } from '../../lib/engagement/recipient-view';
import { describeExclusions } from '../../lib/sending/audience';
import type { SendingProgress } from '../../lib/sending/campaign-stats';
import { ApiError, type ApiClient } from '../http-client';
import { pct, type CommandContext } from './context';
import { reportText, type ReportLocation } from './report';

/** `mql campaign create|get|list|update|send|pause|resume|cancel|stats|report`. */
export function addCampaignCommands(program: Command, context: CommandContext): void {
  const campaigns = program.command('campaign').description('Create, edit, send and follow campaigns');
  addCreate(campaigns, context);
  addReadAndEdit(campaigns, context);
  addSend(campaigns, context);
  addSendControls(campaigns, context);
  addStats(campaigns, context);
  addRecipients(campaigns, context);
  addReport(campaigns, context);
}

/** What the commands show of a campaign. */
interface Campaign {
  campaignId: string;
  name: string;
  status: string;
  subject: string;
  createdAt: string;
}

const enc = encodeURIComponent;

function addCreate(campaigns: Command, { client, print, readJson }: CommandContext): void {
  campaigns
    .command('create')
    .description('Create a draft campaign from a JSON file')
    .requiredOption('--file <campaign.json>', 'name, subject, fromAddress, htmlTemplate, textTemplate, profileId [, contactIds]')
    .option('--profile-id <id>', "the ideal customer profile (replaces the file's profileId)")
    .addHelpText(
      'after',
      `
Templates use placeholders: {{firstName}}, {{default company "your company"}}, {{unsubscribeUrl}} …
(firstName lastName email company industry companySize country role seniority unsubscribeUrl).
An unknown placeholder is refused, listed by name; values are HTML-escaped in the HTML part.
A value a contact may lack needs a fallback: {{default firstName "there"}}, or "fallbacks": { "firstName": "there" }.
"audience": { "kind": "segment", "conditions": [{ "attribute": "industry", "in": ["Software"] }] } chooses recipients (docs/sending.md).`,
    )
    .action(async (o: { file: string; profileId?: string }) => {
      const input = (await readJson(o.file)) as Record<string, unknown>;
      if (o.profileId) input.profileId = o.profileId;
      const c = await client().request<Campaign>('POST', '/campaigns', input);
      print(c, () => `campaign ${c.campaignId} (${c.status})`);
    });
}

function addReadAndEdit(campaigns: Command, { client, print, readJson }: CommandContext): void {
  campaigns
    .command('get')
    .description('Show a campaign')
    .argument('<campaignId>')
    .action(async (id: string) => {
      const c = await client().request<Campaign>('GET', `/campaigns/${enc(id)}`);
      print(c, () => `${c.campaignId} (${c.status})  ${c.name}\n  subject: ${c.subject}\n  created: ${c.createdAt}`);
    });
  campaigns
    .command('list')
    .description('List campaigns, newest first')
    .option('--limit <n>', 'campaigns per page (1–100)', '20')
    .option('--cursor <cursor>', 'continue after a previous page')
    .action(async (o: { limit: string; cursor?: string }) => {
      const q = new URLSearchParams({ limit: o.limit, ...(o.cursor ? { cursor: o.cursor } : {}) });
      const page = await client().request<{ items: Campaign[]; cursor?: string }>('GET', `/campaigns?${q}`);
      print(page, () =>
        [
          ...page.items.map((c) => `${c.campaignId}\t${c.status}\t${c.createdAt.slice(0, 10)}\t${c.name}`),
          ...(page.cursor ? [`(more: --cursor ${page.cursor})`] : []),
        ].join('\n'),
      );
    });
  campaigns
    .command('update')
    .description('Change a draft campaign: the fields in the JSON file replace the stored ones (only a draft can change)')
    .argument('<campaignId>')
    .requiredOption('--file <changes.json>', 'e.g. { "subject": "New subject, {{firstName}}" }')
    .action(async (id: string, o: { file: string }) => {
      const c = await client().request<Campaign>('PATCH', `/campaigns/${enc(id)}`, await readJson(o.file));
      print(c, () => `campaign ${c.campaignId} updated (${c.status})`);
    });
}

function addSend(campaigns: Command, { client, print }: CommandContext): void {
  campaigns
    .command('send')
    .description('Start sending a draft campaign; repeating it is harmless: it reports the send already under way or done')
    .argument('<campaignId>')
    .option('--idempotency-key <key>', 'the key of the send request (default: one per campaign, so a repeat is the same request)')
    .action(async (id: string, o: { idempotencyKey?: string }) => {
      // One key per campaign by default: a repeated `mql campaign send` is the same request, answered
      // as such, rather than a second request refused with 409.
      const key = o.idempotencyKey ?? `mql-send-${id}`;
      const r = await startSend(client(), id, key);
      print({ ...r, idempotencyKey: key }, () =>
        r.replayed ? `${id}: already ${r.status}; it is sent once, nothing new started` : `sending ${id}`,
      );
    });
}

/** The send request; a campaign another request already started is reported as such, not as an error. */
async function startSend(api: ApiClient, id: string, key: string): Promise<{ status: string; replayed: boolean }> {
  try {
    return await api.request<{ status: string; replayed: boolean }>('POST', `/campaigns/${enc(id)}/send`, undefined, {
      'idempotency-key': key,
    });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 409) throw error;
    const c = await api.request<Campaign>('GET', `/campaigns/${enc(id)}`);
    if (c.status !== 'sending' && c.status !== 'sent') throw error; // paused or cancelled: the refusal says what to do
    return { status: c.status, replayed: true };
  }
}

function addSendControls(campaigns: Command, { client, print }: CommandContext): void {
  for (const [action, done, what] of [
    ['pause', 'paused', 'Pause sending: senders stop before their next call; resume continues without duplicates'],
    ['resume', 'resumed: sending', 'Resume a paused campaign: only recipients without an outcome are sent to'],
    ['cancel', 'cancelled', 'Cancel a campaign for good (draft, sending or paused)'],
  ] as const) {
    campaigns
      .command(action)
      .description(what)
      .argument('<campaignId>')
      .action(async (id: string) => {
        const r = await client().request<{ status: string; changed: boolean }>('POST', `/campaigns/${enc(id)}/${action}`);
        print(r, () => (r.changed ? `${id} ${done}` : `${id} is already ${r.status}; nothing changed`));
      });
  }
}

function addStats(campaigns: Command, { client, print }: CommandContext): void {
  campaigns
    .command('stats')
    .description('Live figures: sending progress and exclusions; sent, delivered, bounces, opens, clicks and rates (all and human)')
    .argument('<campaignId>')
    .action(async (id: string) => {
      const s = await client().request<StatsAnswer>('GET', `/campaigns/${enc(id)}/stats`);
      print(s, () => statsText(id, s));
    });
}

type StatsAnswer = { status: string; sending: SendingProgress; metricsComplete?: boolean; metrics: CampaignMetrics };

function statsText(id: string, s: StatsAnswer): string {
  const m = s.metrics;
  const g = s.sending;
  return [
    `${id} (${s.status}${g.pausedReason ? `: ${g.pausedReason}` : ''})`,
    ...(s.metricsComplete === false ? ['(catching up on a backlog of events: the figures below are a lower bound; ask again)'] : []),
    `sending: ${g.sent} sent, ${g.failed} failed${g.remaining !== undefined ? `, ${g.remaining} to go of ${g.recipients}` : ''}; excluded: ${describeExclusions(g.excluded)}`,
    `sent ${m.sent}  delivered ${m.delivered}  bounced ${m.bounced}  complaints ${m.complained}  unsubscribed ${m.unsubscribed}`,
    `unique opens ${m.uniqueOpens} (human ${m.human.uniqueOpens})  unique clicks ${m.uniqueClicks} (human ${m.human.uniqueClicks})`,
    `open rate ${pct(m.rates.openRate)} (human ${pct(m.rates.human.openRate)})  click rate ${pct(m.rates.clickRate)} (human ${pct(m.rates.human.clickRate)})  CTOR ${pct(m.rates.clickToOpenRate)}`,
    // Per rule (docs/engagement.md), so a click that made no MQL is accounted for.
    `machine activity: ${
      Object.entries(m.machineFlags ?? {})
        .map(([rule, n]) => `${rule} ${n}`)
        .join(', ') || 'none'
    }`,
  ].join('\n');
}

function addRecipients(campaigns: Command, { client, print }: CommandContext): void {
  campaigns
    .command('recipients')
    .description('What happened to each recipient: status, SES message id, opened and clicked (all and human), why machine')
    .argument('<campaignId>')
    .option('--cursor <cursor>', 'the cursor of the previous page')
    .action(async (id: string, options: { cursor?: string }) => {
      const query = options.cursor ? `?cursor=${enc(options.cursor)}` : '';
      const r = await client().request<{ items: RecipientRow[]; cursor?: string }>('GET', `/campaigns/${enc(id)}/recipients${query}`);
      const yes = (all: boolean, human: boolean) => (human ? 'yes' : all ? 'machine' : 'no');
      print(r, () =>
        [
          ...r.items.map(
            (row) =>
              `${row.contactId}  ${row.email ?? '(erased)'}  ${row.status}  opened ${yes(row.opened, row.humanOpened)}  clicked ${yes(row.clicked, row.humanClicked)}${row.machineReasons.length ? `  machine: ${row.machineReasons.join(', ')}` : ''}  ${row.messageId ?? ''}`,
          ),
          ...(r.cursor ? [`more: mql campaign recipients ${id} --cursor ${r.cursor}`] : []),
        ].join('\n'),
      );
    });
}

function addReport(campaigns: Command, { client, print }: CommandContext): void {
  campaigns
    .command('report')
    .description('Write the campaign report (JSON, CSV, HTML) to S3 and print where')
    .argument('<campaignId>')
    .action(async (id: string) => {
      const r = await client().request<ReportLocation>('POST', `/campaigns/${enc(id)}/reports`);
      print(r, () => reportText(r));
    });
}
