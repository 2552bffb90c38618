import { z } from 'zod';
import { periodRequestSchema as reportPeriodSchema } from '../../../lib/reports/period';
import { defineRoute, type Route } from '../contract';
import { campaignIdParams, isoTime } from './common';

/** Reports (JSON, CSV, HTML on S3) of a campaign or of a period: docs/reports.md. */

const reportKeysSchema = z.object({
  json: z.string(),
  html: z.string(),
  recipientsCsv: z.string(),
  leadsCsv: z.string(),
  latest: z
    .string()
    .meta({ description: 'Rewritten by every report of this campaign or period, last: points at the newest complete one.' }),
});
export const reportResultSchema = z
  .object({
    status: z.enum(['written', 'writing']).meta({ description: '`written` during the request, or `writing` by the report function.' }),
    kind: z.enum(['campaign', 'period']),
    scope: z.union([
      z.object({ kind: z.literal('campaign'), campaignId: z.string() }),
      z.object({ kind: z.literal('period'), from: z.string(), to: z.string() }),
    ]),
    campaignId: z.string().optional(),
    generatedAt: isoTime.optional().meta({ description: 'When it was written (`written`).' }),
    requestedAt: isoTime
      .optional()
      .meta({ description: 'When it was handed to the report function (`writing`); its keys carry this time.' }),
    keys: reportKeysSchema.meta({ description: 'S3 object keys, date-stamped: no report overwrites another.' }),
    urls: reportKeysSchema.meta({ description: 'The same objects as URLs a person can open (presigned on AWS).' }),
    urlsExpireAt: isoTime.nullable().meta({ description: 'When the presigned URLs stop working; null when they do not expire (local).' }),
  })
  .meta({ id: 'ReportLocation' });
export const periodRequestSchema = reportPeriodSchema.meta({
  id: 'ReportPeriod',
  description: 'Whole UTC days, `to` included, at most 366 days; every campaign whose send was requested in them.',
});

const reportResponses = {
  201: { description: 'Written; the URLs work now.', schema: reportResultSchema },
  202: { description: 'Being written by the report function under these keys.', schema: reportResultSchema },
};

export const reportRoutes: Route[] = [
  defineRoute({
    method: 'POST',
    path: '/campaigns/{campaignId}/reports',
    operationId: 'writeCampaignReport',
    summary: 'Write the campaign report (JSON, CSV, HTML) to S3',
    description:
      'Written during the request (201) when the campaign has at most 25,000 recipients; larger ones are handed to the report function (202): the answer names the keys the files will have, and `latest` names this report once all of it is there (docs/reports.md).',
    tags: ['reports'],
    params: campaignIdParams,
    responses: reportResponses,
    errors: [404],
    handle: async ({ app, params }) => {
      const answer = await app.requestReport({ campaignId: params.campaignId });
      return { status: answer.status === 'written' ? 201 : 202, body: { ...answer, campaignId: params.campaignId } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/reports',
    operationId: 'writePeriodReport',
    summary: 'Write the report of every campaign sent in a period (whole UTC days, `to` included) to S3',
    description:
      'As for a campaign report: 201 when written during the request, 202 when handed to the report function (more than 25,000 recipients).',
    tags: ['reports'],
    // Dates are checked here; their order and the period's length by the use case (also 422).
    body: { json: periodRequestSchema },
    responses: reportResponses,
    errors: [422],
    handle: async ({ app, body }) => {
      const answer = await app.requestReport({ period: body });
      return { status: answer.status === 'written' ? 201 : 202, body: answer };
    },
  }),
];
