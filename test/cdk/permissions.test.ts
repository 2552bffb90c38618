import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client, type SendBulkEmailCommandInput, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildAdapters } from '../../adapters/build-adapters';
import { buildApp } from '../../lib/app';
import { configSchema } from '../../lib/config';
import { demoProfile } from '../../demo/audience';
import { makeApiHandler } from '../../functions/api/handler';
import { makeEngagementHandler } from '../../functions/engagement/handler';
import { makeNotifierHandler } from '../../functions/notifier/handler';
import { followUpRunInput } from '../../functions/notifier/follow-up-schedule';
import { logger } from '../../functions/observability';
import { makeReportHandler } from '../../functions/report/handler';
import { makeSenderHandler } from '../../functions/sender/handler';
import { tableAccess } from '../../infra/aws/function-grants';
import type { FunctionName } from '../../infra/aws/mql-pipeline';
import { MqlPipelineStack } from '../../infra/aws/stack';
import { sesEvent } from '../../infra/local/ses-events';
import { signUnsubscribeToken } from '../../lib/contacts/unsubscribe-token';
import { startDynamo } from '../support/dynamo';

/**
 * Least privilege, checked against what the code really does: a small campaign runs through every
 * handler, each function with its own SDK clients (DynamoDB on dynalite, the rest stubbed at the
 * SDK boundary), and every AWS call is recorded as the IAM action it needs. The CDK template must
 * grant each function exactly those DynamoDB operations, and every other action it calls.
 */
logger.setLogLevel('ERROR');
const functionNames: FunctionName[] = ['api', 'sender', 'engagement', 'notifier', 'report'];
type Call = { action: string; index?: boolean };
const calls = Object.fromEntries(functionNames.map((f) => [f, [] as Call[]])) as Record<FunctionName, Call[]>;
const record = (fn: FunctionName, action: string, index?: boolean) => calls[fn].push({ action, index });

// SDK command → IAM action, where they differ (SendMessageBatch is authorized as SendMessage).
const iamAction = (service: string, command: string) => {
  const name = command.replace(/Command$/, '');
  return `${service}:${{ SendMessageBatch: 'SendMessage', Invoke: 'InvokeFunction' }[name] ?? name}`;
};

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
type Stub = ReturnType<typeof mockClient>;
const stubs: Stub[] = [];
const sentEmails: { fn: FunctionName; input: SendEmailCommandInput; messageId: string; sentAt: string }[] = [];
const sendQueue: string[] = [];
const projectEvents: { source: string; 'detail-type': string; detail: unknown }[] = [];

function clientsFor(fn: FunctionName) {
  const raw = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      record(fn, iamAction('dynamodb', String(context.commandName)), Boolean((args.input as { IndexName?: string }).IndexName));
      return next(args);
    },
    { step: 'initialize', name: 'recordIamAction' },
  );
  const ses = new SESv2Client({ region: 'us-east-1' });
  const sqs = new SQSClient({ region: 'us-east-1' });
  const eventBridge = new EventBridgeClient({ region: 'us-east-1' });
  const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const lambda = new LambdaClient({ region: 'us-east-1' });
  // Stubbed services answer like AWS, and every call is recorded whatever the command.
  const stub = <I>(client: object, service: string, answer: (input: I) => object) => {
    const m = mockClient(client as never) as Stub;
    m.onAnyCommand().callsFake((input: unknown) => answer(input as I));
    stubs.push(m);
    return { m, service };
  };
  let n = 0;
  const sesStub = stub(ses, 'ses', (input: SendEmailCommandInput & SendBulkEmailCommandInput) => {
    const sentAt = new Date().toISOString();
    if (!input.BulkEmailEntries) {
      const messageId = `msg-${fn}-${++n}`;
      sentEmails.push({ fn, input, messageId, sentAt });
      return { MessageId: messageId };
    }
    // SendBulkEmail (campaigns): one message per entry, with the entry's tags.
    const results = input.BulkEmailEntries.map((e) => {
      const messageId = `msg-${fn}-${++n}`;
      const sent = { FromEmailAddress: input.FromEmailAddress, Destination: e.Destination, EmailTags: e.ReplacementTags, Content: {} };
      sentEmails.push({ fn, input: sent, messageId, sentAt });
      return { Status: 'SUCCESS' as const, MessageId: messageId };
    });
    return { BulkEmailEntryResults: results };
  });
  const sqsStub = stub(sqs, 'sqs', (input: SendMessageBatchCommandInput) => {
    for (const e of input.Entries ?? []) sendQueue.push(e.MessageBody!);
    return { Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: `sqs-${++n}`, MD5OfMessageBody: '' })), Failed: [] };
  });
  const ebStub = stub(eventBridge, 'events', (input: { Entries?: { Source?: string; DetailType?: string; Detail?: string }[] }) => {
    for (const e of input.Entries ?? [])
      projectEvents.push({ source: e.Source!, 'detail-type': e.DetailType!, detail: JSON.parse(e.Detail!) });
    return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map(() => ({ EventId: `ev-${++n}` })) };
  });
  const s3Stub = stub(s3, 's3', () => ({}));
  const lambdaStub = stub(lambda, 'lambda', () => ({ StatusCode: 202 }));
  const recorders = [sesStub, sqsStub, ebStub, s3Stub, lambdaStub];
  return {
    clients: {
      dynamodb: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }),
      ses,
      sqs,
      eventBridge,
      s3,
      lambda,
    },
    /** The stubbed services' calls, as IAM actions. */
    stubbedActions: () =>
      recorders.flatMap(({ m, service }) => m.calls().map((c) => iamAction(service, (c.args[0] as object).constructor.name))),
    destroy: () => raw.destroy(),
  };
}

