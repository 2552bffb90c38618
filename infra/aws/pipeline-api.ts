import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpNoneAuthorizer, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledge, nagPseudo, nagRefOf } from './nag-acknowledgements';
import type { MqlPipelineProps } from './pipeline-props';

// No source IP (personal data) and the route template, not the path: an unsubscribe path carries
// the contact's token. The caller's IAM identity is an id.
const accessLogFormat = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLength: '$context.responseLength',
    integrationLatency: '$context.integrationLatency',
    caller: '$context.identity.userArn',
  }),
);

/**
 * The marketers' HTTP API: IAM (SigV4) or JWT authorization, a throttled `$default` stage whose
 * access log keeps no personal data, and, with IAM, the managed policy that lets a marketer call it.
 */
export function createHttpApi(scope: Construct, props: MqlPipelineProps): { api: HttpApi; apiInvokePolicy?: ManagedPolicy } {
  const api = new HttpApi(scope, 'Api', {
    description: 'mql-pipeline marketers API (SigV4 / IAM authorization)',
    defaultAuthorizer:
      props.apiAuthorization?.type === 'jwt'
        ? new HttpJwtAuthorizer('JwtAuthorizer', props.apiAuthorization.issuer, { jwtAudience: props.apiAuthorization.audience })
        : new HttpIamAuthorizer(),
    createDefaultStage: false,
  });
  new HttpStage(scope, 'ApiStage', {
    httpApi: api,
    stageName: '$default',
    autoDeploy: true,
    accessLogSettings: {
      destination: new LogGroupLogDestination(
        new LogGroup(scope, 'ApiAccessLogs', {
          retention: props.logRetention ?? RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
      format: accessLogFormat,
    },
    throttle: { rateLimit: 50, burstLimit: 100 },
  });
  return { api, apiInvokePolicy: props.apiAuthorization?.type === 'jwt' ? undefined : createInvokePolicy(scope, api) };
}

function createInvokePolicy(scope: Construct, api: HttpApi) {
  const policy = new ManagedPolicy(scope, 'ApiInvokePolicy', {
    description: 'Call the mql-pipeline marketers API (every route of this API, $default stage)',
    statements: [new PolicyStatement({ actions: ['execute-api:Invoke'], resources: [api.arnForExecuteApi('*', '/*', '$default')] })],
  });
  acknowledge(
    [policy],
    `AwsSolutions-IAM5[Resource::arn:${nagPseudo(scope, 'partition')}:execute-api:${nagPseudo(scope, 'region')}:${nagPseudo(scope, 'account')}:${nagRefOf(api)}/$default/*/*]`,
    'The marketers API is one proxy route: calling it means calling any of its paths, on this API and stage only.',
  );
  return policy;
}

/** Every path goes to the api function; only the one-click unsubscribe routes are open. */
export function addApiRoutes(api: HttpApi, handler: IFunction) {
  const integration = new HttpLambdaIntegration('ApiIntegration', handler);
  api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration });
  // RFC 8058 one-click unsubscribe: mailbox providers POST without credentials; the token is HMAC-signed.
  api.addRoutes({ path: '/u/{token}', methods: [HttpMethod.GET, HttpMethod.POST], integration, authorizer: new HttpNoneAuthorizer() });
  acknowledge(
    api.node.children.filter((c) => c.node.id.includes('--u--')),
    'AwsSolutions-APIG4',
    'Only the RFC 8058 one-click unsubscribe routes are open: mailbox providers POST them without credentials, and their HMAC-signed token is the authorization.',
  );
}
