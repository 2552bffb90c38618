import { logger } from '../functions/observability';
import { costPerMillionEmails } from './cost-model';
import { benchEngagement, type EngagementFigures } from './engagement';
import { benchImport, type ImportFigures } from './import';
import { benchReports, type ReportFigures } from './reports';
import { benchQualification, type QualificationFigures } from './qualification';
import { benchSending, type SendingFigures } from './sending';

/**
 * `npm run bench [-- --json] [--only engagement|import|qualification|sending|reports] [--recipients N] [--stats-sizes 1000,10000,100000]
 * [--import-sizes 25000,100000] [--clicks N] [--burst N] [--ledger-recipients N] [--send-recipients 20000] [--send-rate 500]
 * [--report-sizes 10000,100000] [--report-mqls 1000]`:
 * the pipeline's figures on the embedded stack, as ratios measured in one run (the machines are shared and noisy).
 */
const args = process.argv.slice(2);
const value = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = args.includes('--json');
const recipients = Number(value('recipients') ?? 3000);
const statsSizes = (value('stats-sizes') ?? '1000,10000,100000').split(',').map(Number);
// Defaults finish within about five minutes on two cores; the issues' larger sizes are flags
// (docs/benchmarks.md: --import-sizes 25000,100000 for the 100,000-row import).
const importSizes = (value('import-sizes') ?? '10000,30000').split(',').map(Number);
const only = value('only');
if (only && !['engagement', 'import', 'qualification', 'sending', 'reports'].includes(only))
  throw new Error('--only takes engagement, import, qualification, sending or reports');
const reportSizes = (value('report-sizes') ?? '1000,10000,100000').split(',').map(Number);
const reportMqls = Number(value('report-mqls') ?? 1000);
const clicks = Number(value('clicks') ?? 200);
const burst = Number(value('burst') ?? 200);
const sendRecipients = Number(value('send-recipients') ?? 20_000);
const sendRate = Number(value('send-rate') ?? 500);
logger.setLogLevel('ERROR');

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
const started = Date.now();
const wanted = (part: string) => !only || only === part;
const engagement: EngagementFigures | undefined = wanted('engagement') ? await benchEngagement({ recipients, statsSizes }) : undefined;
const contactImport: ImportFigures | undefined = wanted('import') ? await benchImport({ sizes: importSizes }) : undefined;
const qualification: QualificationFigures | undefined = wanted('qualification')
  ? await benchQualification({ clicks, burst, ledgerRecipients: Number(value('ledger-recipients') ?? 1000) })
  : undefined;
const sending: SendingFigures | undefined = wanted('sending')
  ? await benchSending({ recipients: sendRecipients, rate: sendRate })
  : undefined;
// The report itself runs in a child process (the report function alone), so its memory is its own.
const reports: ReportFigures[] | undefined = wanted('reports') ? await benchReports({ sizes: reportSizes, mqls: reportMqls }) : undefined;
clearInterval(sampler);
const result = {
  machine: { node: process.version, cpus: (await import('node:os')).cpus().length, platform: process.platform },
  date: new Date().toISOString(),
  seconds: Math.round((Date.now() - started) / 1000),
  peakRssMiB: Math.round(peakRss / 1024 / 1024),
  engagement,
  costPerMillionEmails: engagement && costPerMillionEmails(engagement, sending),
  contactImport,
  qualification,
  sending,
  reports,
};
if (json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  process.stdout.write(`\nmql-pipeline benchmark — Node ${process.version}, ${result.machine.cpus} cores, ${result.seconds} s\n`);
  printSummary();
  if (engagement) printEngagement(engagement);
  if (contactImport) printImport(contactImport);
  if (qualification) printQualification(qualification);
  if (sending) printSending(sending);
  if (reports) printReports(reports);
}

process.exit(0);

