import { z } from 'zod';
import { exclusionReasons } from '../../lib/sending/audience';
import { periodRequestSchema as reportPeriodSchema } from '../../lib/reports/period';
import { campaignInputSchema, campaignStatuses } from '../../lib/sending/campaign';
import { contactInputSchema, suppressionReasons } from '../../lib/contacts/contact';
import { leadStages } from '../../lib/qualification/lead';
import { profileInputSchema } from '../../lib/qualification/profile';
import { routingRulesSchema } from '../../lib/qualification/routing';

/**
 * Schemas of what the API answers, for the OpenAPI document (requests are validated with the
 * domain's own input schemas). Named with `.meta({ id })` so the document lists them once under
 * components and refers to them.
 */

const isoTime = z.string().meta({ description: 'ISO 8601 time (UTC)', example: '2026-03-02T14:00:00.000Z' });
const exclusionCounts = z
  .partialRecord(z.enum(exclusionReasons), z.number().int())
  .meta({ id: 'ExclusionCounts', description: 'Audience members not mailed, by reason (docs/sending.md, "Audience").' });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({
        description:
          'Stable, machine-readable: BAD_REQUEST, EMPTY_BODY, MALFORMED_JSON, INVALID_PARAMETER, INVALID_CURSOR, UNSUPPORTED_MEDIA_TYPE, PAYLOAD_TOO_LARGE, VALIDATION_FAILED, NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, CONCURRENT_UPDATE, TRANSIENT_DEPENDENCY, INTERNAL',
      }),
      message: z.string().meta({ description: 'For people: what is wrong and, where it helps, what to do.' }),
      details: z
        .array(
          z.object({
            in: z.enum(['path', 'query', 'header', 'body']),
            path: z.array(z.union([z.string(), z.number()])).meta({ description: 'zod field path within `in`, e.g. ["contacts", 3, "email"]' }),
            message: z.string(),
          }),
        )
        .meta({ description: 'One entry per problem found; empty when the message says it all.' }),
    }),
  })
  .meta({ id: 'Error', description: 'Every error answer has this shape; it never carries a stack trace or raw exception text.' });

export const contactSchema = z
  .object({
    ...contactInputSchema.shape,
    contactId: z.string().meta({ description: 'Derived from the lower-cased email (`ct_` + hash).', example: 'ct_Wn3v0eJ5m1Hq3Y6rVx2A' }),
    email: z.string().meta({ description: 'Lower-cased.' }),
    consent: z.boolean(),
    suppressed: z.enum(suppressionReasons).optional().meta({ description: 'Why the contact is no longer mailed; only an explicit re-subscription clears it.' }),
    suppressedAt: isoTime.optional(),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'Contact' });

const page = <T extends z.ZodType>(item: T, id: string) =>
  z
    .object({
      items: z.array(item),
      cursor: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent on the last page. Opaque.' }),
    })
    .meta({ id });

export const contactPageSchema = page(contactSchema, 'ContactPage');

export const importResultSchema = z
  .object({
    received: z.number().int().meta({ description: 'Rows read.' }),
    created: z.number().int().meta({ description: 'New contacts.' }),
    updated: z.number().int().meta({ description: 'Existing contacts updated (never re-subscribed, consent never cleared).' }),
    rejected: z.number().int().meta({ description: 'Rows not imported; each has at least one entry in `errors`.' }),
    errors: z.array(z.object({ row: z.number().int(), field: z.string(), reason: z.string() })).meta({
      description: 'Row-level problems, by row (1 = the first data row; CSV header not counted). At most 1,000 listed.',
    }),
    errorsTruncated: z.boolean().optional(),
  })
  .meta({ id: 'ImportResult' });

export const campaignSchema = z
  .object({
    ...campaignInputSchema.shape,
    campaignId: z.string(),
    status: z.enum(campaignStatuses),
    profileVersion: z.number().int().optional().meta({ description: 'The profile version when the campaign was created (campaigns made with a profile).' }),
    createdAt: isoTime,
    sendRequestedAt: isoTime.optional(),
    sendRequestKey: z.string().optional().meta({ description: 'Idempotency-Key of the send request that started sending (`request-…` when it sent none).' }),
    fanoutQueuedAt: isoTime.optional(),
    fanoutCompletedAt: isoTime.optional().meta({ description: 'When the last page of the audience was queued.' }),
    generation: z.number().int().optional().meta({ description: 'Incremented by each start and resume (docs/sending.md).' }),
    pausedReason: z.string().optional().meta({ description: 'Why the campaign paused, when the pipeline paused it (an SES account or configuration problem).' }),
    pausedAt: isoTime.optional(),
    cancelledAt: isoTime.optional(),
    completedAt: isoTime.optional().meta({ description: 'When every recipient had an outcome (status `sent`).' }),
    summary: z.object({
      recipients: z.number().int(),
      excluded: exclusionCounts,
      jobs: z.number().int(),
      sent: z.number().int().optional(),
      failed: z.number().int().optional(),
      excludedAtSend: exclusionCounts.optional(),
    }).optional().meta({ description: 'Audience totals once the fan-out completed; final counts once sent.' }),
    links: z.record(z.string(), z.string()).meta({ description: 'Link id → URL, from the HTML template.' }),
  })
  .meta({ id: 'Campaign' });

