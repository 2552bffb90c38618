import { stringify, type Options } from 'csv-stringify/sync';
import type { MachineRules } from '../engagement/machine-activity';
import { project, type RecipientEngagement } from '../engagement/recipient';
import type { Lead } from '../qualification/lead';
import { criteriaVersionOf, isAcceptedBySales } from './lead-stages';

/**
 * CSV for spreadsheets, by csv-stringify: RFC 4180 quoting; UTF-8 with a byte-order mark, because
 * Excel opens BOM-less UTF-8 as the local code page and mangles accented names (Google Sheets,
 * Numbers and LibreOffice ignore the BOM); and `escape_formulas`, which prefixes `'` to text cells
 * starting with = + - @ tab CR (and their full-width forms), so a spreadsheet never runs a name
 * like `=HYPERLINK(…)` as a formula (OWASP CSV injection). Numbers are written as numbers.
 */
const options: Options = {
  escape_formulas: true,
  cast: { boolean: (value) => (value ? 'yes' : 'no') },
};

export type CsvCell = string | number | boolean | null | undefined;

/** The CSV a chunk at a time: header (with the BOM), then one chunk per page of rows. */
export async function* csvChunks(
  columns: readonly string[],
  pages: AsyncIterable<CsvCell[][]> | Iterable<CsvCell[][]>,
): AsyncGenerator<string> {
  yield stringify([columns as string[]], { ...options, bom: true });
  for await (const rows of pages) if (rows.length) yield stringify(rows, options);
}

/** A whole CSV at once, exactly as `csvChunks` writes it (header with the BOM, then the rows). */
export function csvDocument(columns: readonly string[], rows: CsvCell[][]): string {
  return stringify([columns as string[]], { ...options, bom: true }) + (rows.length ? stringify(rows, options) : '');
}

export const recipientColumns = [
  'campaignId',
  'contactId',
  'email',
  'sent',
  'delivered',
  'bounce',
  'complained',
  'unsubscribed',
  'opened',
  'humanOpened',
  'clicked',
  'humanClicked',
  'opens',
  'humanOpens',
  'clicks',
  'humanClicks',
  'machineFlags',
  'mql',
  'stage',
] as const;

/**
 * One recipient's row. The flags come from `project`, the same function the campaign's counters
 * are summed from, so the CSV's columns add up to the report's figures by construction.
 */
export function recipientRow(
  state: RecipientEngagement,
  email: string | undefined,
  lead: Lead | undefined,
  rules: MachineRules,
): CsvCell[] {
  const c = project(state, rules);
  const n = (k: string) => c[k] ?? 0;
  const flags = Object.keys(c)
    .filter((k) => k.startsWith('flag:'))
    .map((k) => k.slice(5))
    .sort()
    .join(' ');
  return [
    state.campaignId,
    state.contactId,
    email ?? '',
    n('sent') > 0,
    n('delivered') > 0,
    state.bounceType ?? '',
    n('complained') > 0,
    n('unsubscribed') > 0,
    n('opened') > 0,
    n('humanOpened') > 0,
    n('clicked') > 0,
    n('humanClicked') > 0,
    n('opens'),
    n('humanOpens'),
    n('clicks'),
    n('humanClicks'),
    flags,
    lead !== undefined,
    lead?.stage ?? '',
  ];
}

export const leadColumns = [
  'campaignId',
  'leadId',
  'contactId',
  'email',
  'name',
  'company',
  'qualifiedAt',
  'stage',
  'acceptedBySales',
  'rejectionReason',
  'criteria',
  'owner',
  'clickedLink',
  'reasons',
] as const;

export function leadRow(lead: Lead, contact: { email?: string; name?: string | null; company?: string | null } | undefined): CsvCell[] {
  return [
    lead.campaignId ?? '',
    lead.leadId,
    lead.contactId,
    contact?.email ?? '',
    contact?.name ?? '',
    contact?.company ?? '',
    lead.qualifiedAt,
    lead.stage,
    isAcceptedBySales(lead),
    lead.rejectionReason ?? '',
    criteriaVersionOf(lead),
    lead.owner,
    lead.trigger.linkUrl ?? '',
    lead.reasons.join('; '),
  ];
}