/** The figures the benchmark exists for, one line each, with what they are compared with; details follow per section. */
function printSummary() {
  const rows: [string, string, string][] = [];
  if (contactImport) {
    const largest = contactImport.runs.at(-1)!;
    rows.push([
      `contacts imported/s (${largest.rows.toLocaleString('en-US')} rows)`,
      `${largest.rowsPerSecond}`,
      `÷ raw updates/s of the same stand-in: ${contactImport.throughputRatio}; importer memory largest ÷ smallest file ${contactImport.memoryGrowth}`,
    ]);
  }
  if (sending)
    rows.push([
      'achieved send rate ÷ configured rate',
      `${sending.achievedOverConfigured}`,
      `goal ≥ 0.9; ${sending.recipients} recipients, lost ${sending.lost}, sent twice ${sending.sentTwice}`,
    ]);
  if (engagement) {
    rows.push([
      'events/s end to end ÷ raw conditional writes/s',
      `${engagement.throughputRatio}`,
      `goal ≥ 0.8 (${engagement.eventsPerSecond} ÷ ${engagement.rawConditionalWritesPerSecond}, same dynalite, same run)`,
    ]);
    rows.push([
      'DynamoDB write / read units per event',
      `${engagement.writeUnitsPerEvent} / ${engagement.readUnitsPerEvent}`,
      'counted by an SDK middleware; write goal ≤ 1.2 (floor 1)',
    ]);
    rows.push(['Lambda invocations per 1,000 events', `${engagement.invocationsPer1000Events}`, 'goal ≤ 12 (EventBridge → Lambda: 1,000)']);
    for (const st of engagement.stats)
      rows.push([`live stats, ${st.recipients.toLocaleString('en-US')} recipients`, `${st.milliseconds} ms`, 'goal < 2 s at 100,000']);
  }
  for (const r of reports ?? [])
    rows.push([
      `report, ${r.recipients.toLocaleString('en-US')} recipients`,
      `${(r.milliseconds / 1000).toFixed(1)} s`,
      `report process peak RSS ${r.peakRssMiB} MiB, live heap ${r.peakLiveHeapMiB} MiB`,
    ]);
  if (qualification) {
    rows.push([
      'click → sales email, p50 / p95',
      `${qualification.sequential.p50Ms} / ${qualification.sequential.p95Ms} ms`,
      `goal p95 < 1 s; ${qualification.burst.clicks} at once: p95 ${qualification.burst.p95Ms} ms; notified twice ${qualification.notificationsSentTwice}`,
    ]);
  }
  rows.push(['peak memory (RSS) of the benchmark process', `${result.peakRssMiB} MiB`, 'the stand-ins hold every item in memory']);
  if (result.costPerMillionEmails) {
    const c = result.costPerMillionEmails;
    rows.push([
      'infrastructure cost per 1,000,000 emails',
      `$${c.ours.total.toFixed(2)}`,
      `SES itself $${c.ses.toFixed(2)}; naive design $${c.naive.total.toFixed(2)} (prices: ${c.pricesAsOf.slice(0, 40)}…)`,
    ]);
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write('\n  summary\n\n');
  for (const [k, v, note] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v.padStart(16)}  ${note}\n`);
}

function printEngagement(e: EngagementFigures) {
  const rows: [string, string, string][] = [
    [
      'events recorded (shuffled log)',
      `${e.events} over ${e.recipients} recipients`,
      e.exact ? 'equal to an independent recount' : 'NOT EQUAL to the recount',
    ],
    ['DynamoDB write units per event', String(e.writeUnitsPerEvent), 'floor 1; goal ≤ 1.2'],
    ['DynamoDB read units per event', String(e.readUnitsPerEvent), ''],
    ['Lambda invocations per 1,000 events', String(e.invocationsPer1000Events), 'goal ≤ 12 (EventBridge → Lambda: 1,000)'],
    ['events/s end to end', String(e.eventsPerSecond), ''],
    ['raw conditional writes/s, same stand-in', String(e.rawConditionalWritesPerSecond), 'concurrency 8'],
    ['events/s ÷ raw writes/s', String(e.throughputRatio), 'goal ≥ 0.8'],
    ...e.stats.map((s): [string, string, string] => [
      `stats read, ${s.recipients.toLocaleString('en-US')} recipients`,
      `${s.milliseconds} ms`,
      `goal < 2 s at 100,000; first read (sums ${s.deltaItems} deltas, writes the checkpoint) ${s.firstReadMilliseconds} ms`,
    ]),
    ['peak memory (RSS)', `${result.peakRssMiB} MiB`, ''],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`\n  engagement\n\n`);
  for (const [k, v, note] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v.padStart(12)}  ${note}\n`);
  const c = costPerMillionEmails(e, sending);
  process.stdout.write(
    `\n  cost per 1,000,000 emails (USD, ${c.eventsPerEmail.toFixed(2)} SES events per email; prices: ${c.pricesAsOf})\n`,
  );
  process.stdout.write(`    SES sending itself             ${c.ses.toFixed(2)}\n`);
  process.stdout.write(`    this design                    ${c.ours.total.toFixed(2)}   ${JSON.stringify(c.ours)}\n`);
  process.stdout.write(`    naive (EventBridge → λ, 3 writes/event)  ${c.naive.total.toFixed(2)}   ${JSON.stringify(c.naive)}\n`);
}

