import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
// The metrics namespace is defined once, beside the runtime's Powertools setup.
import { METRICS_NAMESPACE } from '../../functions/observability';
import type { FunctionName } from './pipeline-props';

export interface PipelineFunctionProps {
  /** Path of the entry file (exports `handler`). */
  entry: string;
  /** @default 30 seconds */
  timeout?: Duration;
  /** @default 512 */
  memorySize?: number;
  environment?: Record<string, string>;
  /** @default RetentionDays.ONE_MONTH */
  logRetention?: RetentionDays;
  /** Caps concurrent executions, e.g. to pace SES sends. @default no reservation */
  reservedConcurrentExecutions?: number;
}

/** The cdk-nag findings every pipeline function carries, each reviewed; scoped to the function. */
export const functionReviewedFindings = [
  {
    id: 'AwsSolutions-L1',
    reason: 'The project fixes Node.js 22 for Lambda: the code is tested on Node 20 and 22, not on newer runtimes.',
  },
  {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'The AWS-managed minimum for a function to write its own logs; a hand-made copy would add nothing.',
  },
  {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions, so active tracing needs "*"; test/cdk/stack.test.ts checks no other action of the function is granted on "*".',
  },
] as const;

/**
 * Every function of the pipeline, with the defaults fixed in one place: Node.js 22 on arm64, ESM
 * bundled by the local esbuild (no Docker), source maps on, X-Ray tracing, a log group with a
 * retention, Powertools settings.
 */
export class PipelineFunction extends NodejsFunction {
  /** Powertools service name: the `service` dimension of the function's own metrics. */
  readonly serviceName: string;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const serviceName = `mql-pipeline-${id.replace(/Function$/, '').toLowerCase()}`;
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        forceDockerBundling: false,
        mainFields: ['module', 'main'],
        // Some dependencies still call require(): give the ESM bundle one.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });
    this.serviceName = serviceName;
    for (const { id: rule, reason } of functionReviewedFindings) Validations.of(this).acknowledge({ id: `AwsSolutions::${rule}`, reason });
  }
}

/** The pipeline's five functions, by name. */
export type PipelineFunctions = Record<FunctionName, PipelineFunction>;
