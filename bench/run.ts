import { logger } from '../functions/observability';
import { benchCost, type CostFigures } from './cost';
import { costPerMillionEmails } from './cost-model';
import { benchEngagement, type EngagementFigures } from './engagement';
import { benchImport, type ImportFigures } from './import';
import {
  printConcurrent,
  printCost,
  printEngagement,
  printImport,
  printQualification,
  printReports,
  printSending,
  printSummary,
} from './print';
import { benchQualification, type QualificationFigures } from './qualification';
import { benchReports, type ReportFigures } from './reports';
import { benchSending, type SendingFigures } from './sending';

/**
 * `npm run bench [-- --json] [--only engagement|import|qualification|sending|reports|cost] [--recipients N] [--throughput-runs N]
 * [--concurrent-consumers 5] [--cost-emails N] [--stats-sizes 1000,10000,100000]
 * [--import-sizes 25000,100000] [--clicks N] [--burst N] [--send-recipients 20000] [--send-rate 500]
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
const sections = ['engagement', 'import', 'qualification', 'sending', 'reports', 'cost'];
if (only && !sections.includes(only)) throw new Error(`--only takes ${sections.join(', ')}`);
const throughputRuns = Number(value('throughput-runs') ?? 1);
// One more run of the same log with the events queue consumed as Lambda starts an SQS event source:
// five batches at once (0 to skip). The throughput runs above keep one consumer, as the goal was set.
const concurrentConsumers = Number(value('concurrent-consumers') ?? 5);
const costEmails = Number(value('cost-emails') ?? 5000);
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
// The throughput ratio's spread: more runs of the same log, without the stats reads.
const throughputRatios = engagement ? [engagement.throughputRatio] : [];
for (let i = 1; engagement && i < throughputRuns; i++)
  throughputRatios.push((await benchEngagement({ recipients, statsSizes: [] })).throughputRatio);
const concurrent: EngagementFigures | undefined =
  engagement && concurrentConsumers > 1 ? await benchEngagement({ recipients, statsSizes: [], consumers: concurrentConsumers }) : undefined;
const contactImport: ImportFigures | undefined = wanted('import') ? await benchImport({ sizes: importSizes }) : undefined;
const qualification: QualificationFigures | undefined = wanted('qualification') ? await benchQualification({ clicks, burst }) : undefined;
const sending: SendingFigures | undefined = wanted('sending')
  ? await benchSending({ recipients: sendRecipients, rate: sendRate })
  : undefined;
// The report itself runs in a child process (the report function alone), so its memory is its own.
const reports: ReportFigures[] | undefined = wanted('reports') ? await benchReports({ sizes: reportSizes, mqls: reportMqls }) : undefined;
// Last: the cost model reads the sending and report sections' measurements when they ran.
const cost: CostFigures | undefined = wanted('cost') ? await benchCost({ emails: costEmails }) : undefined;
clearInterval(sampler);
const result = {
  machine: { node: process.version, cpus: (await import('node:os')).cpus().length, platform: process.platform },
  date: new Date().toISOString(),
  seconds: Math.round((Date.now() - started) / 1000),
  peakRssMiB: Math.round(peakRss / 1024 / 1024),
  engagement,
  throughputRatios,
  concurrent,
  cost,
  costPerMillionEmails:
    cost &&
    costPerMillionEmails(
      cost,
      sending,
      reports?.find((r) => r.recipients === 10_000),
    ),
  contactImport,
  qualification,
  sending,
  reports,
};
if (json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  process.stdout.write(`\nmql-pipeline benchmark — Node ${process.version}, ${result.machine.cpus} cores, ${result.seconds} s\n`);
  printSummary(result);
  if (engagement) printEngagement(engagement, result.peakRssMiB);
  if (concurrent) printConcurrent(concurrent);
  if (cost) printCost(cost, result.costPerMillionEmails!);
  if (contactImport) printImport(contactImport);
  if (qualification) printQualification(qualification);
  if (sending) printSending(sending);
  if (reports) printReports(reports);
}

process.exit(0);
