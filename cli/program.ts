import { Command, InvalidArgumentError, Option } from 'commander';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { contactStatuses, companySizes, seniorities } from '../lib/contacts/contact';
import { delimiterNames, type DelimiterName } from '../lib/contacts/contact-import';
import type { CampaignMetrics } from '../lib/engagement/metrics';
import type { SendingProgress } from '../lib/sending/campaign-stats';
import { describeExclusions } from '../lib/sending/audience';
import { ApiError, apiClient, type ApiClient } from './http-client';
import { importFile } from './import';
import { isLoopback, regionOfEndpoint, sigV4Signer } from './sigv4';
import { addQualificationCommands } from './qualification-commands';

/**
 * `mql`: the marketers' command line. Every command is a call to the HTTP API, so what the CLI can
 * do, the API can do, and the CLI never touches the database. Built by a function so tests can run
 * it in-process with their own output streams.
 */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Where the progress bar draws. @default process.stderr */
  progressStream?: NodeJS.WritableStream;
}

const defaultEndpoint = () => process.env.MQL_ENDPOINT ?? `http://127.0.0.1:${process.env.MQL_PORT ?? 3000}`;
const pct = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(2)} %`);
const list = (v?: string) => v?.split(',').map((s) => s.trim()).filter(Boolean);
const delimiterOption = () =>
  new Option('--delimiter <name>', 'CSV field delimiter').choices(Object.keys(delimiterNames)).default('comma');

interface Campaign {
  campaignId: string;
  name: string;
  status: string;
  subject: string;
  createdAt: string;
}

export function buildProgram(io: CliIo = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) }): Command {
  const program = new Command()
    .name('mql')
    .description(
      'Turn email campaigns into marketing-qualified leads: import contacts, define an ideal customer profile, create and send campaigns, read live results; qualification criteria, backtests and sales feedback.\n' +
        'Every command calls the mql-pipeline HTTP API: the local one (`npm start`) by default, or a deployed one with --endpoint (requests are then signed with AWS SigV4 from your usual AWS credentials).',
    )
    .addOption(new Option('--endpoint <url>', 'API base URL (env MQL_ENDPOINT)').default(defaultEndpoint(), 'http://127.0.0.1:3000, the local API'))
    .addOption(new Option('--region <region>', 'AWS region for signing (default: from the endpoint, or AWS_REGION)'))
    .addOption(new Option('--profile <name>', 'AWS profile for signing (default: AWS_PROFILE or the default chain)'))
    .option('--no-sign', 'never sign requests (signing is automatic for non-loopback endpoints)')
    .option('--json', 'print machine-readable JSON only')
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
A first session, against the local stack (npm start), with the repository's examples:
  $ mql import examples/contacts.csv
  $ mql profile create --name "Mid-market software" --industries Software --company-sizes 201-1000,1001-5000
  $ mql campaign create --file examples/campaign.json --profile-id icp_…
  $ mql campaign send cmp_…
  $ mql campaign stats cmp_…

Against a deployed API (credentials from the AWS chain: env, ~/.aws, SSO, roles):
  $ mql --endpoint https://abc123.execute-api.eu-west-1.amazonaws.com import contacts.csv`,
    );

  const opts = () => program.opts<{ endpoint: string; region?: string; profile?: string; sign: boolean; json?: boolean }>();
  const client = (): ApiClient => {
    const { endpoint, region, profile, sign } = opts();
    if (!sign || isLoopback(endpoint)) return apiClient(endpoint);
    const signingRegion = region ?? regionOfEndpoint(endpoint) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!signingRegion) throw new Error('cannot tell the AWS region to sign for: pass --region or set AWS_REGION');
    return apiClient(endpoint, { signer: sigV4Signer({ region: signingRegion, profile }) });
  };
  const print = (value: unknown, human: () => string) => io.out(opts().json ? JSON.stringify(value, null, 2) : human());
  const readJson = async (file: string) => {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as unknown;
    } catch (error) {
      throw new Error(`cannot read ${file} as JSON: ${(error as Error).message.split('\n')[0]}`);
    }
  };
  /** Contacts are named by id or by email; an email is looked up first. */
  const contactIdOf = async (idOrEmail: string) => {
    if (!idOrEmail.includes('@')) return idOrEmail;
    const page = await client().request<{ items: { contactId: string }[] }>('GET', `/contacts?email=${encodeURIComponent(idOrEmail)}`);
    if (!page.items[0]) throw new ApiError(404, { error: { code: 'NOT_FOUND', message: `no contact with the email ${idOrEmail}` } });
    return page.items[0].contactId;
  };

  program
    .command('import')
    .description('Import contacts from a CSV, JSON or NDJSON file: upserts by email, never re-subscribes anyone, never clears consent')
    .argument('<file>', 'contacts.csv (header row), contacts.json (a list, or { "contacts": [ … ] }) or contacts.ndjson')
    .addOption(delimiterOption())
    .option('--errors <file.csv>', 'write every rejected row (row, field, reason) to this CSV file')
    .option('--chunk-size <rows>', 'rows per API request (1–5000)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 5000) throw new InvalidArgumentError('must be a whole number from 1 to 5000');
      return n;
    }, 1000)
    .addHelpText(
      'after',
      `
CSV: a header row naming contact fields (email is required; "First Name", first_name and firstName are
the same). Fields: email, firstName, lastName, company, industry, companySize, country (ISO-2), role,
seniority, region, ageBand, incomeBand, interests (separated by ;), contactMe and consent (yes/no,
true/false, 1/0), owner (an email). Quote values holding commas, quotes or line breaks ("Acme, Inc.").
An empty cell changes nothing; an import never clears consent or re-subscribes an unsubscribed,
bounced or complained contact. Row 1 is the first row after the header.

The file is checked as a whole first (nothing is written if it cannot be read), then sent in chunks;
rows with problems are reported and the rest imported.`,
    )
    .action(async (file: string, o: { delimiter: DelimiterName; errors?: string; chunkSize: number }) => {
      const errorsOut = o.errors ? createWriteStream(o.errors) : undefined;
      errorsOut?.write('row,field,reason\n');
      const bar = opts().json
        ? undefined
        : new SingleBar({
            format: 'importing {bar} {percentage}% | {value}/{total} rows | {created} new, {updated} updated, {rejected} rejected | eta {eta_formatted}',
            stream: io.progressStream ?? process.stderr,
            hideCursor: true,
            barsize: 30,
          });
      const summary = await importFile(client(), file, {
        delimiter: delimiterNames[o.delimiter],
        chunkSize: o.chunkSize,
        onStart: (total) => bar?.start(total, 0, { created: 0, updated: 0, rejected: 0 }),
        onProgress: (p) => bar?.update(p.rows, p),
        onRowErrors: (errors) => {
          for (const e of errors) errorsOut?.write(`${e.row},${e.field},"${e.reason.replace(/"/g, '""')}"\n`);
        },
      }).finally(() => bar?.stop());
      if (errorsOut) await new Promise((r) => errorsOut.end(r));
      print(summary, () =>
        [
          `imported ${summary.created} new, updated ${summary.updated}, rejected ${summary.rejected} (of ${summary.totalRows} rows)`,
          ...summary.firstErrors.map((e) => `  row ${e.row}: ${e.field}: ${e.reason}`),
          summary.rejected > summary.firstErrors.length ? `  … ${o.errors ? `every rejected row is in ${o.errors}` : 'pass --errors rejected.csv to get every rejected row'}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });

  const contacts = program.command('contacts').description('Look up, list, export and erase contacts');
  contacts
    .command('get')
    .description('Show one contact')
    .argument('<contact>', 'contact id (ct_…) or email')
    .action(async (contact: string) => {
      const c = await client().request<Record<string, unknown>>('GET', `/contacts/${encodeURIComponent(await contactIdOf(contact))}`);
      print(c, () => Object.entries(c).map(([k, v]) => `${k.padEnd(12)} ${Array.isArray(v) ? v.join(', ') : String(v)}`).join('\n'));
    });
  contacts
    .command('list')
    .description('List contacts, optionally filtered (filters combine; values match exactly)')
    .option('--industry <industry>')
    .option('--country <ISO-2>')
    .addOption(new Option('--company-size <size>').choices(companySizes))
    .addOption(new Option('--seniority <seniority>').choices(seniorities))
    .option('--region <region>')
    .option('--owner <email>')
    .option('--interest <category>')
    .addOption(new Option('--status <status>').choices(contactStatuses))
    .option('--limit <n>', 'contacts per page (1–500)', '50')
    .option('--all', 'follow the pages to the end')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const query = new URLSearchParams();
      for (const [option, param] of Object.entries({ industry: 'industry', country: 'country', companySize: 'companySize', seniority: 'seniority', region: 'region', owner: 'owner', interest: 'interest', status: 'status', limit: 'limit' })) {
        if (typeof o[option] === 'string') query.set(param, o[option] as string);
      }
      const items: Record<string, unknown>[] = [];
      let cursor: string | undefined;
      do {
        if (cursor) query.set('cursor', cursor);
        const page = await client().request<{ items: Record<string, unknown>[]; cursor?: string }>('GET', `/contacts?${query}`);
        items.push(...page.items);
        cursor = page.cursor;
        if (!o.all) break;
      } while (cursor);
      print({ items, cursor }, () =>
        [
          ...items.map((c) => [c.contactId, c.email, c.company ?? '', c.industry ?? '', c.suppressed ?? (c.consent ? 'mailable' : 'no consent')].join('\t')),
          cursor ? `(more: run with --all)` : `${items.length} contact${items.length === 1 ? '' : 's'}`,
        ].join('\n'),
      );
    });
  contacts
    .command('export')
    .description("Export everything held about a contact, its engagement included (a subject access request), as JSON")
    .argument('<contact>', 'contact id (ct_…) or email')
    .option('--out <file.json>', 'write to this file instead of standard output')
    .action(async (contact: string, o: { out?: string }) => {
      const data = await client().request('GET', `/contacts/${encodeURIComponent(await contactIdOf(contact))}/export`);
      if (o.out) {
        await writeFile(o.out, `${JSON.stringify(data, null, 2)}\n`);
        io.out(`wrote ${o.out}`);
      } else io.out(JSON.stringify(data, null, 2));
    });
  contacts
    .command('erase')
    .description("Erase a contact's data (right to erasure): the contact is never mailed or imported again; campaign figures stay as they were")
    .argument('<contact>', 'contact id (ct_…) or email')
    .requiredOption('--yes', 'confirm: this cannot be undone')
    .action(async (contact: string) => {
      const r = await client().request<{ contactId: string; campaigns: number; leadAnonymised: boolean; firstErasure: boolean }>(
        'DELETE',
        `/contacts/${encodeURIComponent(await contactIdOf(contact))}`,
      );
      print(r, () => `erased ${r.contactId}${r.firstErasure ? '' : ' (already erased; completed)'}: records emptied in ${r.campaigns} campaign(s)${r.leadAnonymised ? ', lead anonymised' : ''}`);
    });

  const profiles = program.command('profile').description('Ideal customer profiles (the fit half of qualification)');
  profiles
    .command('create')
    .description('Create a profile from flags or a JSON file')
    .option('--file <profile.json>', 'the whole profile as JSON')
    .option('--name <name>')
    .option('--industries <list>', 'comma-separated, e.g. Software,Banking')
    .option('--company-sizes <list>', `comma-separated, of ${companySizes.join(' ')}`)
    .option('--countries <list>', 'ISO-2 codes, comma-separated')
    .option('--seniorities <list>', `comma-separated, of ${seniorities.join(' ')}`)
    .action(async (o) => {
      const body = o.file
        ? await readJson(o.file)
        : { name: o.name, industries: list(o.industries), companySizes: list(o.companySizes), countries: list(o.countries), seniorities: list(o.seniorities) };
      const p = await client().request<{ profileId: string; version: number }>('POST', '/profiles', body);
      print(p, () => `profile ${p.profileId} v${p.version}`);
    });

  const campaigns = program.command('campaign').description('Create, edit, send and follow campaigns');
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
  campaigns
    .command('get')
    .description('Show a campaign')
    .argument('<campaignId>')
    .action(async (id: string) => {
      const c = await client().request<Campaign>('GET', `/campaigns/${encodeURIComponent(id)}`);
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
      print(page, () => [...page.items.map((c) => `${c.campaignId}\t${c.status}\t${c.createdAt.slice(0, 10)}\t${c.name}`), ...(page.cursor ? [`(more: --cursor ${page.cursor})`] : [])].join('\n'));
    });
  campaigns
    .command('update')
    .description('Change a draft campaign: the fields in the JSON file replace the stored ones (only a draft can change)')
    .argument('<campaignId>')
    .requiredOption('--file <changes.json>', 'e.g. { "subject": "New subject, {{firstName}}" }')
    .action(async (id: string, o: { file: string }) => {
      const c = await client().request<Campaign>('PATCH', `/campaigns/${encodeURIComponent(id)}`, await readJson(o.file));
      print(c, () => `campaign ${c.campaignId} updated (${c.status})`);
    });
  campaigns
    .command('send')
    .description('Start sending a draft campaign; it is sent once, whatever is repeated')
    .argument('<campaignId>')
    .option('--idempotency-key <key>', 'reuse the key of an earlier attempt to retry it safely (default: a new key)')
    .action(async (id: string, o: { idempotencyKey?: string }) => {
      const key = o.idempotencyKey ?? randomUUID();
      const r = await client().request<{ status: string; replayed: boolean }>('POST', `/campaigns/${encodeURIComponent(id)}/send`, undefined, { 'idempotency-key': key });
      print({ ...r, idempotencyKey: key }, () => (r.replayed ? `${id} was already started by this request (${r.status})` : `sending ${id} (idempotency key ${key})`));
    });
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
        const r = await client().request<{ status: string; changed: boolean }>('POST', `/campaigns/${encodeURIComponent(id)}/${action}`);
        print(r, () => (r.changed ? `${id} ${done}` : `${id} is already ${r.status}; nothing changed`));
      });
  }
  campaigns
    .command('stats')
    .description('Live figures: sending progress and exclusions; sent, delivered, bounces, opens, clicks and rates (all and human)')
    .argument('<campaignId>')
    .action(async (id: string) => {
      const s = await client().request<{ status: string; sending: SendingProgress; metrics: CampaignMetrics }>('GET', `/campaigns/${encodeURIComponent(id)}/stats`);
      const m = s.metrics;
      const g = s.sending;
      print(s, () =>
        [
          `${id} (${s.status}${g.pausedReason ? `: ${g.pausedReason}` : ''})`,
          `sending: ${g.sent} sent, ${g.failed} failed${g.remaining !== undefined ? `, ${g.remaining} to go of ${g.recipients}` : ''}; excluded: ${describeExclusions(g.excluded)}`,
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

  addQualificationCommands(program, { client, print, readJson, contactIdOf });
  return program;
}

/** Runs the CLI; answers the exit code (errors are printed, never thrown). */
export async function runCli(argv: string[], io?: CliIo): Promise<number> {
  const program = buildProgram(io);
  const err = io?.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  program.exitOverride();
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    const e = error as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return e.exitCode ?? 1; // commander printed it
    if (error instanceof ApiError) {
      err(`error ${error.status} ${error.body.error?.code ?? ''}: ${error.message}`);
      for (const d of (error.body.error?.details as { in?: string; path?: (string | number)[]; message?: string }[] | undefined) ?? []) {
        err(`  ${[d.in, d.path?.join('.')].filter(Boolean).join(' ')}: ${d.message ?? JSON.stringify(d)}`);
      }
    } else err(`error: ${(error as Error).message}`);
    return 1;
  }
}
