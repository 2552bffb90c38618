import { z } from 'zod';
import type { App } from '../../lib/app';
import { reportStampSchema } from '../../lib/reports/job';
import { logger } from '../observability';

/**
 * What the report function accepts: `{ "campaignId": … }` for one campaign, `{ "from", "to" }` for a
 * period (validated by the use case), either with the `stamp` the API fixed its keys with (a
 * large on-demand report), `{}` — the daily schedule's input — for the daily run, or
 * `{ "review": "quarterly" }` — the quarterly schedule's — for the criteria reviews.
 */
const requestSchema = z.union([
  z.object({ review: z.literal('quarterly') }).strict(),
  z.object({ campaignId: z.string().min(1), stamp: reportStampSchema.optional() }).strict(),
  z.object({ from: z.string(), to: z.string(), stamp: reportStampSchema.optional() }).strict(),
  z.object({}).strict(),
]);

export class BadReportRequestError extends Error {
  override name = 'BadReportRequestError';
}

/** Writes reports to S3: on demand (one campaign or a period) or the daily run. */
export function makeReportHandler(app: App) {
  return async (event: unknown) => {
    const parsed = requestSchema.safeParse(event ?? {});
    if (!parsed.success) {
      throw new BadReportRequestError(
        'report request must be {} (daily run), { "review": "quarterly" } (criteria reviews), { "campaignId": "…" } or { "from": "YYYY-MM-DD", "to": "YYYY-MM-DD" }, optionally with the "stamp" the API set',
      );
    }
    const request = parsed.data;
    if ('review' in request) {
      const { period, reviews } = await app.runQuarterlyReviews();
      logger.info('criteria reviews written', {
        period,
        criteriaIds: reviews.map((r) => r.criteriaId),
        mailed: reviews.flatMap((r) => r.mailed.filter((m) => m.sent)).length,
      });
      return { period, reviews };
    }
    if ('campaignId' in request) {
      const { kind, generatedAt, keys } = await app.writeCampaignReport(request.campaignId, request.stamp);
      logger.info('report written', { kind, campaignId: request.campaignId, generatedAt });
      return { kind, generatedAt, keys };
    }
    if ('from' in request) {
      const { kind, scope, generatedAt, keys } = await app.writePeriodReport({ from: request.from, to: request.to }, request.stamp);
      logger.info('report written', { kind, scope, generatedAt });
      return { kind, generatedAt, keys };
    }
    const index = await app.writeDailyReports();
    logger.info('daily reports written', { period: index.period, campaigns: Object.keys(index.campaigns).length });
    return index;
  };
}
