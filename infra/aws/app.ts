import { Annotations, App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MqlPipelineStack } from './stack';

/**
 * `npm run synth` / `cdk deploy`. Settings come from CDK context (`-c senderDomain=…`, or the
 * "context" of cdk.json / cdk.context.json); docs/deploy.md lists them. Without senderDomain and
 * salesInbox the app synthesizes with placeholders (offline, in CI) and warns: never deploy those.
 */
const app = new App();
const text = (key: string) => {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === '' ? undefined : String(value);
};
const number = (key: string) => {
  const value = text(key);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`context ${key}="${value}" is not a number`);
  return n;
};
const list = (key: string) =>
  text(key)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const flag = (key: string) => ['true', '1', 'yes'].includes(text(key)?.toLowerCase() ?? '');

const senderDomain = text('senderDomain');
const salesInbox = text('salesInbox');
const hostedZoneId = text('hostedZoneId');
const removal = text('removalPolicy')?.toLowerCase();
if (removal && !['retain', 'destroy'].includes(removal)) throw new Error(`context removalPolicy="${removal}" must be retain or destroy`);
const reportHour = number('reportHour');

const stack = new MqlPipelineStack(app, text('stackName') ?? 'MqlPipeline', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  alarmEmail: text('alarmEmail'),
  operations: { runbookUrl: text('runbookUrl') },
  pipeline: {
    senderDomain: senderDomain ?? 'example.com',
    salesInbox: salesInbox ?? 'sales@example.com',
    configurationSetName: text('configurationSetName'),
    maxSendRate: number('maxSendRate'),
    senderConcurrency: number('senderConcurrency'),
    sandboxRecipients: list('sandboxRecipients'),
    customTrackingRedirectDomain: text('trackingDomain'),
    reportSchedule:
      reportHour === undefined ? undefined : { hour: reportHour, minute: number('reportMinute') ?? 0, timeZone: text('reportTimeZone') },
    followUpIntervalMinutes: number('followUpIntervalMinutes'),
    removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : undefined,
    apiAuthorization: text('jwtIssuer') ? { type: 'jwt', issuer: text('jwtIssuer')!, audience: list('jwtAudience') ?? [] } : undefined,
    createSenderIdentity: flag('createSenderIdentity') || hostedZoneId ? {} : undefined,
  },
  senderHostedZoneId: hostedZoneId,
});
if (!senderDomain || !salesInbox) {
  Annotations.of(stack).addWarningV2(
    'mql:placeholder-settings',
    'senderDomain or salesInbox is not set: synthesized with example.com placeholders. Set -c senderDomain=… -c salesInbox=… before deploying (docs/deploy.md).',
  );
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