export const campaignPageSchema = page(campaignSchema, 'CampaignPage');

export const controlResultSchema = z
  .object({
    campaignId: z.string(),
    status: z.enum(campaignStatuses),
    changed: z.boolean().meta({ description: 'False when the campaign was in that state already.' }),
  })
  .meta({ id: 'SendControlResult' });

export const sendResultSchema = z
  .object({
    campaignId: z.string(),
    status: z.enum(campaignStatuses),
    started: z.boolean().meta({ description: 'This request, or the earlier one with the same Idempotency-Key, started the send.' }),
    replayed: z.boolean().meta({ description: 'This answer repeats an earlier request with the same Idempotency-Key.' }),
    sendRequestedAt: isoTime.optional(),
  })
  .meta({ id: 'SendResult' });

const rate = z.number().nullable().meta({ description: 'A ratio between 0 and 1; null when its denominator is 0.' });
export const statsSchema = z
  .object({
    campaignId: z.string(),
    status: z.enum(campaignStatuses),
    sending: z
      .object({
        recipients: z.number().int().optional().meta({ description: 'Audience after exclusions; known once the fan-out completed.' }),
        sent: z.number().int().meta({ description: 'Accepted by SES, counted per finished send job.' }),
        failed: z.number().int().meta({ description: 'Refused by SES for good.' }),
        excluded: exclusionCounts,
        excludedTotal: z.number().int(),
        remaining: z.number().int().optional(),
        pausedReason: z.string().optional(),
      })
      .meta({ description: "The send's progress from its own records (docs/sending.md)." }),
    metrics: z.looseObject({
      sent: z.number().int(),
      delivered: z.number().int(),
      bounced: z.number().int(),
      complained: z.number().int(),
      unsubscribed: z.number().int(),
      uniqueOpens: z.number().int(),
      uniqueClicks: z.number().int(),
      totalOpens: z.number().int(),
      totalClicks: z.number().int(),
      human: z.looseObject({ uniqueOpens: z.number().int(), uniqueClicks: z.number().int() }),
      rates: z.looseObject({ openRate: rate, clickRate: rate, clickToOpenRate: rate, human: z.looseObject({ openRate: rate, clickRate: rate }) }),
    }),
  })
  .meta({ id: 'CampaignStats', description: 'Definitions: docs/engagement.md and DESIGN.md §2.' });

export const profileSchema = z
  .object({ ...profileInputSchema.shape, profileId: z.string(), version: z.number().int(), createdAt: isoTime })
  .meta({ id: 'IdealCustomerProfile' });

export const leadSchema = z
  .looseObject({
    leadId: z.string(),
    contactId: z.string(),
    campaignId: z.string().optional().meta({ description: 'Absent when an engagement event posted through the API qualified the contact.' }),
    criteriaId: z.string().optional(),
    criteriaVersion: z.number().int().optional(),
    profileId: z.string(),
    profileVersion: z.number().int(),
    qualifiedAt: isoTime,
    reasons: z.array(z.string()),
    stage: z.string(),
    owner: z.string(),
    erasedAt: isoTime.optional(),
  })
  .meta({ id: 'Lead' });

export const leadPageSchema = page(leadSchema, 'LeadPage');

