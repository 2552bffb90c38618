import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { App, EventToSetAside } from '../../lib/app';
import { parseSesEvent } from '../../lib/engagement/ses-event';
import type { IncomingEvent } from '../../lib/engagement/record-engagement';
import { logger } from '../observability';

/**
 * Consumes the events queue (SES events routed by EventBridge). Events we cannot understand or that
 * do not match what was sent (lib/engagement/verify-events.ts) are set aside with their reason and
 * acknowledged: they never count and never fail the batch. Events whose send has no outcome recorded
 * yet, and those whose recording failed, come back (partial batch response). Send events that only
 * confirm the sender's record are acknowledged without a write: the recipient's next event records them.
 */
export function makeEngagementHandler(app: App) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const { incoming, letters, bodies } = parseRecords(event);
    const verified = incoming.length ? await app.verifyEvents(incoming) : { accepted: [], confirmed: [], setAside: [], waiting: [] };
    for (const { messageId, reason } of verified.setAside) {
      const body = bodies.get(messageId) ?? '';
      letters.push({ messageId, reason, source: 'events-queue', eventId: eventIdOf(body) ?? messageId, body });
    }
    const failures = new Set<string>(verified.waiting);
    if (letters.length) {
      // This log line is the EventsSetAside metric and its alarm (infra/aws/operations.ts: a metric filter on it).
      logger.warn('events set aside', { count: letters.length, reasons: [...new Set(letters.map((l) => l.reason))] });
      try {
        await app.setAsideEvents(letters.map(({ messageId: _, ...letter }) => letter));
      } catch (error) {
        logger.error('dead-letter write failed', { error: error as Error });
        for (const l of letters) failures.add(l.messageId);
      }
    }
    if (verified.accepted.length) {
      const { failedMessageIds } = await app.recordEngagement(verified.accepted);
      for (const id of failedMessageIds) failures.add(id);
    }
    if (failures.size) logger.info('batch items to retry', { count: failures.size, waiting: verified.waiting.length });
    return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** Each queue message parsed into an engagement event, or a letter naming why it cannot be. Letters carry the queue message id. */
function parseRecords(event: SQSEvent) {
  const incoming: IncomingEvent[] = [];
  const letters: (EventToSetAside & { messageId: string })[] = [];
  const bodies = new Map<string, string>();
  for (const record of event.Records) {
    let raw: unknown;
    try {
      raw = JSON.parse(record.body);
    } catch {
      letters.push({
        messageId: record.messageId,
        reason: 'body is not JSON',
        source: 'events-queue',
        eventId: record.messageId,
        body: record.body,
      });
      continue;
    }
    const parsed = parseSesEvent(raw);
    if (parsed.ok) {
      incoming.push({ messageId: record.messageId, event: parsed.event });
      bodies.set(record.messageId, record.body);
    } else {
      const eventId = parsed.rejected.eventId ?? record.messageId;
      letters.push({ messageId: record.messageId, reason: parsed.rejected.reason, source: 'events-queue', eventId, body: record.body });
    }
  }
  return { incoming, letters, bodies };
}

/** The EventBridge id of an event body, for tracing a set-aside event back to what SES published. */
function eventIdOf(body: string): string | undefined {
  const id = (JSON.parse(body) as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}
