import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import type { App } from '../../lib/app';
import { logger } from '../observability';
import { isFollowUpRun, type followUpRunInput } from './follow-up-schedule';

const detailSchema = z.looseObject({
  lead: z.looseObject({ contactId: z.string().min(1), leadId: z.string().optional(), campaignId: z.string().optional() }),
});

/**
 * "Lead Qualified" from the project bus → one email to the lead's owner. Errors make EventBridge retry.
 * The follow-up schedule's input (`followUpRunInput`) → every due reminder and escalation, each sent
 * once however runs overlap (lib/qualification/follow-up.ts); a failed run is retried by the schedule.
 */
export function makeNotifierHandler(app: App) {
  return async (event: EventBridgeEvent<string, unknown> | typeof followUpRunInput): Promise<void> => {
    if (isFollowUpRun(event)) return runFollowUps(app);
    const parsed = detailSchema.safeParse(event.detail);
    if (!parsed.success) {
      // Retrying cannot fix it: set it aside with the reason instead of failing again and again.
      const reason = `malformed Lead Qualified event: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
      logger.warn('notification event set aside', { eventId: event.id, reason });
      await app.setAsideEvents([{ reason, source: 'notifier', eventId: event.id, body: JSON.stringify(event).slice(0, 4000) }]);
      return;
    }
    const detail = parsed.data;
    const outcome = await app.notifySales(detail.lead.contactId, detail.lead.leadId);
    const keys = { contactId: detail.lead.contactId, leadId: detail.lead.leadId, campaignId: detail.lead.campaignId, outcome };
    if (outcome === 'sent-unrecorded') logger.error('sales notification sent but not recorded on the lead', keys);
    else logger.info('sales notification', keys);
  };
}

async function runFollowUps(app: App): Promise<void> {
  const outcomes = await app.sendDueFollowUps((due, error) =>
    logger.error('follow-up failed; the next run tries it again', { contactId: due.contactId, kind: due.kind, error: error as Error }),
  );
  // The FollowUpsFailing alarm counts `outcomes.failed` of this line (infra/aws/alarm-sources.ts).
  if (outcomes.failed) logger.error('follow-ups run with failures', { outcomes });
  else if (outcomes['sent-unrecorded']) logger.error('follow-ups sent but not recorded on their leads', { outcomes });
  else logger.info('follow-ups run', { outcomes });
}
