import { Token, type RemovalPolicy } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IPublicHostedZone } from 'aws-cdk-lib/aws-route53';

/** What a team sets when it adds the MqlPipeline construct to its CDK app, and how it is checked. */
export interface MqlPipelineProps {
  /**
   * The SES identity (a domain) campaigns and notifications are sent from. It must be verified in
   * SES in the stack's region: create it with `createSenderIdentity`, or verify it yourself
   * (docs/deploy.md). Senders may use any address at this domain.
   */
  senderDomain: string;
  /** Where MQL notifications go when no routing rule names an owner; also gets the quarterly criteria review. */
  salesInbox: string;
  /** Marketing's inbox: gets the quarterly criteria review's link beside `salesInbox`. @default undefined: sales only */
  marketingInbox?: string;
  /** From of MQL notifications. @default `MQL Pipeline <mql@${senderDomain}>` */
  notificationFrom?: string;
  /** Mailto address in List-Unsubscribe. @default `unsubscribe@${senderDomain}` */
  unsubscribeMailto?: string;
  /** SES configuration set name. @default 'mql-pipeline-events' */
  configurationSetName?: string;
  /**
   * Let the stack create the SES domain identity for `senderDomain`, with Easy DKIM (2048-bit).
   * With `hostedZone` (a public zone named exactly `senderDomain`) the three DKIM CNAME records are
   * published there; without it the default stack prints them as outputs to add at your DNS host.
   * Leave it out when the identity already exists in the account (CloudFormation cannot adopt it).
   * @default undefined: the identity is managed outside the stack
   */
  createSenderIdentity?: { hostedZone?: IPublicHostedZone };
  /**
   * Messages per second for the whole account (MAX_SEND_RATE), shared by the sender instances
   * through one send schedule in the table (docs/sending.md, "Pace"). Set it below the account's
   * rate when other mail shares the account.
   * @default undefined: the application's own default (SES GetAccount's MaxSendRate where it reads it, see lib/app.ts)
   */
  maxSendRate?: number;
  /**
   * How many sender functions run at once: the send queue's maximum concurrency and the sender's
   * reserved concurrency. At least 2 (the least SQS event sources accept). A new account whose
   * Lambda concurrency quota is 10 cannot reserve any: raise the quota first (docs/deploy.md).
   * @default 2
   */
  senderConcurrency?: number;
  /**
   * While the SES account is in the sandbox, SES authorizes a send against the recipient's
   * identity too: list the verified addresses you test with (and the sales inbox) so the sender
   * and notifier may send to them. Leave empty once the account has production access.
   * @default []
   */
  sandboxRecipients?: string[];
  /** Daily report time. @default { hour: 6, minute: 0, timeZone: 'Etc/UTC' } */
  reportSchedule?: { hour: number; minute: number /** IANA name, e.g. 'Europe/Berlin'. */; timeZone?: string };
  /** How often speed-to-lead reminders and escalations are sent (the notifier, on a schedule). @default 5 minutes */
  followUpIntervalMinutes?: number;
  /**
   * For the table, buckets and secret. RETAIN also turns on the table's deletion protection.
   * @default RemovalPolicy.RETAIN
   */
  removalPolicy?: RemovalPolicy;
  /** Of the functions' and the API's logs. @default RetentionDays.ONE_MONTH */
  logRetention?: RetentionDays;
  /**
   * Days a report (it holds recipients' addresses) is kept in S3; overwritten versions go after
   * 30 days, S3 access logs after 90. @default 365
   */
  reportRetentionDays?: number;
  /**
   * Your own domain for SES's open and click tracking links (a CNAME to SES's tracking endpoint),
   * so links carry your brand instead of SES's. @default SES's tracking domain
   */
  customTrackingRedirectDomain?: string;
  /**
   * API authorization: IAM (SigV4) by default, or a JWT authorizer (e.g. Cognito, Auth0) for teams
   * whose marketers sign in through an identity provider. @default { type: 'iam' }
   */
  apiAuthorization?: { type: 'iam' } | { type: 'jwt'; issuer: string; audience: string[] };
  /** Override the Lambda entry files (tests). @default the files under functions */
  entries?: Partial<Record<FunctionName, string>>;
}

export type FunctionName = 'api' | 'sender' | 'engagement' | 'notifier' | 'report';
/** The least the SQS event source accepts as maximum concurrency: the sender's default. */
export const MIN_SENDER_CONCURRENCY = 2;

/** Fails synth with a message naming the prop, before CloudFormation would fail half-way. */
export function validatePipelineProps(props: MqlPipelineProps) {
  const problems: string[] = [];
  const known = (value: string) => !Token.isUnresolved(value);
  if (known(props.senderDomain) && !/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(props.senderDomain)) {
    problems.push(`senderDomain "${props.senderDomain}" is not a domain name (e.g. acme.example)`);
  }
  const email = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
  if (known(props.salesInbox) && !email.test(props.salesInbox)) problems.push(`salesInbox "${props.salesInbox}" is not an email address`);
  if (props.marketingInbox !== undefined && known(props.marketingInbox) && !email.test(props.marketingInbox))
    problems.push(`marketingInbox "${props.marketingInbox}" is not an email address`);
  for (const r of props.sandboxRecipients ?? [])
    if (known(r) && !email.test(r)) problems.push(`sandboxRecipients: "${r}" is not an email address`);
  if (props.maxSendRate !== undefined && !(props.maxSendRate > 0))
    problems.push(`maxSendRate must be a positive number of messages per second, got ${props.maxSendRate}`);
  const concurrency = props.senderConcurrency;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= MIN_SENDER_CONCURRENCY)) {
    problems.push(
      `senderConcurrency must be an integer of at least ${MIN_SENDER_CONCURRENCY} (the SQS event source's minimum), got ${concurrency}`,
    );
  }
  const at = props.reportSchedule;
  if (
    at &&
    !(Number.isInteger(at.hour) && at.hour >= 0 && at.hour <= 23 && Number.isInteger(at.minute) && at.minute >= 0 && at.minute <= 59)
  ) {
    problems.push(`reportSchedule must be { hour: 0–23, minute: 0–59 }, got ${JSON.stringify(at)}`);
  }
  const every = props.followUpIntervalMinutes;
  if (every !== undefined && !(Number.isInteger(every) && every >= 1 && every <= 60)) {
    problems.push(`followUpIntervalMinutes must be a whole number of minutes from 1 to 60, got ${every}`);
  }
  if (props.reportRetentionDays !== undefined && !(Number.isInteger(props.reportRetentionDays) && props.reportRetentionDays >= 1)) {
    problems.push(`reportRetentionDays must be a whole number of days ≥ 1, got ${props.reportRetentionDays}`);
  }
  const zone = props.createSenderIdentity?.hostedZone;
  if (zone && known(zone.zoneName) && known(props.senderDomain) && zone.zoneName.replace(/\.$/, '') !== props.senderDomain.toLowerCase()) {
    problems.push(`createSenderIdentity.hostedZone "${zone.zoneName}" must be the zone of senderDomain "${props.senderDomain}"`);
  }
  if (problems.length) throw new Error(`MqlPipeline: ${problems.join('; ')}`);
}

/** The SES configuration set the pipeline sends campaigns through (props.configurationSetName). */
export const configurationSetNameOf = (props: MqlPipelineProps) => props.configurationSetName ?? 'mql-pipeline-events';

/** How many sender functions run at once (props.senderConcurrency). */
export const senderConcurrencyOf = (props: MqlPipelineProps) => props.senderConcurrency ?? MIN_SENDER_CONCURRENCY;
