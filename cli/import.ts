import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import chain from 'stream-chain';
import { parser } from 'stream-json';
import { pick } from 'stream-json/filters/pick.js';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import { readContactsCsv, type CsvDelimiter, type ImportRow, type RowError } from '../lib/contacts/contact-import';
import type { ImportResult } from '../lib/contacts/contacts';
import type { ApiClient } from './http-client';

/**
 * `mql import`: streams a contacts file to the API in requests of `chunkSize` rows. The file is
 * read twice, both times as a stream (memory stays flat however large it is): first to check it
 * can be read as a whole and to count its rows (a file-level problem stops the import before
 * anything is written), then to send it. Row-level problems are reported and the good rows imported.
 * Requests go one after another, so a repeated email ends with its last row, as in one request.
 */

export type FileFormat = 'csv' | 'json' | 'ndjson';

export function formatOf(file: string): FileFormat {
  if (/\.(ndjson|jsonl)$/i.test(file)) return 'ndjson';
  if (/\.json$/i.test(file)) return 'json';
  return 'csv';
}

/** A stream of the file that counts the bytes read, for the progress bar. */
function countingStream(file: string, onBytes: (n: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  return createReadStream(file).pipe(counter);
}

async function firstCharacter(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, 64, 0);
    return (
      buffer
        .subarray(0, bytesRead)
        .toString('utf8')
        .replace(/^\uFEFF/, '')
        .trimStart()[0] ?? ''
    );
  } finally {
    await handle.close();
  }
}

/** The rows of a contacts file: CSV (header row), a JSON list (or `{ "contacts": [ … ] }`), or NDJSON. */
export async function* readContactFile(
  file: string,
  options: { delimiter?: CsvDelimiter; onBytes?: (n: number) => void } = {},
): AsyncGenerator<ImportRow> {
  const source = countingStream(file, options.onBytes ?? (() => {}));
  const format = formatOf(file);
  if (format === 'csv') {
    yield* readContactsCsv(source, { delimiter: options.delimiter });
    return;
  }
  let row = 0;
  try {
    if (format === 'ndjson') {
      const { createInterface } = await import('node:readline');
      for await (const line of createInterface({ input: source, crlfDelay: Infinity })) {
        if (!line.trim()) continue;
        row++;
        try {
          yield { row, fields: JSON.parse(line) };
        } catch {
          yield { row, errors: [{ row, field: '(row)', reason: 'not valid JSON' }] };
        }
      }
    } else {
      const wrapped = (await firstCharacter(file)) === '{';
      const pipeline = chain([source, parser(), ...(wrapped ? [pick({ filter: 'contacts' })] : []), streamArray()]);
      for await (const { value } of pipeline as AsyncIterable<{ value: unknown }>) {
        row++;
        yield { row, fields: value };
      }
    }
  } catch (error) {
    throw new ContactFileError(`the JSON cannot be read${row ? ` after row ${row}` : ''}: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    source.destroy();
  }
  if (row === 0)
    throw new ContactFileError(
      format === 'json' ? 'the file has no contacts (expected a JSON list, or { "contacts": [ … ] })' : 'the file has no contacts',
    );
}

/** A problem with the file as a whole; nothing was imported. */
export class ContactFileError extends Error {
  override name = 'ContactFileError';
}

export interface ImportProgress {
  rows: number;
  created: number;
  updated: number;
  rejected: number;
}

export interface ImportSummary extends ImportProgress {
  totalRows: number;
  /** The first row errors (all are given to `onRowErrors`). */
  firstErrors: RowError[];
  /** File rows whose consent false withdrew consent given earlier. */
  consentWithdrawn: { row: number; contactId: string }[];
  /** File rows imported with something not applied (consent true after a withdrawal). */
  warnings: RowError[];
}

/** First pass: the file can be read as a whole; how many rows it has. Throws on a file-level problem. */
export async function countRows(file: string, options: { delimiter?: CsvDelimiter } = {}): Promise<number> {
  let rows = 0;
  try {
    for await (const _ of readContactFile(file, options)) rows++;
  } catch (error) {
    if (error instanceof ContactFileError) throw error;
    throw new ContactFileError((error as Error).message);
  }
  return rows;
}

export async function importFile(
  client: ApiClient,
  file: string,
  options: {
    delimiter?: CsvDelimiter;
    /** @default 1000 */
    chunkSize?: number;
    onStart?: (totalRows: number) => void;
    onProgress?: (progress: ImportProgress) => void;
    onRowErrors?: (errors: RowError[]) => void | Promise<void>;
    /** @default 20 */
    keepErrors?: number;
  } = {},
): Promise<ImportSummary> {
  const totalRows = await countRows(file, options);
  options.onStart?.(totalRows);
  const chunkSize = options.chunkSize ?? 1_000;
  const keep = options.keepErrors ?? 20;
  const summary: ImportSummary = {
    totalRows,
    rows: 0,
    created: 0,
    updated: 0,
    rejected: 0,
    firstErrors: [],
    consentWithdrawn: [],
    warnings: [],
  };
  const report = async (errors: RowError[]) => {
    if (!errors.length) return;
    if (summary.firstErrors.length < keep) summary.firstErrors.push(...errors.slice(0, keep - summary.firstErrors.length));
    await options.onRowErrors?.(errors);
  };

  let contacts: unknown[] = [];
  let rowNumbers: number[] = [];
  let localErrors: RowError[] = [];
  const flush = async () => {
    const sentRows = rowNumbers;
    let result: ImportResult = { received: 0, created: 0, updated: 0, rejected: 0, errors: [], consentWithdrawn: [], warnings: [] };
    if (contacts.length) result = await client.request<ImportResult>('POST', '/contacts/import', { contacts });
    // The API numbers rows within the request; put them back in the file's numbering.
    const fileRow = <T extends { row: number }>(e: T): T => ({ ...e, row: sentRows[e.row - 1] ?? e.row });
    const remote = result.errors.map(fileRow);
    summary.consentWithdrawn.push(...result.consentWithdrawn.map(fileRow));
    summary.warnings.push(...result.warnings.map(fileRow));
    const errors = [...localErrors, ...remote].sort((a, b) => a.row - b.row);
    summary.rows += contacts.length + new Set(localErrors.map((e) => e.row)).size;
    summary.created += result.created;
    summary.updated += result.updated;
    summary.rejected += result.rejected + new Set(localErrors.map((e) => e.row)).size;
    await report(errors);
    options.onProgress?.(summary);
    contacts = [];
    rowNumbers = [];
    localErrors = [];
  };

  for await (const row of readContactFile(file, options)) {
    if ('errors' in row) localErrors.push(...row.errors);
    else {
      contacts.push(row.fields);
      rowNumbers.push(row.row);
    }
    if (contacts.length + localErrors.length >= chunkSize) await flush();
  }
  await flush();
  return summary;
}
