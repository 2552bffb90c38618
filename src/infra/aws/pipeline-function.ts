import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

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

/** The Powertools namespace and service, set here once for every function. */
export const POWERTOOLS_NAMESPACE = 'MqlPipeline';

/**
 * Every function of the pipeline, with the defaults fixed in one place: Node.js 22 on arm64, ESM
 * bundled by the local esbuild (no Docker), source maps on, X-Ray tracing, a log group with a
 * retention, Powertools settings.
 */
export class PipelineFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
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
        POWERTOOLS_SERVICE_NAME: `mql-pipeline-${id.replace(/Function$/, '').toLowerCase()}`,
        POWERTOOLS_METRICS_NAMESPACE: POWERTOOLS_NAMESPACE,
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
  }
}
