import { Command, Option } from 'commander';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { SingleBar, Presets } from 'cli-progress';
import { ApiError, apiClient, type ApiClient } from './http-client';

/**
 * `mql`: the marketers' command line. Every command is a call to the HTTP API, so what the CLI can
 * do, the API can do, and the CLI never touches the database.
 */
const program = new Command()
  .name('mql')
  .description('Turn email campaigns into marketing-qualified leads: import contacts, define an ideal customer profile, send, read results.')
  .addOption(new Option('--endpoint <url>', 'API base URL').env('MQL_ENDPOINT').default(`http://127.0.0.1:${process.env.MQL_PORT ?? 3000}`))
  .option('--json', 'print machine-readable JSON only')
  .showHelpAfterError();

const client = (): ApiClient => apiClient(program.opts().endpoint);
const print = (value: unknown, human: () => string) => console.log(program.opts().json ? JSON.stringify(value, null, 2) : human());
const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(2)} %`);

const IMPORT_CHUNK = 1_000;

/** Reads contacts from CSV (header row; `consent` yes/true/1) or a JSON array, streaming the CSV. */
async function* readContacts(file: string): AsyncGenerator<Record<string, unknown>> {
  if (file.endsWith('.json')) {
    const data = JSON.parse(await readFile(file, 'utf8'));
    yield* (Array.isArray(data) ? data : data.contacts) as Record<string, unknown>[];
    return;
  }
  const parser = createReadStream(file).pipe(parse({ columns: true, bom: true, skip_empty_lines: true, trim: true }));
  for await (const row of parser as AsyncIterable<Record<string, string>>) {
    const contact: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) if (v !== '') contact[k] = v;
    if (typeof contact.consent === 'string') contact.consent = /^(true|yes|1|y)$/i.test(contact.consent);
    yield contact;
  }
}

program
  .command('import')
  .description('Import contacts from a CSV (with a header row) or JSON file; upserts by email, never re-subscribes anyone')
  .argument('<file>', 'contacts.csv or contacts.json')
  .action(async (file: string) => {
    const totals = { created: 0, updated: 0, rejected: 0, errors: [] as { row: number; field: string; reason: string }[] };
    const bar = program.opts().json ? undefined : new SingleBar({ format: 'importing {bar} {value} rows | {created} new, {updated} updated, {rejected} rejected' }, Presets.shades_classic);
    bar?.start(0, 0, { created: 0, updated: 0, rejected: 0 });
    let offset = 0;
    let chunk: Record<string, unknown>[] = [];
    const flush = async () => {
      if (!chunk.length) return;
      const r = await client().request<typeof totals>('POST', '/contacts/import', { contacts: chunk });
      totals.created += r.created;
      totals.updated += r.updated;
      totals.rejected += r.rejected;
      totals.errors.push(...r.errors.map((e) => ({ ...e, row: e.row + offset })));
      offset += chunk.length;
      bar?.setTotal(offset);
      bar?.update(offset, totals);
      chunk = [];
    };
    for await (const contact of readContacts(file)) {
      chunk.push(contact);
      if (chunk.length >= IMPORT_CHUNK) await flush();
    }
    await flush();
    bar?.stop();
    print(totals, () =>
      [
        `imported ${totals.created}, updated ${totals.updated}, rejected ${totals.rejected}`,
        ...totals.errors.slice(0, 20).map((e) => `  row ${e.row}: ${e.field}: ${e.reason}`),
        totals.errors.length > 20 ? `  … and ${totals.errors.length - 20} more` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
  });

const profiles = program.command('profile').description('Ideal customer profiles (the fit half of qualification)');
profiles
  .command('create')
  .description('Create a profile from flags or a JSON file')
  .option('--file <profile.json>')
  .option('--name <name>')
  .option('--industries <list>', 'comma-separated')
  .option('--company-sizes <list>', 'comma-separated, e.g. 51-200,201-1000')
  .option('--countries <list>', 'ISO-2 codes, comma-separated')
  .option('--seniorities <list>', 'e.g. manager,director,vp,c-level')
  .action(async (o) => {
    const list = (v?: string) => v?.split(',').map((s) => s.trim()).filter(Boolean);
    const body = o.file
      ? JSON.parse(await readFile(o.file, 'utf8'))
      : { name: o.name, industries: list(o.industries), companySizes: list(o.companySizes), countries: list(o.countries), seniorities: list(o.seniorities) };
    const p = await client().request<{ profileId: string; version: number }>('POST', '/profiles', body);
    print(p, () => `profile ${p.profileId} v${p.version}`);
  });

const campaigns = program.command('campaign').description('Create, send and follow campaigns');
campaigns
  .command('create')
  .description('Create a draft campaign from a JSON file (name, subject, fromAddress, htmlTemplate, textTemplate, profileId)')
  .requiredOption('--file <campaign.json>')
  .action(async (o) => {
    const c = await client().request<{ campaignId: string; status: string }>('POST', '/campaigns', JSON.parse(await readFile(o.file, 'utf8')));
    print(c, () => `campaign ${c.campaignId} (${c.status})`);
  });
campaigns
  .command('send')
  .description('Start sending a draft campaign (a repeated send never starts a second one)')
  .argument('<campaignId>')
  .action(async (id: string) => {
    const r = await client().request<{ status: string; started: boolean }>('POST', `/campaigns/${encodeURIComponent(id)}/send`);
    print(r, () => (r.started ? `sending ${id}` : `${id} is already ${r.status}; nothing started`));
  });
campaigns
  .command('stats')
  .description('Live figures: delivered, opens, clicks, rates (all and human)')
  .argument('<campaignId>')
  .action(async (id: string) => {
    const s = await client().request<{ status: string; metrics: import('../lib/engagement/metrics').CampaignMetrics }>('GET', `/campaigns/${encodeURIComponent(id)}/stats`);
    const m = s.metrics;
    print(s, () =>
      [
        `${id} (${s.status})`,
        `sent ${m.sent}  delivered ${m.delivered}  bounced ${m.bounced}  complaints ${m.complained}  unsubscribed ${m.unsubscribed}`,
        `unique opens ${m.uniqueOpens} (human ${m.human.uniqueOpens})  unique clicks ${m.uniqueClicks} (human ${m.human.uniqueClicks})`,
        `open rate ${pct(m.rates.openRate)} (human ${pct(m.rates.human.openRate)})  click rate ${pct(m.rates.clickRate)} (human ${pct(m.rates.human.clickRate)})  CTOR ${pct(m.rates.clickToOpenRate)}`,
      ].join('\n'),
    );
  });
campaigns
  .command('report')
  .description('Write the campaign report (JSON, CSV, HTML) to S3 and print where')
  .argument('<campaignId>')
  .action(async (id: string) => {
    const r = await client().request<{ keys: Record<string, string>; urls: Record<string, string> }>('POST', `/campaigns/${encodeURIComponent(id)}/reports`);
    print(r, () => Object.entries(r.urls).map(([k, v]) => `${k}: ${v}`).join('\n'));
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof ApiError) {
    console.error(`error ${error.status} ${error.body.error?.code ?? ''}: ${error.message}`);
    for (const d of (error.body.error?.details as { path?: string[]; message?: string }[] | undefined) ?? []) {
      console.error(`  ${d.path?.join('.') ?? ''}: ${d.message ?? JSON.stringify(d)}`);
    }
  } else console.error(`error: ${(error as Error).message}`);
  process.exitCode = 1;
});
