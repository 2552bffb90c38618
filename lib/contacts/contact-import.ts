import { parse, CsvError } from 'csv-parse';
import { Readable } from 'node:stream';
import { contactInputSchema } from './contact';
import { rowProblems } from './row-problems';
import { ValidationError } from '../common/errors';

/**
 * Reading contact files (CSV or a JSON list) into numbered rows, before validation. The API reads a
 * request body with it and the CLI reads a file with it, so a row means the same thing to both:
 * row 1 is the first data row (CSV: the line after the header; JSON: the first element).
 */

/** Why one row was not imported. */
export interface RowError {
  /** 1-based data row (CSV: the header is not counted; JSON: the list index + 1). */
  row: number;
  /** The contact field at fault, `(row)` when the row as a whole is. */
  field: string;
  reason: string;
}

/** A row ready for validation: its fields as read, or what made it unreadable. */
export type ImportRow = { row: number; fields: unknown } | { row: number; errors: RowError[] };

export const csvDelimiters = [',', ';', '\t', '|'] as const;
export type CsvDelimiter = (typeof csvDelimiters)[number];
/** Delimiters by name, as the API's `delimiter` query parameter and the CLI's `--delimiter` take them. */
export const delimiterNames = { comma: ',', semicolon: ';', tab: '\t', pipe: '|' } as const satisfies Record<string, CsvDelimiter>;
export type DelimiterName = keyof typeof delimiterNames;
const nameOf = (d: CsvDelimiter) => (Object.keys(delimiterNames) as DelimiterName[]).find((n) => delimiterNames[n] === d)!;

/** Separates the categories in a CSV `interests` cell: `analytics;security`. */
export const INTEREST_SEPARATOR = ';';

const contactFields = Object.keys(contactInputSchema.shape) as (keyof typeof contactInputSchema.shape)[];
const booleanFields = new Set<string>(['consent', 'contactMe']);
const truthy = new Set(['true', 'yes', 'y', '1']);
const falsy = new Set(['false', 'no', 'n', '0']);

/** `First Name`, `first_name` and `firstName` all name `firstName`: case, spaces, `_` and `-` are ignored. */
const headerKey = (name: string) => name.toLowerCase().replace(/[\s_-]/g, '');
const fieldByHeader = new Map<string, string>(contactFields.map((f) => [headerKey(f), f]));

export const rowsFromJson = (list: unknown[]): ImportRow[] => list.map((fields, i) => ({ row: i + 1, fields }));

const fileError = (message: string, details: { path: (string | number)[]; message: string }[] = []) =>
  new ValidationError(message, details.length ? details : [{ path: [], message }]);

/** Maps the header row to contact fields, or says precisely what is wrong with it. */
export function csvFieldsOf(header: string[], delimiter: CsvDelimiter): string[] {
  if (header.length === 1) {
    const other = csvDelimiters.find((d) => d !== delimiter && header[0]!.includes(d));
    if (other) {
      throw fileError(
        `the header row is a single column: the file looks ${nameOf(other)}-separated, but this import reads ${nameOf(delimiter)}-separated values (set the delimiter to ${nameOf(other)})`,
      );
    }
  }
  const fields = header.map((name) => fieldByHeader.get(headerKey(name)));
  const unknown = header.filter((_, i) => !fields[i]);
  if (unknown.length) {
    throw fileError(`unknown column${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}; known columns are ${contactFields.join(', ')}`);
  }
  const seen = new Set<string>();
  for (const f of fields as string[]) {
    if (seen.has(f)) throw fileError(`column ${f} appears twice in the header`);
    seen.add(f);
  }
  if (!seen.has('email')) throw fileError('the header has no email column');
  return fields as string[];
}

/** One CSV record as a row: empty cells are left out (an import never clears a value). */
export function rowFromCsvRecord(fields: string[], record: string[], row: number): ImportRow {
  if (record.length !== fields.length) {
    return {
      row,
      errors: [
        {
          row,
          field: '(row)',
          reason: `has ${record.length} fields where the header has ${fields.length} (a value with the delimiter in it must be in double quotes)`,
        },
      ],
    };
  }
  const out: Record<string, unknown> = {};
  const errors: RowError[] = [];
  fields.forEach((field, i) => {
    const cell = record[i]!;
    if (cell === '') return;
    if (booleanFields.has(field)) {
      const v = cell.toLowerCase();
      if (truthy.has(v)) out[field] = true;
      else if (falsy.has(v)) out[field] = false;
      else errors.push({ row, field, reason: `${field} must be yes or no (true/false, 1/0)` });
    } else if (field === 'interests') {
      out[field] = cell
        .split(INTEREST_SEPARATOR)
        .map((s) => s.trim())
        .filter(Boolean);
    } else out[field] = cell;
  });
  if (!errors.length) return { row, fields: out };
  // A row with an unreadable yes/no is not sent on: name its other problems too, so one pass fixes all.
  const rest = contactInputSchema.safeParse(out);
  return { row, errors: rest.success ? errors : [...errors, ...rowProblems(row, out, rest.error.issues)] };
}

const csvProblems: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted value is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'a quote inside a quoted value is not doubled (write "" for a quote)',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'there is text after a closing quote',
  CSV_INVALID_OPENING_QUOTE: 'a quote appears inside a value that is not quoted (quote the whole value and write "" for the quote)',
};

/**
 * Streams the rows of a contacts CSV (RFC 4180: quoted commas, quotes and newlines; a UTF-8 BOM is
 * skipped). Problems with the file as a whole (header, quoting, no data rows) throw a
 * ValidationError naming them; problems with one row come out as that row's errors.
 */
export async function* readContactsCsv(input: Readable | string, options: { delimiter?: CsvDelimiter } = {}): AsyncGenerator<ImportRow> {
  const delimiter = options.delimiter ?? ',';
  const source = typeof input === 'string' ? Readable.from([input]) : input;
  const parser = source.pipe(parse({ bom: true, delimiter, skip_empty_lines: true, trim: true, relax_column_count: true }));
  let fields: string[] | undefined;
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!fields) {
        fields = csvFieldsOf(record, delimiter);
        continue;
      }
      row++;
      yield rowFromCsvRecord(fields, record, row);
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw fileError(`the CSV cannot be read${line ? ` at line ${line}` : ''}: ${csvProblems[error.code] ?? 'malformed CSV'}`);
    }
    throw error;
  } finally {
    source.destroy();
  }
  if (!fields) throw fileError('the file is empty; expected a header row and at least one data row');
  if (row === 0) throw fileError('the file has a header row but no data rows');
}
