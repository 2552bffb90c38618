/**
 * Every number the cost model takes from outside the benchmark's own measurements, in one place,
 * each with where it comes from. `npm run bench` prints them beside the figures they produce.
 */
export const assumptions = {
  /**
   * SES events per email, by type: a typical B2B newsletter (2 % bounce, half an Open event per email
   * counting privacy-proxy fetches, 4 clicks per 100 emails, 1 complaint per 1,000). The log the cost
   * section measures is generated from this mix (bench/mix-log.ts), so it is measured, not scaled.
   */
  eventsPerEmail: { send: 1, delivery: 0.98, bounce: 0.02, open: 0.5, click: 0.04, complaint: 0.001 },
  /**
   * SQS requests per message on a queue Lambda consumes: the producer's SendMessage(Batch) is counted
   * by the local queue; Lambda's poller receives and deletes up to 10 messages a request
   * (ReceiveMessage and DeleteMessageBatch), so 0.2 a message on top. EventBridge → SQS is one
   * SendMessage per event (a target gets each event on its own).
   */
  sqsConsumerRequestsPerMessage: 0.1 + 0.1,
  /** Lambda memory, as infra/aws/stateless-resources.ts and pipeline-function.ts configure it (MB). */
  lambdaMemoryMb: { engagement: 512, sender: 512, naive: 512 },
  /**
   * CloudWatch Logs bytes per invocation: the platform's START/END/REPORT lines (~350 B) and, for
   * our handlers, one Powertools summary line and one EMF metrics line per invocation (~900 B).
   */
  logBytesPerInvocation: { ours: 350 + 900, naive: 350 + 300 },
  /** X-Ray (tracing is ACTIVE on every function): Lambda samples the first request each second and 5 % after. */
  xraySampledShare: 0.05,
  /**
   * Months the model charges DynamoDB storage for what an email leaves in the table (measured bytes
   * per email; billed per GB-month). Engagement items carry no TTL today, so they stay until erased;
   * the model charges the first year, the reports' retention (docs/reports.md).
   */
  storageMonths: 12,
  /** One campaign per this many emails: each has a report (1 GB, measured seconds) and a few S3 PUTs. */
  emailsPerCampaign: 10_000,
  /** Lambda seconds of the 10,000-recipient report (docs/benchmarks.md, last run). */
  reportSecondsPer10000: 0.9,
  reportMemoryMb: 1024,
  /** Objects a report writes (report.json, report.html, recipients.csv, leads.csv, latest.json). */
  reportPutsPerCampaign: 5,
} as const;

export type EventMixType = keyof typeof assumptions.eventsPerEmail;
export const eventMixTypes = Object.keys(assumptions.eventsPerEmail) as EventMixType[];
