import type { Command } from 'commander';
import { listOf, type CommandContext } from './context';
import { addCriteriaReviewCommands } from './criteria-review';

/** `mql criteria create|list|get|edit|publish|versions|backtest|review|suggest|approve`: docs/qualification.md. */
export function addCriteriaCommands(program: Command, context: CommandContext): void {
  const criteria = program
    .command('criteria')
    .description('Qualification criteria: fit and engagement rules, versions, backtests (docs/qualification.md)');
  addDrafts(criteria, context);
  addVersions(criteria, context);
  addBacktest(criteria, context);
  addCriteriaReviewCommands(criteria, context);
}

const enc = encodeURIComponent;

/** create, list, get, edit: the draft (and, with `get --version`, a published version). */
function addDrafts(criteria: Command, { client, print, readJson }: CommandContext): void {
  criteria
    .command('create')
    .description('Create a criteria set whose draft is the JSON file (a criteria document)')
    .requiredOption('--file <criteria.json>')
    .action(async (o) => {
      const d = await client().request<{ criteriaId: string; revision: number }>('POST', '/criteria', await readJson(o.file));
      print(d, () => `criteria ${d.criteriaId}: draft revision ${d.revision} (publish it to use it)`);
    });
  criteria
    .command('list')
    .description('List criteria sets')
    .action(async () => {
      const r = await client().request<{
        items: { criteriaId: string; document: { name: string }; latestVersion?: number; revision: number }[];
      }>('GET', '/criteria');
      print(
        r,
        () =>
          r.items.map((c) => `${c.criteriaId}  ${c.document.name}  latest v${c.latestVersion ?? '—'}  draft r${c.revision}`).join('\n') ||
          'no criteria',
      );
    });
  criteria
    .command('get')
    .description('Show a criteria set: its draft and versions; with --version, that published version')
    .argument('<criteriaId>')
    .option('--version <n>', 'a published version')
    .action(async (id: string, o) => {
      const path = o.version ? `/criteria/${enc(id)}/versions/${enc(o.version)}` : `/criteria/${enc(id)}`;
      const r = await client().request<unknown>('GET', path);
      print(r, () => JSON.stringify(r, null, 2));
    });
  criteria
    .command('edit')
    .description('Replace the draft with the JSON file (published versions never change)')
    .argument('<criteriaId>')
    .requiredOption('--file <criteria.json>')
    .option('--revision <n>', 'only if the draft is still at this revision')
    .action(async (id: string, o) => {
      const q = o.revision ? `?revision=${enc(o.revision)}` : '';
      const d = await client().request<{ revision: number }>('PUT', `/criteria/${enc(id)}/draft${q}`, await readJson(o.file));
      print(d, () => `draft ${id} at revision ${d.revision}`);
    });
}

function addVersions(criteria: Command, { client, print }: CommandContext): void {
  criteria
    .command('publish')
    .description('Publish the draft as the next immutable version')
    .argument('<criteriaId>')
    .option('--default', 'also make it the default set (for engagement events posted with no campaign)')
    .action(async (id: string, o) => {
      const r = await client().request<{ version: { version: number }; published: boolean; isDefault: boolean }>(
        'POST',
        `/criteria/${enc(id)}/publish${o.default ? '?makeDefault=true' : ''}`,
      );
      print(
        r,
        () =>
          `${id} v${r.version.version}${r.published ? ' published' : ' (unchanged draft: already published)'}${r.isDefault ? ', default' : ''}`,
      );
    });
  criteria
    .command('versions')
    .description('List published versions')
    .argument('<criteriaId>')
    .action(async (id: string) => {
      const r = await client().request<{ items: { version: number; publishedAt: string; document: { name: string } }[] }>(
        'GET',
        `/criteria/${enc(id)}/versions`,
      );
      print(r, () => r.items.map((v) => `v${v.version}  ${v.publishedAt}  ${v.document.name}`).join('\n') || 'no published version');
    });
}

type BacktestRow = {
  campaignId: string;
  delivered: number;
  engagedContacts: number;
  wouldQualify: number;
  handRaisers: number;
  mqlsToday: number;
  acceptedBySales: number;
  currentMqls: number;
};
type Backtest = { campaigns: BacktestRow[]; totals: Omit<BacktestRow, 'campaignId'>; forecast?: Record<string, unknown> };

function addBacktest(criteria: Command, { client, print }: CommandContext): void {
  criteria
    .command('backtest')
    .description('Evaluate the draft (or a version) against recorded engagement of campaigns')
    .argument('<criteriaId>')
    .requiredOption('--campaigns <ids>', 'comma-separated campaign ids (at most 20)')
    .option('--version <n>', 'a published version instead of the draft')
    .option('--target <mqls>', 'monthly MQL target: says whether the sending volume produces it')
    .option('--volume <emails>', 'deliveries per month (measured from the last 30 days when absent)')
    .action(async (id: string, o) => {
      const body = {
        campaignIds: listOf(o.campaigns),
        ...(o.version ? { version: Number(o.version) } : {}),
        ...(o.target ? { monthlyTarget: Number(o.target) } : {}),
        ...(o.volume ? { monthlyVolume: Number(o.volume) } : {}),
      };
      const r = await client().request<Backtest>('POST', `/criteria/${enc(id)}/backtest`, body);
      print(r, () => backtestTable(r));
    });
}

function backtestTable(r: Backtest): string {
  return [
    'campaign                     delivered  engaged  would-MQL  hand-raisers  MQL today  accepted  current MQLs',
    ...[...r.campaigns, { campaignId: 'total', ...r.totals }].map((c) =>
      [
        c.campaignId.padEnd(28),
        c.delivered,
        c.engagedContacts,
        c.wouldQualify,
        c.handRaisers,
        c.mqlsToday,
        c.acceptedBySales,
        c.currentMqls,
      ]
        .map((v, i) => (i ? String(v).padStart(i === 4 ? 13 : 10) : v))
        .join(' '),
    ),
    r.forecast ? forecastText(r.forecast as unknown as Forecast) : '',
  ]
    .filter(Boolean)
    .join('\n');
}

interface Forecast {
  monthlyTarget: number;
  monthlyVolume: number | null;
  volumeSource: string;
  projectedMqlsPerMonth: number | null;
  enough: boolean | null;
  volumeNeeded: number | null;
}

/** The backtest's forecast in a sentence: will the sending volume produce the MQLs sales wants? */
function forecastText(f: Forecast): string {
  if (f.projectedMqlsPerMonth === null || f.monthlyVolume === null) {
    return `forecast: target ${f.monthlyTarget} MQLs a month; not enough data to project (no delivered email or no known monthly volume)`;
  }
  const verdict = f.enough ? 'enough' : `not enough${f.volumeNeeded !== null ? `: about ${f.volumeNeeded} emails a month needed` : ''}`;
  return `forecast: ${f.projectedMqlsPerMonth} MQLs a month from ${f.monthlyVolume} emails (${f.volumeSource}) against a target of ${f.monthlyTarget}: ${verdict}`;
}
