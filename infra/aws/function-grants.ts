import { Aws } from 'aws-cdk-lib';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import { Policy, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { tableKeys } from '../../adapters/dynamodb/table-schema';
import { envNames } from '../../lib/config';
import { engagementBatchSize } from '../queue-settings';
import { acknowledge, nagArnOf } from './nag-acknowledgements';
import type { PipelineFunctions } from './pipeline-function';
import { configurationSetNameOf, senderConcurrencyOf, type FunctionName, type MqlPipelineProps } from './pipeline-props';
import { queueConsumers, type PipelineStatefulResources } from './stateful-resources';

/**
 * The DynamoDB operations each function's code performs, and whether it queries the listing index.
 * Nothing else is granted: no Scan, no stream or table-management actions, DeleteItem only to the
 * notifier (a sent follow-up's due item).
 * test/cdk/permissions.test.ts runs a campaign through every handler and fails when a function
 * calls an operation missing here, or is granted one it never calls: add an operation here when a
 * use case starts to need it.
 */
export const tableAccess: Record<FunctionName, { operations: string[]; queriesIndex: boolean }> = {
  api: { operations: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'], queriesIndex: true },
  // Sending also records audience pages and job outcomes (conditional PutItem) and reads progress (Query).
  sender: { operations: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'], queriesIndex: true },
  engagement: { operations: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'], queriesIndex: false },
  // PutItem: a malformed Lead Qualified event is set aside as a dead-letter item. The follow-up
  // schedule Queries the due index and deletes each follow-up item once sent or answered (its only
  // DeleteItem: the due index holds only what is still to do).
  notifier: { operations: ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'DeleteItem'], queriesIndex: true },
  // Reports read; the only write is the quarterly review's email record (conditional UpdateItem).
  report: { operations: ['GetItem', 'BatchGetItem', 'Query', 'UpdateItem'], queriesIndex: true },
};

interface GrantContext {
  scope: Construct;
  props: MqlPipelineProps;
  functions: PipelineFunctions;
  stateful: PipelineStatefulResources;
  projectBus: EventBus;
}

/**
 * Grants, with the environment the functions are given (stateless-resources.ts): each function
 * gets what its use cases touch, no more, and consumes its queue. Every grant names its resource;
 * the few findings cdk-nag raises about them are acknowledged here, on the policy they concern.
 */
export function grantFunctionAccess(context: GrantContext) {
  const { functions, stateful } = context;
  const statements = sharedStatements(context);
  const { api, engagement, notifier, report } = functions;

  grantTable(context, 'api');
  api.addToRolePolicy(statements.enqueueSendJobs);
  api.addToRolePolicy(statements.reportObjects);
  api.addToRolePolicy(statements.reportListing);
  readUnsubscribeKey(context, api);
  // Engagement events posted through the API can qualify a contact: the api publishes Lead Qualified.
  context.projectBus.grantPutEventsTo(api);

  grantSender(context, statements);

  grantTable(context, 'engagement');
  context.projectBus.grantPutEventsTo(engagement);
  const { batchingWindow } = queueConsumers.engagement;
  engagement.addEventSource(
    new SqsEventSource(stateful.eventsQueue, {
      batchSize: engagementBatchSize,
      maxBatchingWindow: batchingWindow,
      reportBatchItemFailures: true,
    }),
  );

  grantTable(context, 'notifier');
  // Notifications go without the configuration set (untracked): the identity alone.
  notifier.addToRolePolicy(
    new PolicyStatement({ actions: ['ses:SendEmail'], resources: [statements.identityArn, ...statements.sandboxRecipientArns] }),
  );

  grantTable(context, 'report');
  report.addToRolePolicy(statements.reportObjects);
  report.addToRolePolicy(statements.reportListing);
  // Large on-demand reports: the api function invokes the report function asynchronously.
  api.addEnvironment(envNames.reportFunctionName, report.functionName);
  api.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [report.functionArn] }));
  acknowledge(
    [api.role!, report.role!].map((r) => r.node.findChild('DefaultPolicy')),
    `AwsSolutions-IAM5[Resource::${nagArnOf(stateful.reportBucket)}/reports/*]`,
    'Report objects are date-stamped keys under reports/: written, read, and deleted whole (a failed report, erasure), on that prefix only.',
  );
}

