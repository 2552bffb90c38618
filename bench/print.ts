import { DELTAS_PER_READ } from '../lib/engagement/deltas';
import type { CostFigures, DesignCost } from './cost';
import type { costPerMillionEmails } from './cost-model';
import { assumptions, eventMixTypes } from './assumptions';
import { DEPLOYED_GRACE_MS, type EngagementFigures } from './engagement';
import type { ImportFigures } from './import';
import type { QualificationFigures } from './qualification';
import type { ReportFigures } from './reports';
import type { SendingFigures } from './sending';

type Row = [string, string, string];
type Cost = ReturnType<typeof costPerMillionEmails>;

export interface BenchResult {
  seconds: number;
  peakRssMiB: number;
  engagement?: EngagementFigures;
  throughputRatios: number[];
  /** The same log with the events queue consumed several batches at once, as on AWS. */
  concurrent?: EngagementFigures;
  cost?: CostFigures;
  costPerMillionEmails?: Cost;
  contactImport?: ImportFigures;
  qualification?: QualificationFigures;
  sending?: SendingFigures;
  reports?: ReportFigures[];
}

function table(title: string, rows: Row[], width = 16) {
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`\n  ${title}\n\n`);
  for (const [k, v, note] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v.padStart(width)}  ${note}\n`);
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
/** min / median / max, as the throughput goal is stated. */
function spread(xs: number[]): string {
  const s = sorted(xs);
  if (s.length === 1) return String(s[0]);
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `${s[0]} / ${Number(median.toFixed(2))} / ${s.at(-1)}`;
}

/** A design's price per email, weighted by the model's event mix: write and read units, invocations. */
export function perEmail(d: DesignCost) {
  const sum = (f: (t: (typeof eventMixTypes)[number]) => number) =>
    eventMixTypes.reduce((s, t) => s + assumptions.eventsPerEmail[t] * f(t), 0);
  return {
    writeUnits: sum((t) => d.byType[t].writeUnits),
    readUnits: sum((t) => d.byType[t].readUnits),
    invocations: sum((t) => d.byType[t].invocations),
  };
}

const ratio = (a: number, b: number) => (b ? (a / b).toFixed(b < 0.01 ? 4 : 2) : 'n/a');

/** The issue-19 figures, each with its goal beside it. */
function goalRows(r: BenchResult): Row[] {
  const rows: Row[] = [];
  const c = r.costPerMillionEmails;
  if (c)
    rows.push([
      'infrastructure cost per 1,000,000 emails',
      `$${c.oursTotal.toFixed(2)}`,
      `goal ≤ $2.50, below the least any exact design on this architecture pays ($${c.architectureFloor.total.toFixed(2)}); naive design measured $${c.naiveTotal.toFixed(2)}; SES itself $${c.ses.toFixed(2)}${c.sendingMeasured ? '' : ' (sending side not measured: run the sending section too)'}`,
    ]);
  if (r.engagement)
    rows.push([
      `events/s ÷ raw conditional writes/s (${r.throughputRatios.length} run${r.throughputRatios.length > 1 ? 's' : ''}${r.throughputRatios.length > 1 ? ', min / median / max' : ''})`,
      spread(r.throughputRatios),
      'goal over 5 runs (--throughput-runs 5): median ≥ 0.9, min ≥ 0.8',
    ]);
  if (r.concurrent)
    rows.push([
      `the same, ${r.concurrent.consumers} batches at once as Lambda's SQS pollers start (1 run)`,
      String(r.concurrent.throughputRatio),
      `${r.concurrent.refusedWritesPer1000Events} refused conditional writes per 1,000 events (mostly lost races); write / read units per event ${r.concurrent.writeUnitsPerEvent} / ${r.concurrent.readUnitsPerEvent}; ${r.concurrent.exact ? 'counts exact' : 'COUNTS NOT EXACT'}`,
    ]);
  const largest = r.engagement?.stats.at(-1);
  if (largest)
    rows.push([
      `first stats read after a backlog, ${largest.recipients.toLocaleString('en-US')} recipients (${largest.deltaItems.toLocaleString('en-US')} deltas)`,
      `${largest.firstReadMilliseconds} ms`,
      `goal < 1 s at any backlog; complete after ${largest.readsToComplete} read${largest.readsToComplete > 1 ? 's' : ''} (slowest ${largest.slowestReadMilliseconds} ms, each sums ≤ ${DELTAS_PER_READ} deltas and folds them); then ${largest.milliseconds} ms`,
    ]);
  if (r.qualification)
    rows.push([
      `click → sales email, ${r.qualification.burst.clicks} clicks at once, p95`,
      `${r.qualification.burst.p95Ms} ms`,
      `goal < 1.5 s; one at a time p95 ${r.qualification.sequential.p95Ms} ms (goal < 1 s)`,
    ]);
  const big = r.reports?.find((x) => x.recipients === 100_000) ?? r.reports?.at(-1);
  if (big)
    rows.push([
      `report of ${big.recipients.toLocaleString('en-US')} recipients`,
      `${(big.milliseconds / 1000).toFixed(1)} s`,
      `goal < 6 s, flat memory: live heap ${big.peakLiveHeapMiB} MiB (${big.baselineLiveHeapMiB} at start)`,
    ]);
  if (r.cost) {
    const [o, n] = [perEmail(r.cost.ours), perEmail(r.cost.naive)];
    rows.push([
      'this design ÷ naive, same log, same run',
      r.cost.counts.equal ? 'counts equal' : 'COUNTS DIFFER',
      `events/s ${ratio(r.cost.ours.eventsPerSecond, r.cost.naive.eventsPerSecond)}, write units ${ratio(o.writeUnits, n.writeUnits)}, read units ${o.readUnits.toFixed(2)} vs ${n.readUnits.toFixed(2)} per email, invocations ${ratio(o.invocations, n.invocations)}`,
    ]);
  }
  return rows;
}

