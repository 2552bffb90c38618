import { z } from 'zod';
import { exclusionReasons } from '../../../lib/sending/audience';
import { campaignInputSchema, campaignStatuses } from '../../../lib/sending/campaign';
import { campaignPatchSchema } from '../../../lib/sending/campaigns';
import { idempotencyKeySchema } from '../../../lib/sending/send-control';
import { defineRoute, type Route } from '../contract';
import { campaignIdParams, cursorQuery, isoTime, page, pageQuery } from './common';
import { leadPageSchema } from './leads';
import { recipientStatuses } from '../../../lib/engagement/recipient-view';

/** Campaigns: drafts, the send and its controls, live figures, and the MQLs a campaign made. */

const exclusionCounts = z
  .partialRecord(z.enum(exclusionReasons), z.number().int())
  .meta({ id: 'ExclusionCounts', description: 'Audience members not mailed, by reason (docs/sending.md, "Audience").' });

export const campaignSchema = z
  .object({
    ...campaignInputSchema.shape,
    campaignId: z.string(),
    status: z.enum(campaignStatuses),
    profileVersion: z
      .number()
      .int()
      .optional()
      .meta({ description: 'The profile version when the campaign was created (campaigns made with a profile).' }),
    createdAt: isoTime,
    sendRequestedAt: isoTime.optional(),
    sendRequestKey: z
      .string()
      .optional()
      .meta({ description: 'Idempotency-Key of the send request that started sending (`request-…` when it sent none).' }),
    fanoutQueuedAt: isoTime.optional(),
    fanoutCompletedAt: isoTime.optional().meta({ description: 'When the last page of the audience was queued.' }),
    generation: z.number().int().optional().meta({ description: 'Incremented by each start and resume (docs/sending.md).' }),
    pausedReason: z
      .string()
      .optional()
      .meta({ description: 'Why the campaign paused, when the pipeline paused it (an SES account or configuration problem).' }),
    pausedAt: isoTime.optional(),
    cancelledAt: isoTime.optional(),
    completedAt: isoTime.optional().meta({ description: 'When every recipient had an outcome (status `sent`).' }),
    summary: z
      .object({
        recipients: z.number().int(),
        excluded: exclusionCounts,
        jobs: z.number().int(),
        sent: z.number().int().optional(),
        failed: z.number().int().optional(),
        excludedAtSend: exclusionCounts.optional(),
      })
      .optional()
      .meta({ description: 'Audience totals once the fan-out completed; final counts once sent.' }),
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
    metricsComplete: z.boolean().meta({
      description:
        'False while more engagement deltas wait than one read sums (a backlog): the metrics then count the oldest ones only, and each read folds what it summed, so a later read catches up (docs/engagement.md).',
    }),
    metrics: z.looseObject({
      sent: z
        .number()
        .int()
        .meta({ description: 'Messages SES accepted, counted from their SES events (the Send, or the first event after it).' }),
      delivered: z.number().int(),
      bounced: z.number().int(),
      complained: z.number().int(),
      unsubscribed: z.number().int(),
      uniqueOpens: z.number().int(),
      uniqueClicks: z.number().int(),
      totalOpens: z.number().int(),
      totalClicks: z.number().int(),
      human: z.looseObject({ uniqueOpens: z.number().int(), uniqueClicks: z.number().int() }),
      rates: z.looseObject({
        openRate: rate,
        clickRate: rate,
        clickToOpenRate: rate,
        human: z.looseObject({ openRate: rate, clickRate: rate }),
      }),
    }),
  })
  .meta({ id: 'CampaignStats', description: 'Definitions: docs/engagement.md.' });

/** Pause, resume and cancel: one route each, the same shape. */
const controlRoutes = (['pause', 'resume', 'cancel'] as const).map((action) =>
  defineRoute({
    method: 'POST',
    path: `/campaigns/{campaignId}/${action}`,
    operationId: `${action}Campaign`,
    summary: {
      pause: 'Pause sending: senders stop before their next call (within a second)',
      resume: 'Resume a paused campaign: only recipients without an outcome are sent to, nobody twice',
      cancel: 'Cancel a draft, sending or paused campaign for good',
    }[action],
    description:
      'Asking for the state the campaign is in already changes nothing (`changed: false`); a move its state does not allow is 409.',
    tags: ['campaigns'],
    params: campaignIdParams,
    responses: { 202: { description: 'The new (or unchanged) status.', schema: controlResultSchema } },
    errors: [404, 409],
    handle: async ({ app, params }) => {
      const { campaign, changed } = await app.controlSend(params.campaignId, action);
      return { status: 202, body: { campaignId: campaign.campaignId, status: campaign.status, changed } };
    },
  }),
);

