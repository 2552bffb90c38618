import { z } from 'zod';

/**
 * A report handed to the report function: what to report, and the stamp its keys are made from,
 * fixed when it was requested so the caller can be told the keys before the files exist.
 */
export const reportStampSchema = z
  .object({
    at: z.iso.datetime({ offset: false }),
    /** Six hex digits (see ReportDeps.uniqueSuffix): nothing else can reach an object key. */
    suffix: z.string().regex(/^[0-9a-f]{6}$/),
  })
  .strict();
export type ReportStamp = z.infer<typeof reportStampSchema>;

export type ReportRequest = { campaignId: string } | { from: string; to: string };

export interface ReportJob {
  request: ReportRequest;
  stamp: ReportStamp;
}