const secret = 'permissions-test-unsubscribe-key-0123456789abcdef';
const config = configSchema.parse({
  tableName: 'mql-permissions',
  reportBucket: 'reports',
  sendQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/send',
  projectBusName: 'project',
  configurationSetName: 'mql-pipeline-events',
  salesInbox: 'sales@acme.example',
  notificationFrom: 'MQL Pipeline <mql@acme.example>',
  unsubscribeBaseUrl: 'https://api.acme.example/u',
  unsubscribeMailto: 'unsubscribe@acme.example',
  unsubscribeSecret: secret,
  maxSendRate: 1000,
  inFlightGraceMs: 1,
});

const granted: Record<FunctionName, { actions: string[]; resources: string }[]> = {} as never;
let built: Record<FunctionName, ReturnType<typeof clientsFor>>;

const apiEvent = (method: string, path: string, body?: unknown): APIGatewayProxyEventV2 =>
  ({
    rawPath: path,
    requestContext: { http: { method } },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
    headers: {},
  }) as unknown as APIGatewayProxyEventV2;
const sqsEvent = (bodies: string[]): SQSEvent => ({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body }) as never) });

beforeAll(async () => {
  dynamo = await startDynamo(config.tableName);
  built = Object.fromEntries(functionNames.map((f) => [f, clientsFor(f)])) as never;
  const apps = Object.fromEntries(functionNames.map((f) => [f, buildApp(buildAdapters(built[f].clients, config), config)])) as Record<
    FunctionName,
    ReturnType<typeof buildApp>
  >;
  const api = makeApiHandler(apps.api);
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await api(apiEvent(method, path, body));
    expect({ path, status: r.statusCode }).toEqual({ path, status: expect.any(Number) });
    if ((r.statusCode ?? 500) >= 300) throw new Error(`${method} ${path} → ${r.statusCode}: ${r.body}`);
    return JSON.parse(r.body ?? '{}') as Record<string, unknown>;
  };

  // The marketer's side, through the API.
  // Six people who fit the demo's profile, six who do not.
  const audience = Array.from({ length: 12 }, (_, i) => ({
    email: `person${i}@northwind.example`,
    firstName: `P${i}`,
    company: 'Northwind',
    industry: i % 2 ? 'Software' : 'Retail',
    companySize: '201-1000' as const,
    seniority: 'director' as const,
    consent: true,
  }));
  await call('POST', '/contacts/import', { contacts: audience });
  const profile = await call('POST', '/profiles', demoProfile);
  const campaign = (await call('POST', '/campaigns', {
    name: 'Permissions check',
    subject: 'Hello {{default firstName "there"}}',
    fromAddress: 'Acme <news@acme.example>',
    htmlTemplate: '<p><a href="https://acme.example/pricing">Pricing</a> <a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
    textTemplate: 'Pricing: https://acme.example/pricing',
    profileId: profile.profileId,
  })) as { campaignId: string };
  await call('POST', `/campaigns/${campaign.campaignId}/send`);

  // The send queue, drained by the sender (fan-out pages, then send jobs).
  const sender = makeSenderHandler(apps.sender);
  for (let rounds = 0; sendQueue.length && rounds < 50; rounds++) {
    const result = await sender(sqsEvent(sendQueue.splice(0, 10)));
    expect(result.batchItemFailures).toEqual([]);
  }

  // SES's part: every recipient's message is sent, delivered, opened and clicked by a person; one
  // bounces, one complains; plus an event nobody can understand.
  const mails = sentEmails
    .filter((s) => s.fn === 'sender')
    .map(({ input, messageId, sentAt }) => {
      const tag = (name: string) => input.EmailTags!.find((t) => t.Name === name)!.Value!;
      // Events report on what the sender recorded: its SES message id, at the time it sent.
      return {
        messageId,
        sentAt,
        from: input.FromEmailAddress!,
        to: input.Destination!.ToAddresses![0]!,
        subject: 's',
        configurationSet: config.configurationSetName,
        campaignId: tag('campaignId'),
        contactId: tag('contactId'),
      };
    });
  expect(mails.length).toBeGreaterThan(0);
  const person = {
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/128.0 Safari/537.36',
    ipAddress: '198.51.100.7',
  };
  const after = (mail: { sentAt: string }, seconds: number) => new Date(Date.parse(mail.sentAt) + seconds * 1000).toISOString();
  const events = mails.flatMap((mail, i) => [
    sesEvent('Send', mail),
    ...(i === 0
      ? [sesEvent('Bounce', mail, { at: after(mail, 3), bounceType: 'Permanent', bounceSubType: 'General' })]
      : [
          sesEvent('Delivery', mail, { at: after(mail, 2) }),
          sesEvent('Open', mail, { ...person, at: after(mail, 1200) }),
          sesEvent('Click', mail, { ...person, at: after(mail, 1260), link: 'https://acme.example/pricing' }),
          ...(i === 1 ? [sesEvent('Complaint', mail, { at: after(mail, 3600) })] : []),
        ]),
  ]);
  const engagement = makeEngagementHandler(apps.engagement);
  const bodies = [...events.map((e) => JSON.stringify(e)), '{"source":"aws.ses","detail":{}}'];
  // One delta write in 32 also folds the campaign's counters (a Query and a conditional put): make
  // every batch one of those, so that path's permissions are exercised too.
  const dice = vi.spyOn(Math, 'random').mockReturnValue(0);
  for (let i = 0; i < bodies.length; i += 100) expect((await engagement(sqsEvent(bodies.slice(i, i + 100)))).batchItemFailures).toEqual([]);
  dice.mockRestore();

  // Sales hears of each MQL once; reports on demand and on schedule; the marketer reads back.
  expect(projectEvents.length).toBeGreaterThan(0);
  const notifier = makeNotifierHandler(apps.notifier);
  for (const e of projectEvents) await notifier(e as never);
  // A malformed Lead Qualified event is set aside with its reason (a dead-letter item), not retried.
  await notifier({ id: 'evt-malformed', source: 'mql-pipeline', 'detail-type': 'Lead Qualified', detail: { lead: {} } } as never);
  // The follow-up schedule runs on the notifier: two days on, the fresh MQLs' reminders and escalations are due.
  const twoDaysOn = { now: () => new Date(Date.now() + 2 * 86_400_000) };
  const scheduled = makeNotifierHandler(buildApp(buildAdapters(built.notifier.clients, config, { clock: twoDaysOn }), config));
  const notifications = sentEmails.filter((s) => s.fn === 'notifier').length;
  await scheduled(followUpRunInput);
  expect(sentEmails.filter((s) => s.fn === 'notifier').length).toBeGreaterThan(notifications);
  const report = makeReportHandler(apps.report);
  await report({ campaignId: campaign.campaignId });
  await report({});
  // The quarterly criteria review: written, and its link mailed once to each inbox (a claim per email).
  await report({ review: 'quarterly' });
  const someone = mails[2]!;
  for (const path of [
    '/campaigns',
    `/campaigns/${campaign.campaignId}`,
    `/campaigns/${campaign.campaignId}/stats`,
    `/campaigns/${campaign.campaignId}/leads`,
    `/contacts/${someone.contactId}`,
    `/profiles/${profile.profileId}`,
  ]) {
    await call('GET', path);
  }
  await call('PATCH', `/contacts/${mails[3]!.contactId}`, { consent: false, region: 'EMEA' });
  await call('POST', '/contacts/suppressions', { suppressions: [{ email: 'crm-opt-out@northwind.example', reason: 'unsubscribed' }] });
  await call('POST', `/campaigns/${campaign.campaignId}/reports`);
  // A large on-demand report is handed to the report function (here every report counts as large).
  const handOff = await makeApiHandler(
    buildApp(buildAdapters(built.api.clients, { ...config, reportFunctionName: 'report' }), { ...config, syncReportRecipients: 0 }),
  )(apiEvent('POST', `/campaigns/${campaign.campaignId}/reports`));
  expect(handOff.statusCode).toBe(202);
  const token = signUnsubscribeToken({ campaignId: campaign.campaignId, contactId: someone.contactId }, secret);
  await call('POST', `/u/${token}`);

  // What the stack grants each function.
  const template = Template.fromStack(
    new MqlPipelineStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Perm', {
      pipeline: { senderDomain: 'acme.example', salesInbox: 'sales@acme.example' },
    }),
  );
  const policies = Object.entries(template.findResources('AWS::IAM::Policy')) as [
    string,
    { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } },
  ][];
  for (const fn of functionNames) {
    const prefix = `Pipeline${fn[0]!.toUpperCase()}${fn.slice(1)}Function`;
    const prefixes = fn === 'sender' ? [prefix, 'PipelineSenderReadsSendQuota'] : [prefix];
    granted[fn] = policies
      .filter(([id]) => prefixes.some((p) => id.startsWith(p)))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
      .map((s) => ({ actions: [s.Action].flat(), resources: JSON.stringify(s.Resource) }));
  }
}, 120_000);

