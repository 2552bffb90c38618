/**
 * How the engagement function consumes the events queue, defined once: the CDK stack's SQS event
 * source and the local runtime's in-process queue both use it.
 *
 * 500 events a batch: each batch pays a few fixed steps in sequence (the recipients' batch read,
 * the listeners' look-ups, the campaign delta write) around its per-recipient writes, so larger
 * batches keep DynamoDB busier per invocation (docs/benchmarks.md: events/s ÷ raw writes/s went
 * from about 0.76 at 100 to about 0.85 at 500) and a recipient's several events share one write
 * more often. SQS allows up to 10,000 with a batching window; Lambda trims a batch to its 6 MB
 * payload limit (about 2,000 SES events of 2.5–3.5 KB), and 500 events take well under a second.
 */
export const engagementBatchSize = 500;

/**
 * Receives of an events-queue message before it goes to the dead-letter queue. Malformed events
 * never get here (the handler sets them aside at once with their reason), so a message is only
 * handed back for a passing failure (throttling, an unanswered write): ten receives, each after
 * the visibility timeout (about 6 minutes), ride out an hour of trouble rather than half of one.
 */
export const eventsMaxReceiveCount = 10;
