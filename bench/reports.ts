import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client, HeadObjectCommand } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DynamoDBDocumentClient, type PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoCampaignStore } from '../adapters/dynamodb/campaign-store';
import { DynamoEngagementStore } from '../adapters/dynamodb/engagement-store';
import { keys } from '../adapters/dynamodb/keys';
import { DynamoLeadStore } from '../adapters/dynamodb/lead-store';
import { createBucket, createTable, localClientConfig, localS3Config, startStandIns } from '../infra/local/stand-ins';
import { chunk, mapWithConcurrency } from '../lib/common/concurrency';
import { defaultMachineRules } from '../lib/engagement/machine-activity';
import { addCounters, emptyRecipient, project, type Counters, type RecipientEngagement } from '../lib/engagement/recipient';
import type { Contact } from '../lib/contacts/contact';
import { prng } from '../test/support/event-log';
import { makeLead } from '../test/support/reports';

const run = promisify(execFile);

interface WorkerResult {
  ms: number;
  baselineRssMiB: number;
  peakRssMiB: number;
  baselineHeapMiB: number;
  peakHeapMiB: number;
  sent: number;
  mqls: number;
  keys: { recipientsCsv: string } & Record<string, string>;
}

export interface ReportFigures {
  recipients: number;
  mqls: number;
  /** Time to write the report (JSON, HTML, both CSVs, latest) in the report process. */
  milliseconds: number;
  baselineRssMiB: number;
  peakRssMiB: number;
  /** Heap after a collection, before the report and at its peak: what the report must hold. */
  baselineLiveHeapMiB: number;
  peakLiveHeapMiB: number;
  /** The same report with V8's old space capped at `maxOldSpaceMiB`: it finished, in this time and RSS. */
  cappedHeap: { maxOldSpaceMiB: number; milliseconds: number; peakRssMiB: number };
  recipientsCsvMiB: number;
  /** Every object the report wrote, together. */
  storedMiB: number;
  seedSeconds: number;
}

/** Old-space cap of the third run: the report must fit in it, whatever the campaign's size. */
const CAPPED_HEAP_MIB = 96;
const TABLE = 'mql-bench-reports';
const BUCKET = 'mql-bench-reports';
const SENT = Date.parse('2026-03-02T09:00:00.000Z') / 1000;

/** A plausible recipient: 97 % delivered, 40 % open (a third by a privacy proxy), 8 % click. */
function recipient(campaignId: string, i: number, rand: () => number): RecipientEngagement {
  const r = emptyRecipient(campaignId, `ct_b${campaignId.slice(10)}_${String(i).padStart(7, '0')}`);
  r.seen = [`k${i}a`, `k${i}b`];
  r.sentAt = '2026-03-02T09:00:00.000Z';
  if (rand() < 0.03) return { ...r, bounceType: rand() < 0.6 ? 'Permanent' : 'Transient' };
  r.deliveredAt = '2026-03-02T09:00:02.000Z';
  if (rand() < 0.4) r.opens = [[SENT + Math.floor(rand() * 172_800), rand() < 0.33 ? 'privacy-proxy' : '']];
  if (rand() < 0.08) r.clicks = [[SENT + 600 + Math.floor(rand() * 172_800), `l${Math.floor(rand() * 4)}`, '', '']];
  return r;
}

/** The item the engagement store writes for a recipient, captured instead of sent. */
async function capturedRecipientItem(state: RecipientEngagement): Promise<Record<string, unknown>> {
  let item: Record<string, unknown> | undefined;
  const capture = {
    send: async (command: unknown) => {
      item = (command as PutCommand).input.Item;
    },
  } as unknown as DynamoDBDocumentClient;
  await new DynamoEngagementStore(capture, TABLE).putRecipient({ state, version: 1, pending: {} }, 0);
  return item!;
}

