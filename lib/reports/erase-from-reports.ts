import { parse } from 'csv-parse/sync';
import type { Campaign } from '../sending/campaign';
import { csvDocument, leadColumns, recipientColumns } from './render-csv';
import { renderReportHtml } from './render-html';
import type { Report } from './report';
import type { ReportStore } from './ports';

/**
 * Right to erasure, in the reports already written (docs/reports.md, "Erasure"). A report names
 * people in four files: `recipients.csv` (email), `leads.csv` (email, name, company, link, reasons),
 * `report.json` and `report.html` (the MQL list's name, company, reasons and link). Each report
 * that may hold the contact is rewritten as a report written after the erasure would be: the
 * contact's row stays (its id and flags, so every column still adds up to the figures), what
 * described the person is blank; the page is rendered again from the rewritten JSON. Earlier
 * versions of each rewritten object are deleted (the stack's bucket is versioned). Rewriting is
 * idempotent, so a repeated erasure completes one that failed half-way.
 *
 * Which reports: every report of each campaign the contact was in (`reports/campaigns/<id>/`), and
 * every period report whose period holds one of those campaigns' sends, read from its key
 * (`reports/periods/<from>_<to>/`), so no index is kept and nothing is added to report writing.
 */
export interface ReportErasureDeps {
  reports: ReportStore;
}

/** Columns blanked in the contact's rows: a report written after the erasure has nothing there. */
const blanked = {
  'recipients.csv': { columns: recipientColumns as readonly string[], blank: ['email'] },
  'leads.csv': { columns: leadColumns as readonly string[], blank: ['email', 'name', 'company', 'clickedLink', 'reasons'] },
} as const;

const PERIOD_KEY = /^reports\/periods\/(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})\//;

/** The report keys that may name a contact of these campaigns. */
async function candidateKeys(deps: ReportErasureDeps, campaigns: Campaign[]): Promise<string[]> {
  const keys: string[] = [];
  for (const c of campaigns) keys.push(...(await deps.reports.list(`reports/campaigns/${c.campaignId}/`)));
  const sendDays = campaigns.flatMap((c) => (c.sendRequestedAt ? [c.sendRequestedAt.slice(0, 10)] : []));
  if (sendDays.length) {
    for (const key of await deps.reports.list('reports/periods/')) {
      const period = PERIOD_KEY.exec(key);
      if (period && sendDays.some((day) => day >= period[1]! && day <= period[2]!)) keys.push(key);
    }
  }
  return keys;
}

/** The CSV with the contact's rows blanked where they describe the person; undefined when unchanged. */
export function redactCsv(text: string, file: keyof typeof blanked, contactId: string): string | undefined {
  const rows: string[][] = parse(text, { bom: true, relax_column_count: true });
  const [header, ...body] = rows;
  if (!header) return undefined;
  const { blank } = blanked[file];
  const idColumn = header.indexOf('contactId');
  const blankColumns = blank.map((c) => header.indexOf(c)).filter((i) => i >= 0);
  let changed = false;
  const redacted = body.map((row) => {
    if (row[idColumn] !== contactId || blankColumns.every((i) => !row[i])) return row;
    changed = true;
    return row.map((cell, i) => (blankColumns.includes(i) ? '' : cell));
  });
  // The report's own writer (BOM, quoting, formula escaping): cells read back are text, and text
  // escaped before starts with `'`, so every other cell is written as it was read.
  return changed ? csvDocument(header, redacted) : undefined;
}

/** The report with the contact's MQL entry stripped of what described the person; undefined when unchanged. */
export function redactReport(report: Report, contactId: string): Report | undefined {
  let changed = false;
  const leads = report.mqls.leads.map((l) => {
    if (l.contactId !== contactId || (l.name === null && l.company === null && !l.reasons.length && l.clickedLink === null)) return l;
    changed = true;
    return { ...l, name: null, company: null, reasons: [], clickedLink: null };
  });
  return changed ? { ...report, mqls: { ...report.mqls, leads } } : undefined;
}

/** Writes the object again and deletes its earlier versions (copies of what the rewrite removes); also the re-keying's (rekey-reports.ts). */
export async function rewrite(deps: ReportErasureDeps, key: string, body: string, contentType: string) {
  await deps.reports.put(key, body, contentType);
  await deps.reports.removeEarlierVersions(key);
}

/** Rewrites one stored report object; answers whether it named the contact. */
async function eraseFromObject(deps: ReportErasureDeps, key: string, contactId: string): Promise<boolean> {
  const file = key.slice(key.lastIndexOf('/') + 1);
  if (file !== 'report.json' && file !== 'recipients.csv' && file !== 'leads.csv') return false;
  const text = await deps.reports.get(key);
  if (text === undefined) return false;
  if (file === 'report.json') {
    const report = redactReport(JSON.parse(text) as Report, contactId);
    if (!report) return false;
    // The page first: were the JSON rewritten first and the page's write to fail, a repeated
    // erasure would find the JSON clean and leave the page as it was.
    await rewrite(deps, `${key.slice(0, -'report.json'.length)}report.html`, renderReportHtml(report), 'text/html');
    await rewrite(deps, key, `${JSON.stringify(report, null, 2)}\n`, 'application/json');
    return true;
  }
  const redacted = redactCsv(text, file, contactId);
  if (redacted === undefined) return false;
  await rewrite(deps, key, redacted, 'text/csv');
  return true;
}

/** Rewrites every stored report object that names the contact; answers how many were rewritten. */
export async function eraseFromReports(deps: ReportErasureDeps, contactId: string, campaigns: Campaign[]): Promise<number> {
  let rewritten = 0;
  for (const key of await candidateKeys(deps, campaigns)) if (await eraseFromObject(deps, key, contactId)) rewritten++;
  return rewritten;
}
