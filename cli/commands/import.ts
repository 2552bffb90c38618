import { SingleBar } from 'cli-progress';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { stringify } from 'csv-stringify';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { delimiterNames, type DelimiterName, type RowError } from '../../lib/contacts/contact-import';
import { importFile, type ImportSummary } from '../import';
import type { CliIo, CommandContext } from './context';

/** `mql import <file>`: contacts from CSV, JSON or NDJSON, streamed to the API in chunks (../import.ts). */
export function addImportCommand(program: Command, context: CommandContext): void {
  program
    .command('import')
    .description(
      'Import contacts from a CSV, JSON or NDJSON file: upserts by email, never re-subscribes anyone; consent no withdraws consent',
    )
    .argument('<file>', 'contacts.csv (header row), contacts.json (a list, or { "contacts": [ … ] }) or contacts.ndjson')
    .addOption(delimiterOption())
    .option('--errors <file.csv>', 'write every rejected row (row, field, reason) to this CSV file')
    .option(
      '--chunk-size <rows>',
      'rows per API request (1–5000)',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 5000) throw new InvalidArgumentError('must be a whole number from 1 to 5000');
        return n;
      },
      1000,
    )
    .addHelpText(
      'after',
      `
CSV: a header row naming contact fields (email is required; "First Name", first_name and firstName are
the same). Fields: email, firstName, lastName, company, industry, companySize, country (ISO-2), role,
seniority, region, ageBand, incomeBand, interests (separated by ;), contactMe and consent (yes/no,
true/false, 1/0), owner (an email). Quote values holding commas, quotes or line breaks ("Acme, Inc.").
An empty cell changes nothing. consent "no" withdraws consent an existing contact gave (listed in
the summary); consent "yes" does not give back consent the person withdrew (a warning: use mql
contacts update <contact> --consent true). An import never re-subscribes an unsubscribed, bounced
or complained contact. Row 1 is the first row after the header.

The file is checked as a whole first (nothing is written if it cannot be read), then sent in chunks;
rows with problems are reported and the rest imported.`,
    )
    .action((file: string, o: ImportOptions) => importContacts(context, file, o));
}

interface ImportOptions {
  delimiter: DelimiterName;
  errors?: string;
  chunkSize: number;
}

const delimiterOption = () => new Option('--delimiter <name>', 'CSV field delimiter').choices(Object.keys(delimiterNames)).default('comma');

async function importContacts({ client, print, json, io }: CommandContext, file: string, o: ImportOptions): Promise<void> {
  const rejectedRows = o.errors ? rejectedRowsFile(o.errors) : undefined;
  const bar = json() ? undefined : progressBar(io);
  const summary = await importFile(client(), file, {
    delimiter: delimiterNames[o.delimiter],
    chunkSize: o.chunkSize,
    onStart: (total) => bar?.start(total, 0, { created: 0, updated: 0, rejected: 0 }),
    onProgress: (p) => bar?.update(p.rows, p),
    onRowErrors: (errors) => rejectedRows?.write(errors),
  }).finally(async () => {
    bar?.stop();
    await rejectedRows?.close();
  });
  print(summary, () => summaryText(summary, o.errors));
}

function progressBar(io: CliIo): SingleBar {
  return new SingleBar({
    format:
      'importing {bar} {percentage}% | {value}/{total} rows | {created} new, {updated} updated, {rejected} rejected | eta {eta_formatted}',
    stream: io.progressStream ?? process.stderr,
    hideCursor: true,
    barsize: 30,
  });
}

function summaryText(summary: ImportSummary, errorsFile: string | undefined): string {
  return [
    `imported ${summary.created} new, updated ${summary.updated}, rejected ${summary.rejected} (of ${summary.totalRows} rows)`,
    ...summary.firstErrors.map((e) => `  row ${e.row}: ${e.reason}`),
    summary.rejected > summary.firstErrors.length
      ? `  … ${errorsFile ? `every rejected row is in ${errorsFile}` : 'pass --errors rejected.csv to get every rejected row'}`
      : '',
    summary.consentWithdrawn.length
      ? `consent withdrawn: ${summary.consentWithdrawn.length} contact(s) (rows ${rowList(summary.consentWithdrawn)}): they are mailed no more`
      : '',
    ...summary.warnings.slice(0, 20).map((w) => `  warning, row ${w.row}: ${w.reason}`),
  ]
    .filter(Boolean)
    .join('\n');
}

const rowList = (rows: { row: number }[]) =>
  rows
    .slice(0, 20)
    .map((r) => r.row)
    .join(', ') + (rows.length > 20 ? ', …' : '');

/**
 * The `--errors` file: every rejected row as `row,field,reason`, by csv-stringify. The reason is
 * always quoted (it is prose, often with commas); the header is written even when no row is rejected.
 */
function rejectedRowsFile(path: string) {
  const csv = stringify({
    header: true,
    columns: ['row', 'field', 'reason'],
    cast: { string: (value, context) => (context.column === 'reason' ? { value, quoted: true, quoted_empty: true } : value) },
  });
  const file = csv.pipe(createWriteStream(path));
  return {
    write: (errors: RowError[]) => {
      for (const e of errors) csv.write({ row: e.row, field: e.field, reason: e.reason });
    },
    close: async () => {
      csv.end();
      await finished(file);
    },
  };
}
