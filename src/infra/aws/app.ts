import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MqlPipelineStack } from './stack';

/**
 * `npm run synth` / `cdk deploy`. Settings come from CDK context (`-c senderDomain=…`), with
 * placeholders that synthesize offline; a deployment must set senderDomain and salesInbox.
 */
const app = new App();
const context = (key: string, fallback: string) => (app.node.tryGetContext(key) as string | undefined) ?? fallback;

new MqlPipelineStack(app, context('stackName', 'MqlPipeline'), {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  alarmEmail: app.node.tryGetContext('alarmEmail'),
  pipeline: {
    senderDomain: context('senderDomain', 'example.com'),
    salesInbox: context('salesInbox', 'sales@example.com'),
    maxSendRate: app.node.tryGetContext('maxSendRate') ? Number(app.node.tryGetContext('maxSendRate')) : undefined,
    customTrackingRedirectDomain: app.node.tryGetContext('trackingDomain'),
  },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