function printImport(f: ImportFigures) {
  process.stdout.write(`\n  contact import (mql import contacts.csv → local API → dynalite)\n\n`);
  const rows: [string, string, string][] = f.runs.flatMap((r): [string, string, string][] => [
    [
      `${r.rows.toLocaleString('en-US')} rows (${r.fileMiB} MiB CSV)`,
      `${r.rowsPerSecond} rows/s`,
      `${r.seconds} s; ${r.created} created, ${r.rejected} rejected; ${r.writeUnitsPerRow} write units/row`,
    ],
    [`  importer peak memory`, `${r.importerPeakRssMiB} MiB`, `RSS of the mql process (heap ${r.importerPeakHeapMiB} MiB)`],
  ]);
  rows.push(['raw conditional UpdateItem/s, same stand-in', String(f.rawUpdatesPerSecond), 'concurrency 32, as the import']);
  rows.push(['rows/s ÷ raw updates/s (largest file)', String(f.throughputRatio), '']);
  rows.push(['importer peak RSS, largest ÷ smallest file', String(f.memoryGrowth), 'flat is 1.0']);
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v, note] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v.padStart(14)}  ${note}\n`);
}

function printQualification(q: QualificationFigures) {
  process.stdout.write(`\n  qualification (a click → the sales email, on the embedded stack)\n\n`);
  const rows: [string, string, string][] = [
    [
      `click → sales email accepted, one at a time (${q.sequential.clicks})`,
      `p50 ${q.sequential.p50Ms} ms  p95 ${q.sequential.p95Ms} ms`,
      `max ${q.sequential.maxMs} ms; goal p95 < 1 s`,
    ],
    [`the same, ${q.burst.clicks} clicks at once`, `p50 ${q.burst.p50Ms} ms  p95 ${q.burst.p95Ms} ms`, `max ${q.burst.maxMs} ms`],
    ['leads / sales emails after every event twice more', `${q.leads} / ${q.notificationsSent}`, 'equal'],
    ['contacts notified twice', String(q.notificationsSentTwice), 'goal 0'],
    [
      'DynamoDB units per qualifying click (whole path)',
      `${q.writeUnitsPerQualifyingClick} write, ${q.readUnitsPerQualifyingClick} read`,
      '',
    ],
    [
      `write units per SES event, known ÷ unknown campaign (${q.ledger.events} events)`,
      `${q.ledger.writeUnitsPerEventKnown} ÷ ${q.ledger.writeUnitsPerEventUnknown} = ${q.ledger.ratio}`,
      "the activity ledger's cost",
    ],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v, note] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v.padStart(28)}  ${note}\n`);
}

function printSending(g: SendingFigures) {
  const rows: [string, string, string][] = [
    ['recipients, SES rate (local SES enforces it)', `${g.recipients} at ${g.configuredRate}/s`, 'rate read from GetAccount'],
    ['achieved ÷ configured rate', `${g.achievedOverConfigured}`, `goal ≥ 0.9 (${g.achievedRate}/s, send request to last accepted call)`],
    ['SES calls per 1,000 recipients', `${g.sesCallsPer1000Recipients}`, `SendBulkEmail, 50 a call; ${g.throttledCalls} throttled`],
    ['recipients lost', `${g.lost}`, 'must be 0 (counted in the local SES store)'],
    ['recipients sent twice', `${g.sentTwice}`, 'must be 0'],
    ['campaign status, sent per its records', `${g.status}, ${g.sendingSent}`, ''],
    ['sender invocations per 1,000 recipients', `${g.senderInvocationsPer1000Recipients}`, ''],
    ['DynamoDB write / read units per recipient', `${g.dynamodbWriteUnitsPerRecipient} / ${g.dynamodbReadUnitsPerRecipient}`, ''],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`\n  sending (${g.seconds} s)\n`);
  for (const [k, v, note] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v.padStart(16)}  ${note}\n`);
}

function printReports(rows: ReportFigures[]) {
  process.stdout.write(`\n  report of one campaign (JSON, HTML, streamed CSVs to S3), in a process of its own\n\n`);
  process.stdout.write(
    '  recipients   MQLs   time     peak RSS (at start)   live heap peak (at start)   old space capped at   recipients.csv\n',
  );
  for (const r of rows) {
    const c = r.cappedHeap;
    process.stdout.write(
      `  ${r.recipients.toLocaleString('en-US').padStart(10)}  ${String(r.mqls).padStart(5)}  ${(r.milliseconds / 1000).toFixed(1).padStart(5)} s   ${String(r.peakRssMiB).padStart(4)} MiB (${r.baselineRssMiB})         ${String(r.peakLiveHeapMiB).padStart(4)} MiB (${r.baselineLiveHeapMiB})               ${c.maxOldSpaceMiB} MiB: ${(c.milliseconds / 1000).toFixed(1)} s, RSS ${c.peakRssMiB} MiB   ${r.recipientsCsvMiB} MiB\n`,
    );
  }
  if (rows.length >= 2) {
    const [a, b] = [rows[0]!, rows[rows.length - 1]!];
    process.stdout.write(
      `\n  ×${(b.recipients / a.recipients).toFixed(0)} recipients: time ×${(b.milliseconds / a.milliseconds).toFixed(1)}, live heap above its start ×${((b.peakLiveHeapMiB - b.baselineLiveHeapMiB) / Math.max(1, a.peakLiveHeapMiB - a.baselineLiveHeapMiB)).toFixed(1)}, peak RSS ×${(b.peakRssMiB / a.peakRssMiB).toFixed(2)}\n`,
    );
  }
}
