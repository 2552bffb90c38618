import { z } from 'zod';
import type { App } from '../../app';
import { logger } from '../observability';

const requestSchema = z.object({ campaignId: z.string().min(1).optional() }).loose();

/**
 * Writes reports to S3. Invoked with `{ campaignId }` on demand, or by the daily schedule with no
 * campaign, in which case every campaign of the first listing page is reported.
 */
export function makeReportHandler(app: App) {
  return async (event: unknown) => {
    const request = requestSchema.parse(event ?? {});
    const ids = request.campaignId ? [request.campaignId] : (await app.adapters.campaigns.list()).items.map((c) => c.campaignId);
    const results = [];
    for (const campaignId of ids) {
      results.push(await app.writeCampaignReport(campaignId));
      logger.info('report written', { campaignId });
    }
    return { reports: results };
  };
}