afterAll(async () => {
  for (const s of stubs) s.restore();
  for (const f of functionNames) built?.[f]?.destroy();
  await dynamo?.stop();
});

const tableOnly = (r: string) => r.includes('PipelineTable') && !r.includes('/index/');
const onIndex = (r: string) => r.includes('/index/gsi1');

describe('least privilege, checked against a campaign run through every handler', () => {
  it.each(functionNames)('grants the %s function exactly the DynamoDB operations its code performs', (fn) => {
    const used = [...new Set(calls[fn].filter((c) => c.action.startsWith('dynamodb:')).map((c) => c.action))].sort();
    const onTable = granted[fn]
      .filter((s) => tableOnly(s.resources))
      .flatMap((s) => s.actions)
      .sort();
    expect(onTable).toEqual(used);
    expect(onTable).toEqual(tableAccess[fn].operations.map((o) => `dynamodb:${o}`).sort());
  });

  it.each(functionNames)('lets the %s function query the index only if it does', (fn) => {
    const queriesIndex = calls[fn].some((c) => c.index);
    const indexGrant = granted[fn].filter((s) => onIndex(s.resources)).flatMap((s) => s.actions);
    expect(indexGrant).toEqual(queriesIndex ? ['dynamodb:Query'] : []);
  });

  it.each(functionNames)('grants the %s function every other AWS action it calls', (fn) => {
    const used = new Set(built[fn].stubbedActions());
    const allGranted = new Set(granted[fn].flatMap((s) => s.actions));
    for (const action of used) expect({ fn, action, granted: allGranted.has(action) }).toEqual({ fn, action, granted: true });
  });

  it('exercised every function, so the comparison above means something', () => {
    for (const fn of functionNames) expect({ fn, calls: calls[fn].length > 0 }).toEqual({ fn, calls: true });
    expect(built.sender.stubbedActions()).toContain('ses:SendBulkEmail');
    expect(built.notifier.stubbedActions()).toContain('ses:SendEmail');
    expect(built.engagement.stubbedActions()).toContain('events:PutEvents');
    expect(built.report.stubbedActions()).toContain('s3:PutObject');
    expect(built.report.stubbedActions()).toContain('ses:SendEmail');
    expect(built.api.stubbedActions()).toContain('lambda:InvokeFunction');
  });
});
