import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import type { App } from '../../app';
import { logger } from '../observability';

const detailSchema = z.looseObject({ lead: z.looseObject({ contactId: z.string().min(1), campaignId: z.string() }) });

/** "Lead Qualified" from the project bus → one email to the lead's owner. Errors make EventBridge retry. */
export function makeNotifierHandler(app: App) {
  return async (event: EventBridgeEvent<string, unknown>): Promise<void> => {
    const detail = detailSchema.parse(event.detail);
    const outcome = await app.notifySales(detail.lead.contactId);
    logger.info('sales notification', { contactId: detail.lead.contactId, campaignId: detail.lead.campaignId, outcome });
  };
}