/** The figures the benchmark exists for, one line each, with what they are compared with; details follow per section. */
export function printSummary(r: BenchResult) {
  const rows = goalRows(r);
  if (r.contactImport) {
    const largest = r.contactImport.runs.at(-1)!;
    rows.push([
      `contacts imported/s (${largest.rows.toLocaleString('en-US')} rows)`,
      `${largest.rowsPerSecond}`,
      `÷ raw updates/s of the same stand-in: ${r.contactImport.throughputRatio}; importer memory largest ÷ smallest file ${r.contactImport.memoryGrowth}`,
    ]);
  }
  if (r.sending)
    rows.push([
      'achieved send rate ÷ configured rate',
      `${r.sending.achievedOverConfigured}`,
      `goal ≥ 0.9; ${r.sending.recipients} recipients, lost ${r.sending.lost}, sent twice ${r.sending.sentTwice}`,
    ]);
  if (r.engagement) {
    rows.push([
      'DynamoDB write / read units per event (shuffled log)',
      `${r.engagement.writeUnitsPerEvent} / ${r.engagement.readUnitsPerEvent}`,
      'counted by an SDK middleware',
    ]);
    rows.push(['Lambda invocations per 1,000 events', `${r.engagement.invocationsPer1000Events}`, 'EventBridge → Lambda: 1,000']);
  }
  rows.push(['peak memory (RSS) of the benchmark process', `${r.peakRssMiB} MiB`, 'the stand-ins hold every item in memory']);
  table('summary', rows);
}

/** The engagement log again, several batches at once: what the lost races cost. */
export function printConcurrent(e: EngagementFigures) {
  table(
    `engagement, ${e.consumers} batches at once (as Lambda's SQS pollers start; grace ${DEPLOYED_GRACE_MS / 1000} s, as deployed)`,
    [
      [
        'events recorded (shuffled log)',
        `${e.events} over ${e.recipients} recipients`,
        e.exact ? 'equal to an independent recount' : 'NOT EQUAL to the recount',
      ],
      [
        'conditional writes refused, per 1,000 events',
        String(e.refusedWritesPer1000Events),
        'mostly recipient writes that lost a race: billed, then planned again',
      ],
      ['DynamoDB write / read units per event', `${e.writeUnitsPerEvent} / ${e.readUnitsPerEvent}`, 'lost races included'],
      ['Lambda invocations per 1,000 events', String(e.invocationsPer1000Events), ''],
      ['events/s end to end', String(e.eventsPerSecond), ''],
      ['raw conditional writes/s, same stand-in', String(e.rawConditionalWritesPerSecond), 'concurrency 8'],
      ['events/s ÷ raw writes/s', String(e.throughputRatio), ''],
    ],
    12,
  );
}