export const contactExportSchema = z
  .object({
    exportedAt: isoTime,
    contact: z.union([
      contactSchema,
      z
        .object({
          contactId: z.string(),
          erasedAt: isoTime,
          suppressed: z.literal('erased'),
          suppressedAt: isoTime,
          consent: z.literal(false),
          createdAt: isoTime,
          updatedAt: isoTime,
        })
        .meta({ id: 'ErasedContact', description: 'What is left of an erased contact: its id and dates.' }),
    ]),
    campaigns: z.array(
      z.object({
        campaignId: z.string(),
        campaignName: z.string(),
        subject: z.string(),
        send: z.object({ sentAt: isoTime.optional(), failedAt: isoTime.optional(), failure: z.string().optional() }).optional(),
        engagement: z
          .object({
            sentAt: isoTime.optional(),
            deliveredAt: isoTime.optional(),
            bounce: z.object({ type: z.string(), subType: z.string().optional() }).optional(),
            complainedAt: isoTime.optional(),
            unsubscribedAt: isoTime.optional(),
            opens: z.array(z.object({ at: isoTime, machine: z.string().optional() })),
            clicks: z.array(z.object({ at: isoTime, url: z.string(), machine: z.string().optional() })),
            erasedAt: isoTime.optional(),
          })
          .optional(),
      }),
    ),
    lead: leadSchema.nullable(),
    earlierLeads: z.array(leadSchema).meta({ description: 'Closed leads of earlier lifecycles (docs/qualification.md).' }),
    activities: z
      .array(
        z.looseObject({ key: z.string(), contactId: z.string(), kind: z.enum(['click', 'open', 'event']), at: isoTime, campaignId: z.string().optional() }),
      )
      .meta({ description: 'The scored activities qualification keeps: clicks, opens and engagement events.' }),
  })
  .meta({ id: 'ContactExport' });

export const erasureSchema = z
  .object({
    contactId: z.string(),
    erasedAt: isoTime,
    firstErasure: z.boolean().meta({ description: 'False when an earlier request had erased the contact already.' }),
    campaigns: z.number().int().meta({ description: "Campaigns whose records of the contact were emptied." }),
    leadAnonymised: z.boolean(),
    activitiesSealed: z.number().int().meta({ description: 'Activities of the qualification ledger reduced to key, kind, time and campaign.' }),
  })
  .meta({ id: 'Erasure' });

const reportKeysSchema = z.object({
  json: z.string(),
  html: z.string(),
  recipientsCsv: z.string(),
  leadsCsv: z.string(),
  latest: z.string().meta({ description: 'Rewritten by every report of this campaign or period, last: points at the newest complete one.' }),
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
    requestedAt: isoTime.optional().meta({ description: 'When it was handed to the report function (`writing`); its keys carry this time.' }),
    keys: reportKeysSchema.meta({ description: 'S3 object keys, date-stamped: no report overwrites another.' }),
    urls: reportKeysSchema.meta({ description: 'The same objects as URLs a person can open (presigned on AWS).' }),
    urlsExpireAt: isoTime.nullable().meta({ description: 'When the presigned URLs stop working; null when they do not expire (local).' }),
  })
  .meta({ id: 'ReportLocation' });
export const periodRequestSchema = reportPeriodSchema.meta({
  id: 'ReportPeriod',
  description: 'Whole UTC days, `to` included, at most 366 days; every campaign whose send was requested in them.',
});

// Qualification (docs/qualification.md). Answers are loose objects: the documented fields are
// listed, and fields added later do not break a client.
const scores = {
  fit: z.looseObject({ score: z.number(), threshold: z.number(), matched: z.array(z.looseObject({ rule: z.string(), points: z.number(), reason: z.string() })) }),
  engagement: z.looseObject({
    score: z.number(),
    threshold: z.number(),
    contributions: z.array(z.looseObject({ key: z.string(), at: isoTime, what: z.string(), points: z.number(), worth: z.number() })),
  }),
};
export const qualifiedLeadSchema = z
  .looseObject({
    leadId: z.string(),
    contactId: z.string(),
    lifecycle: z.number().int(),
    campaignId: z.string().optional(),
    criteriaId: z.string(),
    criteriaVersion: z.number().int(),
    qualifiedAt: isoTime,
    reasons: z.array(z.string()),
    ...scores,
    handRaiser: z.boolean(),
    trigger: z.looseObject({ kind: z.enum(['click', 'open', 'event']), at: isoTime }),
    stage: z.enum(leadStages),
    stageHistory: z.array(z.looseObject({ stage: z.enum(leadStages), at: isoTime })),
    rejectionReason: z.string().optional(),
    owner: z.string(),
    routedBy: z.string(),
  })
  .meta({ id: 'QualifiedLead' });

const criteriaDocumentOut = z.record(z.string(), z.unknown()).meta({ description: 'A criteria document (the request schema CriteriaInput, defaults filled in).' });
export const criteriaDraftSchema = z
  .looseObject({ criteriaId: z.string(), document: criteriaDocumentOut, revision: z.number().int(), publishedRevision: z.number().int().optional(), latestVersion: z.number().int().optional(), createdAt: isoTime, updatedAt: isoTime })
  .meta({ id: 'CriteriaDraft' });
