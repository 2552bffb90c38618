import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCampaignStore } from '../../adapters/dynamodb/campaign-store';
import { DynamoEngagementStore } from '../../adapters/dynamodb/engagement-store';
import { DynamoSendLedger } from '../../adapters/dynamodb/send-ledger';
import { envNames } from '../../lib/config';
import { startDynamo } from '../support/dynamo';

/**
 * What is deployed is what is tested: the functions' bundles exactly as `npm run synth` wrote them
 * into cdk.out (CDK bundles each with the local esbuild), loaded and run here against the stand-ins.
 * cdk.out is synthesized again only when a source is newer than it, so a warm run takes seconds.
 */
const root = join(import.meta.dirname, '..', '..');
const cdkOut = join(root, 'cdk.out');
const sources = ['functions', 'lib', 'adapters', 'infra/aws'];

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function synthIfStale() {
  const manifest = join(cdkOut, 'manifest.json');
  const stale = !existsSync(manifest) || Math.max(...sources.map((s) => newestSourceMs(join(root, s)))) > statSync(manifest).mtimeMs;
  if (stale) execFileSync('npm', ['run', 'synth'], { cwd: root, stdio: 'ignore' });
}

/** Each Lambda function of the synthesized stack: its logical id and the bundle's directory. */
function deployedFunctions(): { id: string; bundle: string; handler: string }[] {
  const out: { id: string; bundle: string; handler: string }[] = [];
  for (const file of readdirSync(cdkOut).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(readFileSync(join(cdkOut, file), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: { Handler?: string }; Metadata?: Record<string, string> }>;
    };
    for (const [id, r] of Object.entries(template.Resources)) {
      const asset = r.Metadata?.['aws:asset:path'];
      if (r.Type === 'AWS::Lambda::Function' && asset && r.Properties?.Handler?.startsWith('index.'))
        out.push({ id, bundle: join(cdkOut, asset), handler: r.Properties.Handler });
    }
  }
  return out;
}

/**
 * Runs a bundle as Lambda's Node.js does: in a Node process of its own (not the test runner's module
 * loader), importing `index.mjs` untouched, then calling the handler the template names with the
 * event. Async, so that dynalite (in this process) keeps answering.
 */
const runner = `
import { readFileSync } from 'node:fs';
const call = JSON.parse(readFileSync(0, 'utf8'));
const m = await import(call.url);
const out = { exports: Object.keys(m).filter((k) => typeof m[k] === 'function') };
if (call.event) out.result = await m[call.handler](call.event, { ...call.context, getRemainingTimeInMillis: () => 30000 });
process.stdout.write('\\n@@result@@' + JSON.stringify(out));
process.exit(0);
`;
async function runBundle(f: { bundle: string; handler: string }, event?: unknown): Promise<{ exports: string[]; result?: unknown }> {
  const call = {
    url: pathToFileURL(join(f.bundle, 'index.mjs')).href,
    handler: f.handler.split('.')[1],
    event,
    context: { awsRequestId: 'req-1' },
  };
  const child = execFile(process.execPath, ['--input-type=module', '-e', runner], { env: process.env, maxBuffer: 16 * 1024 * 1024 });
  child.stdin!.end(JSON.stringify(call));
  const stdout = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`bundle exited ${code}: ${out.slice(-2000)}`))));
  });
  return JSON.parse(stdout.slice(stdout.lastIndexOf('@@result@@') + '@@result@@'.length));
}

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
let functions: ReturnType<typeof deployedFunctions>;
const tableName = 'mql-bundles';

beforeAll(async () => {
  synthIfStale();
  functions = deployedFunctions();
  dynamo = await startDynamo(tableName);
  // The environment CDK gives the functions, pointed at the stand-ins (the SDK reads AWS_ENDPOINT_URL_*).
  Object.assign(process.env, {
    [envNames.tableName]: tableName,
    [envNames.reportBucket]: 'reports',
    [envNames.sendQueueUrl]: 'http://127.0.0.1:9/queue/send',
    [envNames.projectBusName]: 'mql-project',
    [envNames.configurationSetName]: 'mql-pipeline-events',
    [envNames.salesInbox]: 'sales@acme.example',
    [envNames.notificationFrom]: 'mql@acme.example',
    [envNames.unsubscribeBaseUrl]: 'https://api.acme.example/u',
    [envNames.unsubscribeMailto]: 'unsubscribe@acme.example',
    [envNames.accountId]: '123456789012', // CDK sets it to the stack's account; the fixture's account
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
}, 900_000); // a cold synth under load; warm, this takes a few seconds

afterAll(async () => {
  await dynamo?.stop();
});

describe('the bundles in cdk.out', () => {
  it('are one per function, each exporting the handler its template names', async () => {
    expect(functions.map((f) => f.id.replace(/^Pipeline|Function[0-9A-F]{8}$/g, '')).sort()).toEqual([
      'Api',
      'Engagement',
      'Notifier',
      'Report',
      'Sender',
    ]);
    for (const f of functions) {
      expect((await runBundle(f)).exports, f.id).toContain(f.handler.split('.')[1]);
    }
  });

  it('the engagement bundle records the SES click fixture from an SQS batch into the table, as the source reads it', async () => {
    const engagement = functions.find((f) => f.id.startsWith('PipelineEngagementFunction'))!;
    const click = readFileSync(join(root, 'test/fixtures/ses-eventbridge/click.json'), 'utf8');
    const fixture = JSON.parse(click) as {
      detail: { mail: { tags: Record<string, string[]>; messageId: string; timestamp: string }; click: { link: string } };
    };
    const { tags, messageId, timestamp } = fixture.detail.mail;
    const [campaignId, contactId] = [tags.campaignId![0]!, tags.contactId![0]!];
    // Events are checked against what was sent: record the send the fixture reports on, as the sender does.
    await new DynamoCampaignStore(dynamo.db, tableName).create({
      campaignId,
      name: 'fixture',
      subject: 's',
      fromAddress: 'news@acme.example',
      htmlTemplate: 'h',
      textTemplate: 't',
      profileId: 'icp_1',
      status: 'sent',
      profileVersion: 1,
      createdAt: new Date(Date.parse(timestamp) - 60_000).toISOString(),
      sendRequestedAt: new Date(Date.parse(timestamp) - 60_000).toISOString(),
      links: {},
    });
    await new DynamoSendLedger(dynamo.db, tableName).recordOutcomes(campaignId, [{ contactId, at: timestamp, state: 'sent', messageId }]);
    const record = { messageId: 'sqs-1', receiptHandle: 'r', body: click, attributes: {}, messageAttributes: {}, md5OfBody: '' };
    const event = {
      Records: [{ ...record, eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:1:events', awsRegion: 'us-east-1' }],
    };
    expect((await runBundle(engagement, event)).result).toEqual({ batchItemFailures: [] });

    const stored = await new DynamoEngagementStore(dynamo.db, tableName).getRecipients([{ campaignId, contactId }]);
    expect(stored.get(`${campaignId}|${contactId}`)?.state.clicks).toHaveLength(1);
  });
});
