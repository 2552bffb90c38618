import { logger } from '../functions/observability';
import { runDemo, type DemoSummary } from './demo';

/**
 * `npm run demo [-- --json] [--size N] [--seed N] [--out folder] [--keep-running]`: the whole
 * pipeline once, locally. Progress goes to stderr; stdout carries the summary and nothing else (one
 * JSON object with --json; npm's own `> mql-pipeline@… demo` banner is npm's: `npm run demo --silent`
 * leaves it out). The report's files are copied to demo-output/ (or --out) and their paths printed.
 */
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = flag('json');
const size = Number(value('size') ?? 2000);
const seed = Number(value('seed') ?? 42);
if (!Number.isInteger(size) || size < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run demo -- [--json] [--size N] [--seed N] [--out folder] [--keep-running]');
  process.exit(2);
}
logger.setLogLevel('WARN'); // the handlers' per-batch logs would drown the summary

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(2)} %`);
function human(s: DemoSummary, seconds: number): string {
  return `
mql-pipeline demo — ${s.audience} contacts, seed ${s.seed}, ${seconds.toFixed(1)} s (figures read back from DynamoDB)

  sent                 ${s.sent}
  delivered            ${s.delivered}
  bounced              ${s.bounced}
  unique opens         ${s.uniqueOpens}   (human ${s.human.uniqueOpens})
  unique clicks        ${s.uniqueClicks}   (human ${s.human.uniqueClicks})
  open rate            ${pct(s.openRate)}   (human ${pct(s.human.openRate)})
  click rate           ${pct(s.clickRate)}   (human ${pct(s.human.clickRate)})
  click-to-open rate   ${pct(s.clickToOpenRate)}
  machine activity     ${
    Object.entries(s.machineFlags)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  }
  MQLs                 ${s.mqls}
  sales notifications  ${s.notificationsSent}

  report (HTML)        ${s.report.files?.html ?? s.report.html}
  report (JSON)        ${s.report.files?.json ?? s.report.json}
  local SES inbox      ${s.inboxUrl}${flag('keep-running') ? '' : '   (stopped; run with --keep-running, or npm start, to browse it)'}
`;
}

const started = Date.now();
// The report's files are copied here (git-ignored) so they open after the demo's stand-ins stopped.
const reportFolder = value('out') ?? 'demo-output';
const result = await runDemo({
  passTime: true,
  size,
  seed,
  keepRunning: flag('keep-running'),
  saveReportTo: reportFolder,
  progress: (m) => process.stderr.write(`${m}\n`),
});
const seconds = (Date.now() - started) / 1000;
if (json) process.stdout.write(`${JSON.stringify({ ...result.summary, seconds })}\n`);
else process.stdout.write(human(result.summary, seconds));
if (flag('keep-running')) process.stderr.write('running; Ctrl-C to stop\n');
else process.exit(0);
