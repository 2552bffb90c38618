import type { Command } from 'commander';
import type { CommandContext } from './context';

/** What the API answers for a report (functions/api/routes/reports.ts). */
export interface ReportLocation {
  status: 'written' | 'writing';
  keys: Record<string, string>;
  urls: Record<string, string>;
}

/** A report's files, one per line: what it is and where to open it. */
export function reportText(r: ReportLocation): string {
  return [
    r.status === 'written' ? 'report written:' : 'report being written by the report function (the files appear under these keys):',
    ...Object.entries(r.urls).map(([k, v]) => `  ${k.padEnd(14)} ${v}`),
  ].join('\n');
}

/** `mql report --from <day> --to <day>`: every campaign sent in a period, in one report (POST /reports). */
export function addPeriodReportCommand(program: Command, { client, print }: CommandContext): void {
  program
    .command('report')
    .description('Write the report of every campaign sent in a period (whole UTC days, --to included) to S3 and print where')
    .requiredOption('--from <YYYY-MM-DD>', 'first day')
    .requiredOption('--to <YYYY-MM-DD>', 'last day (included; at most 366 days after --from)')
    .addHelpText('after', '\nOne campaign: mql campaign report <campaignId>.')
    .action(async (o: { from: string; to: string }) => {
      const r = await client().request<ReportLocation>('POST', '/reports', { from: o.from, to: o.to });
      print(r, () => reportText(r));
    });
}
