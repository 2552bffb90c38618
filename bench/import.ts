import { execFile } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { meterCapacity } from '../adapters/dynamodb/capacity-meter';
import { startLocalRuntime, type LocalRuntime } from '../infra/local/runtime';
import { mapWithConcurrency } from '../lib/common/concurrency';
import { companySizes, seniorities } from '../lib/contacts/contact';
import type { ImportSummary } from '../cli/import';

/**
 * Importing contacts on the embedded stack, as a marketer does it: `mql import contacts.csv`
 * (the CLI's streaming import, in a process of its own) → the local HTTP API → the import use case
 * → conditional UpdateItems on dynalite. Figures: rows/s end to end, compared in the same run with
 * the raw rate of the same stand-in for the write the import is built on; and the importer's peak
 * memory at each file size (flat: the file is streamed, never held).
 */
export interface ImportRun {
  rows: number;
  fileMiB: number;
  seconds: number;
  rowsPerSecond: number;
  created: number;
  rejected: number;
  importerPeakRssMiB: number;
  importerPeakHeapMiB: number;
  writeUnitsPerRow: number;
  dynamoRequestsPerRow: Record<string, number>;
}
export interface ImportFigures {
  runs: ImportRun[];
  rawUpdatesPerSecond: number;
  /** rows/s of the largest run ÷ raw conditional UpdateItems/s of the same stand-in. */
  throughputRatio: number;
  /** Importer peak RSS, largest file ÷ smallest file. */
  memoryGrowth: number;
}

const industries = ['Software', 'Banking', 'Retail', 'Healthcare', 'Manufacturing', 'Education', 'Logistics', 'Media'];
const countries = ['DE', 'FR', 'GB', 'US', 'NL', 'ES', 'IT', 'SE'];

/** A realistic contacts CSV, written as a stream: quoted commas, interests, ~1 % bad rows, ~0.5 % repeats. */
async function writeContactsCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const write = (line: string) => (out.write(line) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  await write('email,firstName,lastName,company,industry,companySize,country,role,seniority,interests,consent\n');
  for (let i = 0; i < rows; i++) {
    const n = i % 200 === 199 ? i - 7 : i; // a repeated email now and then
    const email = i % 100 === 42 ? `bad-address-${i}` : `person${n}@company${n % 9973}.example`;
    await write(
      `${email},First${n},Last${n},"Company ${n % 9973}, Inc.",${industries[n % industries.length]},${companySizes[n % companySizes.length]},${countries[n % countries.length]},Role ${n % 50},${seniorities[n % seniorities.length]},analytics;security,${n % 3 ? 'yes' : 'no'}\n`,
    );
  }
  await new Promise((r) => out.end(r));
}

async function runImporter(endpoint: string, file: string) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'import-child.ts'), endpoint, file],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as {
    summary: ImportSummary;
    seconds: number;
    peakRssMiB: number;
    peakHeapMiB: number;
  };
}

/**
 * The same stand-in's raw rate for the import's write: a conditional UpdateItem of a contact (index
 * keys included), at the import's concurrency (32). Answers updates per second.
 */
async function rawConditionalUpdates(runtime: LocalRuntime, rows: number): Promise<number> {
  const db = DynamoDBDocumentClient.from(runtime.clients.dynamodb);
  const count = Math.min(20_000, Math.max(2_000, rows / 5));
  const started = performance.now();
  await mapWithConcurrency(
    Array.from({ length: count }, (_, i) => i),
    32,
    (i) => {
      const id = runtime.app.contactIds.idFor(`raw${i}@raw.example`);
      return db.send(
        new UpdateCommand({
          TableName: 'mql-pipeline',
          Key: { pk: `RAW#${id}`, sk: 'PROFILE' },
          UpdateExpression:
            'SET email = :e, firstName = :f, company = :c, industry = :i, gsi1pk = :g, gsi1sk = :id, updatedAt = :u, createdAt = if_not_exists(createdAt, :u)',
          ConditionExpression: 'attribute_not_exists(erasedAt)',
          ExpressionAttributeValues: {
            ':e': `raw${i}@raw.example`,
            ':f': 'First',
            ':c': 'Company, Inc.',
            ':i': 'Software',
            ':g': `RAW#${i % 16}`,
            ':id': id,
            ':u': new Date().toISOString(),
          },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
    },
  );
  return Math.round(count / ((performance.now() - started) / 1000));
}

/** One file imported by the CLI into a fresh runtime; the largest file's run also measures the raw update rate, in the same runtime. */
async function importFile(file: string, rows: number, measureRaw: boolean): Promise<{ run: ImportRun; rawUpdatesPerSecond?: number }> {
  const runtime = await startLocalRuntime();
  try {
    const meter = meterCapacity(runtime.clients.dynamodb);
    const result = await runImporter(runtime.apiUrl, file);
    const s = result.summary;
    if (s.rows !== rows) throw new Error(`imported ${s.rows} rows of ${rows}`);
    const run: ImportRun = {
      rows,
      fileMiB: Number((statSync(file).size / 1024 / 1024).toFixed(1)),
      seconds: Number(result.seconds.toFixed(1)),
      rowsPerSecond: Math.round(rows / result.seconds),
      created: s.created,
      rejected: s.rejected,
      importerPeakRssMiB: Math.round(result.peakRssMiB),
      importerPeakHeapMiB: Math.round(result.peakHeapMiB),
      writeUnitsPerRow: Number((meter.writeUnits / rows).toFixed(2)),
      dynamoRequestsPerRow: Object.fromEntries(Object.entries(meter.requests).map(([op, n]) => [op, Number((n / rows).toFixed(3))])),
    };
    return measureRaw ? { run, rawUpdatesPerSecond: await rawConditionalUpdates(runtime, rows) } : { run };
  } finally {
    await runtime.stop();
  }
}

export async function benchImport(options: { sizes: number[] }): Promise<ImportFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'mql-import-bench-'));
  const runs: ImportRun[] = [];
  let rawUpdatesPerSecond = 0;
  try {
    for (const rows of options.sizes) {
      const file = join(dir, `contacts-${rows}.csv`);
      await writeContactsCsv(file, rows);
      const imported = await importFile(file, rows, rows === Math.max(...options.sizes));
      runs.push(imported.run);
      rawUpdatesPerSecond = imported.rawUpdatesPerSecond ?? rawUpdatesPerSecond;
      rmSync(file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const largest = runs.reduce((a, b) => (b.rows > a.rows ? b : a));
  const smallest = runs.reduce((a, b) => (b.rows < a.rows ? b : a));
  return {
    runs,
    rawUpdatesPerSecond,
    throughputRatio: Number((largest.rowsPerSecond / rawUpdatesPerSecond).toFixed(2)),
    memoryGrowth: Number((largest.importerPeakRssMiB / smallest.importerPeakRssMiB).toFixed(2)),
  };
}