export const criteriaDraftPageSchema = page(criteriaDraftSchema, 'CriteriaDraftPage');
export const criteriaVersionSchema = z
  .looseObject({ criteriaId: z.string(), version: z.number().int(), document: criteriaDocumentOut, fromRevision: z.number().int(), publishedAt: isoTime })
  .meta({ id: 'CriteriaVersion' });
export const criteriaSummarySchema = z
  .looseObject({
    criteriaId: z.string(),
    isDefault: z.boolean(),
    draft: z.looseObject({ revision: z.number().int(), updatedAt: isoTime, unpublishedChanges: z.boolean(), document: criteriaDocumentOut }),
    latestVersion: z.number().int().nullable(),
    versions: z.array(z.looseObject({ version: z.number().int(), publishedAt: isoTime, name: z.string() })),
  })
  .meta({ id: 'CriteriaSummary' });
export const criteriaVersionListSchema = z.looseObject({ criteriaId: z.string(), items: z.array(criteriaVersionSchema) }).meta({ id: 'CriteriaVersionList' });
export const publishResultSchema = z
  .looseObject({ version: criteriaVersionSchema, published: z.boolean().meta({ description: 'False when the draft had not changed since its last publication.' }), isDefault: z.boolean() })
  .meta({ id: 'PublishResult' });

const backtestRow = {
  delivered: z.number().int(),
  engagedContacts: z.number().int(),
  wouldQualify: z.number().int(),
  handRaisers: z.number().int(),
  mqlsToday: z.number().int(),
  acceptedBySales: z.number().int(),
  currentMqls: z.number().int(),
};
export const backtestResultSchema = z
  .looseObject({
    criteriaId: z.string(),
    version: z.union([z.literal('draft'), z.number().int()]),
    evaluatedAt: isoTime,
    campaigns: z.array(z.looseObject({ campaignId: z.string(), name: z.string(), ...backtestRow })),
    totals: z.looseObject(backtestRow),
    forecast: z
      .looseObject({
        monthlyTarget: z.number().int(),
        mqlsPerDelivered: z.number().nullable(),
        monthlyVolume: z.number().nullable(),
        volumeSource: z.enum(['given', 'last-30-days', 'unknown']),
        projectedMqlsPerMonth: z.number().nullable(),
        enough: z.boolean().nullable(),
        volumeNeeded: z.number().int().nullable(),
      })
      .optional(),
  })
  .meta({ id: 'BacktestResult' });

export const engagementEventResultSchema = z
  .looseObject({
    contactId: z.string(),
    activityKey: z.string(),
    recorded: z.boolean().meta({ description: 'False when this event id had been recorded already.' }),
    qualification: z.enum(['qualified', 'already-lead', 'not-qualified', 'customer', 'no-criteria']),
    lead: z.looseObject({ leadId: z.string(), stage: z.enum(leadStages), owner: z.string(), qualifiedAt: isoTime }).optional(),
  })
  .meta({ id: 'EngagementEventResult' });

export const leadWithHistorySchema = z
  .looseObject({
    lead: qualifiedLeadSchema,
    history: z.array(z.looseObject({ key: z.string(), kind: z.enum(['click', 'open', 'event']), at: isoTime, afterQualification: z.boolean() })),
  })
  .meta({ id: 'LeadWithHistory' });
export const feedbackResultSchema = z
  .looseObject({ lead: qualifiedLeadSchema, changed: z.boolean().meta({ description: 'False when the lead was already there (a repeated request).' }) })
  .meta({ id: 'FeedbackResult' });

const rateRow = { mqls: z.number().int(), accepted: z.number().int(), rejected: z.number().int(), open: z.number().int(), rate: z.number().nullable() };
export const qualificationRatesSchema = z
  .looseObject({
    campaignIds: z.array(z.string()),
    total: z.looseObject(rateRow),
    byCampaign: z.array(z.looseObject({ campaignId: z.string(), ...rateRow })),
    byCriteriaVersion: z.array(z.looseObject({ criteriaId: z.string(), version: z.number().int(), ...rateRow })),
    byRejectionReason: z.array(z.looseObject({ reason: z.string(), count: z.number().int(), share: z.number() })),
  })
  .meta({ id: 'QualificationRates' });

export const routingSchema = z
  .looseObject({ rules: routingRulesSchema, revision: z.number().int(), updatedAt: isoTime.nullable(), fallbackInbox: z.string().optional() })
  .meta({ id: 'Routing' });
