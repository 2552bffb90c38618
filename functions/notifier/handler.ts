import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import type { App } from '../../lib/app';
import { logger } from '../observability';

const detailSchema = z.looseObject({
  lead: z.looseObject({ contactId: z.string().min(1), leadId: z.string().optional(), campaignId: z.string().optional() }),
});

/** "Lead Qualified" from the project bus → one email to the lead's owner. Errors make EventBridge retry. */
export function makeNotifierHandler(app: App) {
  return async (event: EventBridgeEvent<string, unknown>): Promise<void> => {
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
