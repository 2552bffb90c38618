import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * The engagement handler's log line for events it could not understand and set aside (with their
 * reason, in the table's dead letters): `{"message":"events set aside","count":n,…}`. A metric
 * filter turns it into the EventsSetAside metric; test/cdk/operations.test.ts runs the handler to
 * prove the line still has this shape.
 */
export const setAsideLog = { message: 'events set aside', countField: 'count' } as const;

/**
 * The notifier's log line after a follow-up run in which reminders or escalations failed
 * (functions/notifier/handler.ts): `{"message":"follow-ups run with failures","outcomes":{"failed":n,…}}`.
 */
export const followUpFailuresLog = { message: 'follow-ups run with failures', countField: 'outcomes.failed' } as const;

/** The sender's log line for a job that paused its campaign (functions/sender/handler.ts). */
export const pausedLog = { message: 'send job done', status: 'paused' } as const;

/**
 * CloudWatch can publish to an encrypted topic only through a customer-managed key whose policy
 * lets cloudwatch.amazonaws.com use it: with the AWS-managed alias/aws/sns key, alarm emails never
 * arrive (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 */
export function alarmTopicKey(scope: Construct): Key {
  const key = new Key(scope, 'AlarmTopicKey', { description: 'mql-pipeline alarm topic', enableKeyRotation: true });
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  return key;
}
