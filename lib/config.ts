import { z } from 'zod';
import { machineRulesSchema } from './engagement/machine-activity';
import { benchmarkBandsSchema } from './reports/report';

/**
 * Runtime configuration, parsed once and failing fast with the missing variable's name. The CDK
 * stack sets these variables (infra/aws); the local runtime builds the same object directly.
 */
export const configSchema = z.object({
  tableName: z.string().min(1),
  reportBucket: z.string().min(1),
  sendQueueUrl: z.string().min(1),
  projectBusName: z.string().min(1),
  configurationSetName: z.string().min(1),
  /** Where a new MQL's notification goes when no routing rule names an owner. */
  salesInbox: z.email(),
  /** Marketing's inbox: the quarterly criteria review goes to it and to `salesInbox`. */
  marketingInbox: z.email().optional(),
  /** Campaigns' From must be an address at this domain (the verified SES identity). @default the domain of `notificationFrom` */
  senderDomain: z.string().min(1).optional(),
  /** The From of notifications to sales. */
  notificationFrom: z.string().min(3),
  /** Public base of the unsubscribe endpoint, e.g. https://api.example.com/u */
  unsubscribeBaseUrl: z.url(),
  /** Mailto target in List-Unsubscribe, beside the HTTPS one. */
  unsubscribeMailto: z.email(),
  /**
   * HMAC key for unsubscribe tokens (from Secrets Manager on AWS, never in code or in clear in the
   * environment). Only the functions that sign or check tokens (api, sender) are given it; the
   * others run without, and a use case that needs it fails naming it.
   */
  unsubscribeSecret: z.string().min(32).optional(),
  /** Messages per second; SES GetAccount's MaxSendRate when left out (set it lower when other mail shares the account). */
  maxSendRate: z.number().positive().optional(),
  /** Sender tuning; each default suits Lambda and is documented on `SendDeps` (lib/sending/send-deps.ts). */
  sending: z
    .object({
      recipientsPerJob: z.number().int().min(1).max(1000),
      fanoutPageSize: z.number().int().min(1).max(1000),
      claimLeaseMs: z.number().int().positive(),
      statusCheckMs: z.number().int().positive(),
    })
    .partial()
    .default({}),
  /**
   * A pending campaign delta older than this is known abandoned (its writer has timed out) and may
   * be taken over. Must exceed the engagement function's timeout. @default 300000
   */
  inFlightGraceMs: z.number().int().positive().default(300_000),
  /** The AWS account that sends the campaigns: SES events naming another account are set aside. */
  accountId: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  /** Bounds on SES events (lib/engagement/verify-events.ts). */
  events: z.object({ windowDays: z.number().positive(), skewMs: z.number().int().nonnegative() }).partial().default({}),
  machineRules: machineRulesSchema.default(machineRulesSchema.parse({})),
  /** Industry bands reports place open and click-through rates in. @default GetResponse's (docs/reports.md) */
  reportBands: benchmarkBandsSchema.default(benchmarkBandsSchema.parse({})),
  /** The report function, which the API hands large on-demand reports to (set on the api function only). */
  reportFunctionName: z.string().min(1).optional(),
  /** Sales is alerted about an MQL only when its qualifying moment is within this many hours of now. @default 72 */
  freshnessHours: z.number().positive().default(72),
  /** On-demand reports up to this many recipients are written during the request. @default 25000 */
  syncReportRecipients: z.number().int().nonnegative().default(25_000),
});
export type AppConfig = z.infer<typeof configSchema>;

/** Environment variable names, shared with the CDK stack so the two cannot drift. */
export const envNames = {
  tableName: 'TABLE_NAME',
  reportBucket: 'REPORT_BUCKET',
  sendQueueUrl: 'SEND_QUEUE_URL',
  projectBusName: 'PROJECT_BUS_NAME',
  configurationSetName: 'CONFIGURATION_SET',
  salesInbox: 'SALES_INBOX',
  marketingInbox: 'MARKETING_INBOX',
  notificationFrom: 'NOTIFICATION_FROM',
  senderDomain: 'SENDER_DOMAIN',
  unsubscribeBaseUrl: 'UNSUBSCRIBE_BASE_URL',
  unsubscribeMailto: 'UNSUBSCRIBE_MAILTO',
  /** ARN of the Secrets Manager secret holding the unsubscribe HMAC key (read once per cold start). */
  unsubscribeSecretArn: 'UNSUBSCRIBE_SECRET_ARN',
  maxSendRate: 'MAX_SEND_RATE',
  /** Optional JSON of the report bands, e.g. {"openRate":{"low":0.2,"high":0.4}}. */
  reportBands: 'REPORT_BANDS',
  reportFunctionName: 'REPORT_FUNCTION_NAME',
  accountId: 'ACCOUNT_ID',
  /** Days after its send within which an SES event counts. @default 90 */
  eventWindowDays: 'EVENT_WINDOW_DAYS',
  /** Hours within which a qualification alerts sales (older ones are historical MQLs). */
  freshnessHours: 'LEAD_FRESHNESS_HOURS',
} as const;
