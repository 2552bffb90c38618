import { Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Accepting a cdk-nag finding: on the resources it concerns and nothing else, with why
 * (docs/infrastructure.md). Each construct acknowledges its own findings beside the resource.
 */
export function acknowledge(where: IConstruct[], id: string, reason: string) {
  for (const c of where) Validations.of(c).acknowledge({ id: `AwsSolutions::${id}`, reason });
}

/** A resource's ARN as cdk-nag prints it in a finding id: `<LogicalId.Arn>`. */
export const nagArnOf = (c: IConstruct) => `<${Stack.of(c).resolve((c.node.defaultChild as CfnElement).logicalId)}.Arn>`;

/** A resource's reference as cdk-nag prints it: `<LogicalId>`. */
export const nagRefOf = (c: IConstruct) => `<${Stack.of(c).resolve((c.node.defaultChild as CfnElement).logicalId)}>`;

/** As cdk-nag prints ARNs: a stack's region and account literally when known, else the pseudo parameter. */
export function nagPseudo(scope: IConstruct, key: 'partition' | 'region' | 'account') {
  const value = Stack.of(scope)[key];
  return Token.isUnresolved(value) ? `<AWS::${{ partition: 'Partition', region: 'Region', account: 'AccountId' }[key]}>` : value;
}
