import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { App, EventToSetAside } from '../../lib/app';
import { parseSesEvent } from '../../lib/engagement/ses-event';
import type { IncomingEvent } from '../../lib/engagement/record-engagement';
import { logger } from '../observability';

/**
 * Consumes the events queue (SES events routed by EventBridge). Events we cannot understand are set
 * aside with their reason and acknowledged: they never count and never fail the batch. Only the
 * messages whose recording failed come back (partial batch response).
 */
export function makeEngagementHandler(app: App) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const incoming: IncomingEvent[] = [];
    const letters: EventToSetAside[] = [];
    const letterMessageIds: string[] = [];
    for (const record of event.Records) {
      let raw: unknown;
      try {
        raw = JSON.parse(record.body);
      } catch {
        letters.push({ reason: 'body is not JSON', source: 'events-queue', eventId: record.messageId, body: record.body });
        letterMessageIds.push(record.messageId);
        continue;
      }
      const parsed = parseSesEvent(raw);
      if (parsed.ok) incoming.push({ messageId: record.messageId, event: parsed.event });
      else {
        letters.push({
          reason: parsed.rejected.reason,
          source: 'events-queue',
          eventId: parsed.rejected.eventId ?? record.messageId,
          body: record.body,
        });
        letterMessageIds.push(record.messageId);
      }
    }
    const failures = new Set<string>();
    if (letters.length) {
      logger.warn('events set aside', { count: letters.length, reasons: [...new Set(letters.map((l) => l.reason))] });
      try {
        await app.setAsideEvents(letters);
      } catch (error) {
        logger.error('dead-letter write failed', { error: error as Error });
        for (const id of letterMessageIds) failures.add(id);
      }
    }
    if (incoming.length) {
      const { failedMessageIds } = await app.recordEngagement(incoming);
      for (const id of failedMessageIds) failures.add(id);
    }
    if (failures.size) logger.info('batch items to retry', { count: failures.size });
    return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