const recipientPageSchema = page(
  z
    .object({
      contactId: z.string(),
      email: z.string().optional().meta({ description: 'Absent once the contact was erased.' }),
      status: z
        .enum(recipientStatuses)
        .meta({ description: 'The furthest the recipient got: unsubscribed, complained, bounced, delivered, sent.' }),
      messageId: z.string().optional().meta({ description: "SES's message id, as the sender recorded it." }),
      opened: z.boolean().meta({ description: 'Opened, or clicked (a click implies an open).' }),
      humanOpened: z.boolean(),
      clicked: z.boolean(),
      humanClicked: z.boolean(),
      opens: z.number().int(),
      clicks: z.number().int(),
      machineReasons: z.array(z.string()).meta({
        description: "Why some of its opens or clicks were judged a machine's: privacy-proxy, scanner-agent, too-fast, link-burst.",
      }),
    })
    .meta({ id: 'CampaignRecipient' }),
  'CampaignRecipientPage',
);

export const campaignRoutes: Route[] = [
  defineRoute({
    method: 'POST',
    path: '/campaigns',
    operationId: 'createCampaign',
    summary: 'Create a draft campaign',
    description:
      'Templates use Handlebars placeholders (`{{firstName}}`, `{{default company "your company"}}`); an unknown placeholder is refused here, each listed in `details`. Values are HTML-escaped in the HTML part. CR or LF in the subject or from address is refused (header injection).',
    tags: ['campaigns'],
    body: { json: campaignInputSchema },
    responses: { 201: { description: 'The draft.', schema: campaignSchema } },
    handle: async ({ app, body }) => ({ status: 201, body: await app.createCampaign(body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/campaigns',
    operationId: 'listCampaigns',
    summary: 'List campaigns, newest first',
    tags: ['campaigns'],
    query: pageQuery,
    responses: { 200: { description: 'A page of campaigns.', schema: campaignPageSchema } },
    handle: async ({ app, query }) => ({ status: 200, body: await app.listCampaigns(query.cursor, query.limit) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/campaigns/{campaignId}',
    operationId: 'getCampaign',
    summary: 'Get one campaign',
    tags: ['campaigns'],
    params: campaignIdParams,
    responses: { 200: { description: 'The campaign.', schema: campaignSchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.getCampaign(params.campaignId) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/campaigns/{campaignId}',
    operationId: 'updateCampaign',
    summary: 'Change a draft campaign',
    description: 'The fields given replace the stored ones; the result is validated as a whole. Only a draft can change (409 otherwise).',
    tags: ['campaigns'],
    params: campaignIdParams,
    body: { json: campaignPatchSchema },
    responses: { 200: { description: 'The changed draft.', schema: campaignSchema } },
    errors: [404, 409],
    handle: async ({ app, params, body }) => ({ status: 200, body: await app.updateDraftCampaign(params.campaignId, body) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/campaigns/{campaignId}/send',
    operationId: 'sendCampaign',
    summary: 'Start sending a draft campaign (once, whatever is repeated)',
    description:
      'Answers 202 as soon as the send is queued. With an `Idempotency-Key`, a repeat of the request (a retry after a timeout or a 5xx) gets the same answer with `replayed: true`, and completes a send whose queuing failed. Any other request for a campaign that is sending, sent, paused or cancelled gets 409: a campaign is sent once.',
    tags: ['campaigns'],
    params: campaignIdParams,
    headers: z.object({ 'idempotency-key': idempotencyKeySchema.optional() }),
    responses: { 202: { description: 'Sending started (or, replayed, had started).', schema: sendResultSchema } },
    errors: [404, 409, 503],
    handle: async ({ app, params, headers }) => {
      const { campaign, started, replayed } = await app.startSend(params.campaignId, headers['idempotency-key']);
      return {
        status: 202,
        body: { campaignId: campaign.campaignId, status: campaign.status, started, replayed, sendRequestedAt: campaign.sendRequestedAt },
        headers: replayed ? { 'idempotent-replayed': 'true' } : undefined,
      };
    },
  }),
  ...controlRoutes,
  defineRoute({
    method: 'GET',
    path: '/campaigns/{campaignId}/stats',
    operationId: 'getCampaignStats',
    summary: 'Live figures: sent, delivered, opens, clicks and rates, all and human',
    tags: ['campaigns'],
    params: campaignIdParams,
    responses: { 200: { description: 'The figures.', schema: statsSchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.campaignStats(params.campaignId) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/campaigns/{campaignId}/leads',
    operationId: 'listCampaignLeads',
    summary: "The campaign's MQLs, a page at a time",
    tags: ['leads'],
    params: campaignIdParams,
    query: cursorQuery,
    responses: { 200: { description: 'A page of leads.', schema: leadPageSchema } },
    handle: async ({ app, params, query }) => ({ status: 200, body: await app.listCampaignLeads(params.campaignId, query.cursor) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/campaigns/{campaignId}/recipients',
    operationId: 'listCampaignRecipients',
    summary: 'What happened to each recipient: status, SES message id, opens and clicks (all and human), why machine',
    tags: ['campaigns'],
    params: campaignIdParams,
    query: cursorQuery,
    responses: { 200: { description: 'A page of recipients.', schema: recipientPageSchema } },
    errors: [404],
    handle: async ({ app, params, query }) => ({ status: 200, body: await app.listCampaignRecipients(params.campaignId, query.cursor) }),
  }),
];
