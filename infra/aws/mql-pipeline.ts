import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import type { ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ConfigurationSet, EmailIdentity } from 'aws-cdk-lib/aws-ses';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PipelineFunctions } from './pipeline-function';
import { validatePipelineProps, type MqlPipelineProps } from './pipeline-props';
import { PipelineStatefulResources } from './stateful-resources';
import { PipelineStatelessResources } from './stateless-resources';
import { CriteriaReviewSchedule } from './criteria-review-schedule';

export type { FunctionName, MqlPipelineProps } from './pipeline-props';

/**
 * The whole pipeline (docs/infrastructure.md) as one construct a team can add to its own CDK app:
 * API (IAM-authorized) → api λ → table, send queue → sender λ → SES (configuration set →
 * default bus → rule → events queue → engagement λ → project bus → notifier λ), scheduled reports → S3.
 *
 * Two halves: what holds data (stateful-resources.ts: table, buckets, key, queues) and what can be
 * replaced at will (stateless-resources.ts: SES publishing, bus, API, functions, grants, rules,
 * schedule). Both create their resources directly in this construct's scope, where the first
 * release created them, so an upgrade keeps every logical id (test/cdk/logical-ids.test.ts).
 */
export class MqlPipeline extends Construct {
  readonly table: Table;
  readonly api: HttpApi;
  readonly reportBucket: Bucket;
  readonly sendQueue: Queue;
  readonly eventsQueue: Queue;
  readonly projectBus: EventBus;
  readonly configurationSet: ConfigurationSet;
  /** Dead letters of the EventBridge rule and schedule targets. */
  readonly ruleTargetsDlq: Queue;
  readonly functions: PipelineFunctions;
  /** The HMAC key of unsubscribe tokens. */
  readonly unsubscribeKey: Secret;
  /** The sending domain's identity, when the stack creates it (`createSenderIdentity`). */
  readonly senderIdentity?: EmailIdentity;
  /**
   * Attach to the marketers' roles or groups: it lets them call this API (SigV4), nothing else.
   * Only with IAM authorization.
   */
  readonly apiInvokePolicy?: ManagedPolicy;

  constructor(scope: Construct, id: string, props: MqlPipelineProps) {
    super(scope, id);
    validatePipelineProps(props);
    // S3 access logs are delivered under a bucket policy for the logging service, not the legacy
    // log-delivery ACL (AWS's current recommendation); must be set before any child exists.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    const stateful = new PipelineStatefulResources(this, props);
    this.table = stateful.table;
    this.reportBucket = stateful.reportBucket;
    this.unsubscribeKey = stateful.unsubscribeKey;
    this.sendQueue = stateful.sendQueue;
    this.eventsQueue = stateful.eventsQueue;
    this.ruleTargetsDlq = stateful.ruleTargetsDlq;

    const stateless = new PipelineStatelessResources(this, props, stateful);
    this.projectBus = stateless.projectBus;
    this.configurationSet = stateless.configurationSet;
    this.senderIdentity = stateless.senderIdentity;
    this.api = stateless.api;
    this.apiInvokePolicy = stateless.apiInvokePolicy;
    this.functions = stateless.functions;
    new CriteriaReviewSchedule(this, 'CriteriaReview', {
      pipeline: props,
      functions: this.functions,
      deadLetterQueue: stateful.ruleTargetsDlq,
    });
  }
}
