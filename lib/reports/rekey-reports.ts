import { replaceLegacyIds } from '../common/ids';
import { rewrite } from './erase-from-reports';
import type { ReportStore } from './ports';

/** Content types the report writer gives each kind of object (lib/reports/write-reports.ts). */
const contentTypes: Record<string, string> = { csv: 'text/csv', json: 'application/json', html: 'text/html' };

/**
 * Re-keying legacy contact ids in the reports already written (lib/contacts/rekey-contacts.ts):
 * every object of the bucket holding a mapped legacy id (recipients.csv, leads.csv, report.json,
 * report.html) is written again with the keyed ids and its earlier versions deleted, as erasure
 * does (lib/reports/erase-from-reports.ts). Contact ids are letters, digits, `_` and `-`, which no
 * format here quotes or escapes, so replacing them in the text changes nothing else: the figures
 * stay byte for byte. Each object is checked on its own, so a run stopped half-way is finished by
 * the next. Answers how many objects were (or, dry, would be) rewritten.
 */
export async function rekeyReports(
  deps: { reports: ReportStore },
  mapping: ReadonlyMap<string, string>,
  options: { dryRun: boolean },
): Promise<number> {
  let rewritten = 0;
  for (const key of await deps.reports.list('')) {
    const type = contentTypes[key.slice(key.lastIndexOf('.') + 1)];
    if (!type) continue;
    const text = await deps.reports.get(key);
    const rekeyed = text === undefined ? undefined : replaceLegacyIds(text, mapping);
    if (rekeyed === undefined) continue;
    rewritten++;
    if (options.dryRun) continue;
    await rewrite(deps, key, rekeyed, type);
  }
  return rewritten;
}