async function batchWrite(db: DynamoDBDocumentClient, items: Record<string, unknown>[]) {
  let request: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = {
    [TABLE]: items.map((Item) => ({ PutRequest: { Item } })),
  };
  while (request && Object.keys(request).length) {
    const result = await db.send(new BatchWriteCommand({ RequestItems: request }));
    request = result.UnprocessedItems as typeof request;
  }
}

/**
 * `size` recipients, the sender's records of them, and their contacts. Seeded in batches of 25 items (BatchWriteItem) rather than
 * one conditional write each, to keep the benchmark's set-up short; the items are the adapters' own
 * (recipients are the engagement store's PutItem, captured), contacts as the contact store's upsert
 * leaves them. Answers the recipients' counters, summed.
 */
async function seedRecipients(db: DynamoDBDocumentClient, campaignId: string, size: number): Promise<Counters> {
  const rand = prng(size);
  const total: Counters = {};
  const ids = Array.from({ length: size }, (_, i) => i);
  for (const part of chunk(ids, 5_000)) {
    const states = part.map((i) => recipient(campaignId, i, rand));
    for (const s of states) addCounters(total, project(s, defaultMachineRules));
    const recipientItems = await Promise.all(states.map((state) => capturedRecipientItem(state)));
    const people: Contact[] = states.map((s) => ({
      contactId: s.contactId,
      email: `person${s.contactId.slice(-7)}@company${Number(s.contactId.slice(-7)) % 997}.example`,
      firstName: 'Ana',
      lastName: 'Lima',
      company: `Company ${Number(s.contactId.slice(-7)) % 997}`,
      industry: 'Software',
      consent: true,
      createdAt: '2026-02-01T00:00:00.000Z',
      updatedAt: '2026-02-01T00:00:00.000Z',
    }));
    const contactItems = people.map((c) => ({
      ...keys.contact(c.contactId),
      gsi1pk: keys.contactShard(c.contactId),
      gsi1sk: c.contactId,
      ...c,
    }));
    // The sender's record of each send, as its UpdateItem leaves it (adapters/dynamodb/send-ledger.ts):
    // the report lists recipients from these and the recipient items together.
    const sendItems = states.map((s, k) => ({
      ...keys.send(campaignId, s.contactId),
      sentAt: s.sentAt,
      messageId: `0100018e${String(part[k]).padStart(8, '0')}-3f6c2a1b-7d4e-4c8a-9b1f-2e5d6a7c8b9d-000000`,
    }));
    await mapWithConcurrency(chunk([...recipientItems, ...sendItems, ...contactItems], 25), 8, (items) => batchWrite(db, items));
  }
  return total;
}

type BenchStores = {
  db: DynamoDBDocumentClient;
  campaigns: DynamoCampaignStore;
  engagement: DynamoEngagementStore;
  leads: DynamoLeadStore;
};

/** A sent campaign of `size` recipients, its counters in one delta, and `mqls` leads (a third accepted by sales). */
async function seedCampaign(stores: BenchStores, campaignId: string, size: number, mqls: number) {
  await stores.campaigns.create({
    campaignId,
    name: `Benchmark ${size}`,
    subject: 'Q3',
    fromAddress: 'news@acme.example',
    htmlTemplate: 'h',
    textTemplate: 't',
    profileId: 'icp_bench',
    profileVersion: 1,
    status: 'sent',
    createdAt: '2026-03-01T09:00:00.000Z',
    sendRequestedAt: '2026-03-02T09:00:00.000Z',
    links: {
      l0: 'https://acme.example/pricing',
      l1: 'https://acme.example/demo',
      l2: 'https://acme.example/blog',
      l3: 'https://acme.example/case',
    },
  });
  const total = await seedRecipients(stores.db, campaignId, size);
  await stores.engagement.putDelta({ campaignId, deltaId: 'd_bench', counters: total, linkUrls: {}, at: '2026-03-04T00:00:00.000Z' });
  await mapWithConcurrency(
    Array.from({ length: Math.min(mqls, size) }, (_, i) => i),
    16,
    (i) =>
      stores.leads.createIfAbsent(
        makeLead(`ct_b${size}_${String(i * Math.floor(size / mqls)).padStart(7, '0')}`, campaignId, {
          criteriaId: 'icp_bench',
          qualifiedAt: new Date(Date.parse('2026-03-02T10:00:00.000Z') + i * 1000).toISOString(),
          reasons: ['Fit: industry is Software', 'Fit: company size is 201-1000', 'Engagement: clicked https://acme.example/pricing'],
          stage: i % 3 === 0 ? 'sql' : 'mql',
        }),
      ),
  );
}