export function printEngagement(e: EngagementFigures, peakRssMiB: number) {
  table(
    'engagement',
    [
      [
        'events recorded (shuffled log)',
        `${e.events} over ${e.recipients} recipients`,
        e.exact ? 'equal to an independent recount' : 'NOT EQUAL to the recount',
      ],
      ['DynamoDB write units per event', String(e.writeUnitsPerEvent), ''],
      ['DynamoDB read units per event', String(e.readUnitsPerEvent), ''],
      ['Lambda invocations per 1,000 events', String(e.invocationsPer1000Events), ''],
      [
        'conditional writes refused, per 1,000 events',
        String(e.refusedWritesPer1000Events),
        'billed; one batch at a time they are suppressions of contacts already suppressed or absent',
      ],
      ['events/s end to end', String(e.eventsPerSecond), ''],
      ['raw conditional writes/s, same stand-in', String(e.rawConditionalWritesPerSecond), 'concurrency 8'],
      ['events/s ÷ raw writes/s', String(e.throughputRatio), 'goal: median ≥ 0.9, min ≥ 0.8 over 5 runs'],
      ...e.stats.map(
        (s): Row => [
          `stats read, ${s.recipients.toLocaleString('en-US')} recipients`,
          `${s.milliseconds} ms`,
          `first read ${s.firstReadMilliseconds} ms, complete after ${s.readsToComplete} (slowest ${s.slowestReadMilliseconds} ms) of ${s.deltaItems} deltas; goal < 1 s`,
        ],
      ),
      ['peak memory (RSS)', `${peakRssMiB} MiB`, ''],
    ],
    12,
  );
}

/** Per event type, what each design spent; then the cost model's terms and its assumptions. */
export function printCost(f: CostFigures, c: Cost) {
  const mix = eventMixTypes.map((t) => `${t} ${assumptions.eventsPerEmail[t]} (log ${f.measuredMix[t] ?? 0})`).join(', ');
  process.stdout.write(`\n  cost: ${f.emails.toLocaleString('en-US')} emails, events per email ${mix}\n`);
  process.stdout.write('  (each type recorded on its own, all Sends, then all Deliveries, …: the cautious price)\n\n');
  process.stdout.write('  type        events   design  write u/event  read u/event  invocations/1,000  handler ms/event\n');
  for (const t of eventMixTypes)
    for (const [name, d] of [
      ['ours', f.ours],
      ['naive', f.naive],
    ] as const) {
      const x = d.byType[t];
      process.stdout.write(
        `  ${t.padEnd(10)}  ${String(x.events).padStart(6)}   ${name.padEnd(6)}  ${x.writeUnits.toFixed(3).padStart(13)}  ${x.readUnits.toFixed(3).padStart(12)}  ${(x.invocations * 1000).toFixed(2).padStart(17)}  ${x.handlerMilliseconds.toFixed(2).padStart(16)}\n`,
      );
    }
  process.stdout.write(
    `\n  stored per email: ours ${f.ours.storedBytesPerEmail} B of engagement + ${f.sendRecordBytesPerEmail} B of send records; naive ${f.naive.storedBytesPerEmail} B\n`,
  );
  process.stdout.write(
    `  counts: ${f.counts.equal ? 'equal' : 'DIFFERENT'} ${JSON.stringify(f.counts.ours)}${f.counts.equal ? '' : ` vs naive ${JSON.stringify(f.counts.naive)}`}\n`,
  );
  process.stdout.write(`\n  cost per 1,000,000 emails (USD; prices: ${c.pricesAsOf})\n`);
  const terms = Object.keys({ ...c.ours, ...c.naive });
  for (const k of terms)
    process.stdout.write(
      `    ${k.padEnd(20)} ours ${(c.ours[k] ?? 0).toFixed(3).padStart(7)}   naive ${(c.naive[k] ?? 0).toFixed(3).padStart(7)}\n`,
    );
  process.stdout.write(
    `    ${'total'.padEnd(20)} ours ${c.oursTotal.toFixed(2).padStart(7)}   naive ${c.naiveTotal.toFixed(2).padStart(7)}\n`,
  );
  process.stdout.write(
    `\n  the least any exact design on this architecture pays (bench/cost-model.ts, architectureFloor): $${c.architectureFloor.total.toFixed(2)} ${JSON.stringify(c.architectureFloor.terms)}\n`,
  );
  process.stdout.write(`\n  assumptions (bench/assumptions.ts): ${JSON.stringify(assumptions)}\n`);
  process.stdout.write(
    '  not counted: fixed monthly costs that do not grow with emails (alarms, dashboard, KMS key, secret, idle queue polling)\n',
  );
}

export function printImport(f: ImportFigures) {
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

export function printQualification(q: QualificationFigures) {
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
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v, note] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v.padStart(28)}  ${note}\n`);
}

export function printSending(g: SendingFigures) {
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

export function printReports(rows: ReportFigures[]) {
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
