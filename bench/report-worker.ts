import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildAdapters } from '../adapters/build-adapters';
import { buildApp } from '../lib/app';
import { configSchema } from '../lib/config';
import { logger } from '../functions/observability';
import { localClientConfig, localS3Config } from '../infra/local/stand-ins';

/**
 * The report function alone, in its own process (as on Lambda), pointed at stand-ins another
 * process runs: so its peak memory is the report's, not dynalite's store. Prints one JSON line.
 * Usage: tsx bench/report-worker.ts '{"dynamodb":…,"s3":…,"table":…,"bucket":…}' <campaignId>
 */
logger.setLogLevel('ERROR');
const target = JSON.parse(process.argv[2]!) as { dynamodb: string; s3: string; table: string; bucket: string };
const campaignId = process.argv[3]!;

const config = configSchema.parse({
  tableName: target.table,
  reportBucket: target.bucket,
  sendQueueUrl: 'local://unused',
  projectBusName: 'unused',
  configurationSetName: 'unused',
  salesInbox: 'sales@acme.example',
  notificationFrom: 'MQL <mql@acme.example>',
  unsubscribeBaseUrl: 'http://127.0.0.1/u',
  unsubscribeMailto: 'u@acme.example',
  unsubscribeSecret: 'x'.repeat(32),
});
const app = buildApp(
  buildAdapters(
    {
      dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(target.dynamodb)), {
        marshallOptions: { removeUndefinedValues: true },
      }),
      ses: new SESv2Client(localClientConfig('http://127.0.0.1:9')),
      eventBridge: new EventBridgeClient(localClientConfig('http://127.0.0.1:9')),
      s3: new S3Client(localS3Config(target.s3)),
    },
    config,
    { queue: { enqueue: async () => {} } },
  ),
  config,
);

// With --expose-gc the sampler collects first, so the peak is the live set (what the report must
// hold), not garbage V8 has not collected yet; without it, the sampler only reads, so time is unperturbed.
const collect = (globalThis as { gc?: () => void }).gc;
collect?.();
const baselineRss = process.memoryUsage().rss;
const baselineHeap = process.memoryUsage().heapUsed;
let peakRss = baselineRss;
let peakHeap = baselineHeap;
let peakExternal = process.memoryUsage().external;
const sampler = setInterval(
  () => {
    collect?.();
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakExternal = Math.max(peakExternal, m.external);
  },
  collect ? 100 : 20,
);
const started = performance.now();
const written = await app.writeCampaignReport(campaignId);
const ms = performance.now() - started;
clearInterval(sampler);
const MiB = 1024 * 1024;
process.stdout.write(
  `${JSON.stringify({
    ms: Math.round(ms),
    baselineRssMiB: Math.round(baselineRss / MiB),
    peakRssMiB: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / MiB),
    baselineHeapMiB: Math.round(baselineHeap / MiB),
    peakHeapMiB: Math.round(peakHeap / MiB),
    /** Buffers outside the V8 heap (upload parts, HTTP bodies). */
    peakExternalMiB: Math.round(peakExternal / MiB),
    heapTotalMiB: Math.round(process.memoryUsage().heapTotal / MiB),
    sent: written.report.metrics.sent,
    mqls: written.report.mqls.count,
    keys: written.keys,
  })}\n`,
);
process.exit(0);
