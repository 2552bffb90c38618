import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { envNames } from '../../lib/config';
import { configurationSetNameOf, senderConcurrencyOf, type FunctionName, type MqlPipelineProps } from './pipeline-props';
import { PipelineFunction } from './pipeline-function';
import { queueConsumers, type PipelineStatefulResources } from './stateful-resources';

export type PipelineFunctions = Record<FunctionName, PipelineFunction>;

const entryOf = (name: FunctionName) => fileURLToPath(new URL(`../../functions/${name}/index.ts`, import.meta.url));

type FunctionSettings = Partial<{ timeout: Duration; reservedConcurrentExecutions: number; memorySize: number; environment: Record<string, string> }>;

/** The five functions, each with the environment its use cases read (lib/config.ts names it). */
export function createFunctions(scope: Construct, props: MqlPipelineProps, uses: { stateful: PipelineStatefulResources; projectBus: EventBus; api: HttpApi }) {
  const environment = sharedEnvironment(props, uses);
  // Only the functions that sign (sender) or check (api) unsubscribe tokens know where the key is;
  // they alone may read it.
  const withUnsubscribeKey = { [envNames.unsubscribeSecretArn]: uses.stateful.unsubscribeKey.secretArn };
  const fn = (name: FunctionName, settings: FunctionSettings = {}) =>
    new PipelineFunction(scope, `${name[0]!.toUpperCase()}${name.slice(1)}Function`, {
      entry: props.entries?.[name] ?? entryOf(name),
      logRetention: props.logRetention,
      ...settings,
      environment: { ...environment, ...settings.environment },
    });
  const functions: PipelineFunctions = {
    api: fn('api', { environment: withUnsubscribeKey }),
    // Senders share one send schedule in the table (docs/sending.md, "Pace"), so the rate is the
    // account's whole rate, whatever their number; reserved concurrency keeps them from being
    // starved by other functions.
    sender: fn('sender', {
      timeout: queueConsumers.sender.timeout,
      reservedConcurrentExecutions: senderConcurrencyOf(props),
      environment: { ...withUnsubscribeKey, ...(props.maxSendRate ? { [envNames.maxSendRate]: String(props.maxSendRate) } : {}) },
    }),
    engagement: fn('engagement', { timeout: queueConsumers.engagement.timeout }),
    notifier: fn('notifier'),
    report: fn('report', { timeout: Duration.minutes(5), memorySize: 1024 }),
  };
  return functions;
}

/** What every function is told: where the resources are, who is notified, how unsubscribing works. */
function sharedEnvironment(props: MqlPipelineProps, uses: { stateful: PipelineStatefulResources; projectBus: EventBus; api: HttpApi }) {
  const { stateful } = uses;
  return {
    [envNames.tableName]: stateful.table.tableName,
    [envNames.reportBucket]: stateful.reportBucket.bucketName,
    [envNames.sendQueueUrl]: stateful.sendQueue.queueUrl,
    [envNames.projectBusName]: uses.projectBus.eventBusName,
    [envNames.configurationSetName]: configurationSetNameOf(props),
    [envNames.salesInbox]: props.salesInbox,
    [envNames.notificationFrom]: props.notificationFrom ?? `MQL Pipeline <mql@${props.senderDomain}>`,
    [envNames.unsubscribeBaseUrl]: `${uses.api.apiEndpoint}/u`,
    [envNames.unsubscribeMailto]: props.unsubscribeMailto ?? `unsubscribe@${props.senderDomain}`,
  };
}