type SharedStatements = ReturnType<typeof sharedStatements>;

/** The resources and statements more than one function is granted. */
function sharedStatements({ props, stateful }: GrantContext) {
  const sesArn = (resource: string) => `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
  return {
    identityArn: sesArn(`identity/${props.senderDomain}`),
    configSetArn: sesArn(`configuration-set/${configurationSetNameOf(props)}`),
    // In the SES sandbox every recipient is an identity SES authorizes the send against.
    sandboxRecipientArns: (props.sandboxRecipients ?? []).map((address) => sesArn(`identity/${address}`)),
    // SendMessageBatch is authorized as sqs:SendMessage; queue attributes and URL are never read.
    enqueueSendJobs: new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [stateful.sendQueue.queueArn] }),
    // On-demand reports are written by the api function: objects under reports/, nothing else.
    // (GetObject is what the presigned report links are signed with, and erasure reads reports to
    // rewrite them; AbortMultipartUpload: a streamed CSV upload that fails is aborted; DeleteObject
    // and DeleteObjectVersion: a report that fails part-way is removed whole, and erasure deletes
    // the noncurrent versions of what it rewrote, in the versioned bucket.)
    reportObjects: new PolicyStatement({
      actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      resources: [stateful.reportBucket.arnForObjects('reports/*')],
    }),
    // Listing keys and versions under reports/ only: erasure finds the reports that may name the
    // person, and the versions of an object it rewrote or removed.
    reportListing: new PolicyStatement({
      actions: ['s3:ListBucket', 's3:ListBucketVersions'],
      resources: [stateful.reportBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': 'reports/*' } },
    }),
  };
}

function grantSender(context: GrantContext, statements: SharedStatements) {
  const { sender } = context.functions;
  const sendResources = [statements.identityArn, statements.configSetArn, ...statements.sandboxRecipientArns];
  grantTable(context, 'sender');
  sender.addToRolePolicy(statements.enqueueSendJobs); // fan-out queues the next page
  readUnsubscribeKey(context, sender);
  sender.addToRolePolicy(new PolicyStatement({ actions: ['ses:SendEmail'], resources: sendResources }));
  // Campaigns go out through SendBulkEmail (up to 50 recipients a call; the template is inline,
  // so no template resource).
  sender.addToRolePolicy(new PolicyStatement({ actions: ['ses:SendBulkEmail'], resources: sendResources }));
  // GetAccount has no resource type in the Service Authorization Reference (SES v2): it can
  // only be granted on "*". It reads the account's own send quota, nothing else. A policy of its
  // own, so that its cdk-nag acknowledgement covers this statement and nothing else.
  const sendQuota = new Policy(context.scope, 'SenderReadsSendQuota', {
    statements: [new PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] })],
    roles: [sender.role!],
  });
  acknowledge(
    [sendQuota],
    'AwsSolutions-IAM5[Resource::*]',
    'ses:GetAccount has no resource-level permission (SES v2 Service Authorization Reference): "*" is the only resource it accepts.',
  );
  sender.addEventSource(
    new SqsEventSource(context.stateful.sendQueue, {
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: senderConcurrencyOf(context.props),
    }),
  );
}

/** The function's operations of `tableAccess` on the table, and Query on the index if it queries it. */
function grantTable({ functions, stateful }: GrantContext, name: FunctionName) {
  const { operations, queriesIndex } = tableAccess[name];
  const fn = functions[name];
  const { table } = stateful;
  fn.addToRolePolicy(new PolicyStatement({ actions: operations.map((o) => `dynamodb:${o}`), resources: [table.tableArn] }));
  if (queriesIndex)
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/${tableKeys.gsi1.indexName}`] }),
    );
}

// The key is read once per cold start (functions/aws-runtime.ts); DescribeSecret is not needed.
function readUnsubscribeKey({ stateful }: GrantContext, grantee: IGrantable) {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [stateful.unsubscribeKey.secretArn] }),
  );
}