/** The campaign's report, written by the report worker in a child process started with `flags`. */
async function reportInChild(target: string, campaignId: string, size: number, flags: string[]): Promise<WorkerResult> {
  const { stdout } = await run(process.execPath, [...flags, '--import', 'tsx', 'bench/report-worker.ts', target, campaignId], {
    maxBuffer: 1 << 20,
  });
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as WorkerResult;
  if (r.sent !== size) throw new Error(`report counted ${r.sent} recipients, expected ${size}`);
  return r;
}

/**
 * A 100,000-recipient campaign report on the embedded stack: dynalite and s3rver in this process,
 * the report in a child process (the report function) so its peak memory is measured alone.
 * Sizes are compared with the same number of MQLs, so memory growth with recipients shows.
 */
export async function benchReports(options: { sizes: number[]; mqls: number }): Promise<ReportFigures[]> {
  const standIns = await startStandIns();
  const dynamo = new DynamoDBClient(localClientConfig(standIns.endpoints.dynamodb));
  const s3 = new S3Client(localS3Config(standIns.endpoints.s3));
  await createTable(dynamo, TABLE);
  await createBucket(s3, BUCKET);
  const db = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const stores: BenchStores = {
    db,
    campaigns: new DynamoCampaignStore(db, TABLE),
    engagement: new DynamoEngagementStore(db, TABLE),
    leads: new DynamoLeadStore(db, TABLE),
  };
  const target = JSON.stringify({ dynamodb: standIns.endpoints.dynamodb, s3: standIns.endpoints.s3, table: TABLE, bucket: BUCKET });
  const out: ReportFigures[] = [];
  try {
    for (const size of options.sizes) {
      const seedStarted = performance.now();
      const campaignId = `cmp_bench_${size}`;
      await seedCampaign(stores, campaignId, size, options.mqls);
      const seedSeconds = (performance.now() - seedStarted) / 1000;

      // Twice: timed and RSS-sampled as it runs; then with a collection before each sample, for the live heap.
      const r = await reportInChild(target, campaignId, size, []);
      const live = await reportInChild(target, campaignId, size, ['--expose-gc']);
      // And with V8's old space capped: it completes only if the report's live set fits.
      const capped = await reportInChild(target, campaignId, size, [`--max-old-space-size=${CAPPED_HEAP_MIB}`]);

      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: r.keys.recipientsCsv }));
      let storedBytes = 0;
      for (const key of Object.values(r.keys))
        storedBytes += (await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ContentLength ?? 0;
      out.push({
        recipients: size,
        mqls: r.mqls,
        milliseconds: r.ms,
        baselineRssMiB: r.baselineRssMiB,
        peakRssMiB: r.peakRssMiB,
        baselineLiveHeapMiB: live.baselineHeapMiB,
        peakLiveHeapMiB: live.peakHeapMiB,
        cappedHeap: { maxOldSpaceMiB: CAPPED_HEAP_MIB, milliseconds: capped.ms, peakRssMiB: capped.peakRssMiB },
        recipientsCsvMiB: Number(((head.ContentLength ?? 0) / 1024 / 1024).toFixed(1)),
        storedMiB: Number((storedBytes / 1024 / 1024).toFixed(2)),
        seedSeconds: Math.round(seedSeconds),
      });
    }
    return out;
  } finally {
    dynamo.destroy();
    s3.destroy();
    await standIns.stop();
  }
}
