import { z } from 'zod';
import { campaignInputSchema } from '../../lib/sending/campaign';
import { contactInputSchema } from '../../lib/contacts/contact';
import { delimiterNames, INTEREST_SEPARATOR, type DelimiterName } from '../../lib/contacts/contact-import';
import { profileInputSchema } from '../../lib/qualification/profile';
import { campaignPatchSchema } from '../../lib/sending/campaigns';
import { idempotencyKeySchema } from '../../lib/sending/send-control';
import { contactListQuerySchema, importRequestSchema, MAX_IMPORT_ROWS } from '../../lib/contacts/contacts';
import { criteriaDocumentSchema } from '../../lib/qualification/criteria';
import { routingRulesSchema } from '../../lib/qualification/routing';
import { feedbackRequestSchema } from '../../lib/qualification/stages';
import { backtestRequestSchema } from '../../lib/qualification/backtest';
import { editDraftQuerySchema } from '../../lib/qualification/manage-criteria';
import { engagementEventRequestSchema } from '../../lib/qualification/record-activity';
import { putRoutingQuerySchema } from '../../lib/qualification/manage-routing';
import { ValidationError } from '../../lib/shared/errors';
import { defineRoute, type Route } from './contract';
import {
  campaignPageSchema,
  campaignSchema,
  contactExportSchema,
  contactPageSchema,
  contactSchema,
  erasureSchema,
  importResultSchema,
  leadPageSchema,
  profileSchema,
  backtestResultSchema,
  criteriaDraftPageSchema,
  criteriaDraftSchema,
  criteriaSummarySchema,
  criteriaVersionListSchema,
  criteriaVersionSchema,
  engagementEventResultSchema,
  feedbackResultSchema,
  leadWithHistorySchema,
  publishResultSchema,
  qualificationRatesSchema,
  routingSchema,
  periodRequestSchema,
  reportResultSchema,
  controlResultSchema,
  sendResultSchema,
  statsSchema,
} from './schemas';
import { invalidLinkPage, unsubscribeConfirmPage, unsubscribedPage } from './unsubscribe-page';

/**
 * The route table: every route of the HTTP API, with the schemas that validate its requests and
 * document it (`GET /openapi.json`, docs/openapi.json). Adding a route is adding one entry here:
 * its handler parses nothing itself, calls one use case and says what to answer.
 */

const idPattern = /^[A-Za-z0-9_-]{1,128}$/;
const contactIdParams = z.object({
  contactId: z
    .string()
    .regex(/^ct_[A-Za-z0-9_-]{1,64}$/, 'must be a contact id such as ct_Wn3v0eJ5m1Hq3Y6rVx2A; to find a contact by email, use GET /contacts?email=…')
    .meta({ description: 'The contact id (`ct_…`).' }),
});
const campaignIdParams = z.object({ campaignId: z.string().regex(idPattern, 'must be a campaign id such as cmp_…').meta({ description: 'The campaign id (`cmp_…`).' }) });
const criteriaIdParams = z.object({ criteriaId: z.string().regex(idPattern, 'must be a criteria id such as crit_… or icp_…').meta({ description: 'The criteria set id.' }) });
const unsubscribeParams = z.object({ token: z.string().min(1).max(512).meta({ description: 'The signed token from the List-Unsubscribe link.' }) });
const profileIdParams = z.object({ profileId: z.string().regex(idPattern, 'must be a profile id such as icp_…') });
const pageQuery = z
  .object({
    cursor: z.string().min(1).max(4096).optional().meta({ description: 'The `cursor` of the previous page, as given; opaque.' }),
    limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'Items per page (1–100).' }),
  })
  .strict();
const cursorQuery = z.object({ cursor: z.string().min(1).max(4096).optional().meta({ description: 'The `cursor` of the previous page; opaque.' }) }).strict();

const importQuery = z
  .object({
    delimiter: z
      .enum(Object.keys(delimiterNames) as [DelimiterName, ...DelimiterName[]])
      .default('comma')
      .meta({ description: 'Field delimiter of a `text/csv` body.' }),
  })
  .strict();

const csvFormat = `A header row naming contact fields (case, spaces, \`_\` and \`-\` ignored: \`First Name\` is \`firstName\`), then one contact per row; RFC 4180 quoting (commas, quotes and newlines inside double quotes); a UTF-8 BOM is skipped. \`consent\` and \`contactMe\`: yes/no, true/false or 1/0. \`interests\`: categories separated by \`${INTEREST_SEPARATOR}\`. An empty cell changes nothing. At most ${MAX_IMPORT_ROWS} data rows and 1 MiB per request.`;

export const routes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This API as an OpenAPI 3.1 document',
    tags: ['meta'],
    responses: { 200: { description: 'The OpenAPI document (the same as docs/openapi.json).', schema: z.record(z.string(), z.unknown()) } },
    handle: async () => {
      const { openApiDocument } = await import('./openapi');
      return { status: 200, body: openApiDocument() };
    },
  }),

  // Contacts
  defineRoute({
    method: 'POST',
    path: '/contacts/import',
    operationId: 'importContacts',
    summary: 'Import contacts (upsert by email; non-destructive; row-level errors)',
    description:
      'Each row is validated on its own: good rows are imported, bad ones listed in `errors` with row, field and reason. Upserts by lower-cased email. Never re-subscribes an unsubscribed, bounced or complained contact, never clears consent, never clears a value the row leaves out, and refuses contacts erased at their request. When an email repeats, its last valid row is imported and the earlier ones are rejected. A file-level problem (unreadable CSV, unknown column, no data rows) rejects the whole request and writes nothing.',
    tags: ['contacts'],
    query: importQuery,
    body: {
      json: z
        .object({
          // Rows are validated one by one (a bad row is reported, not fatal), so the schema takes any
          // value; the document points readers at the row's real schema.
          contacts: importRequestSchema.shape.contacts.meta({ override: ({ jsonSchema }) => void (jsonSchema.items = { $ref: '#/components/schemas/ContactInput' }) }),
        })
        .strict(),
      csv: { description: csvFormat },
      description: `JSON \`{ "contacts": [ContactInput, …] }\` (at most ${MAX_IMPORT_ROWS}), or a CSV document.`,
    },
    responses: { 200: { description: 'What was imported, updated and rejected.', schema: importResultSchema } },
    handle: async ({ app, body, query }) => ({
      status: 200,
      body:
        body.type === 'csv'
          ? await app.importContactsCsv(body.text, { delimiter: delimiterNames[query.delimiter] })
          : await app.importContacts(body.data.contacts),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/contacts',
    operationId: 'listContacts',
    summary: 'List contacts, filtered, a page at a time',
    description:
      'Filters combine (all must hold) and match exactly. `email` is a direct look-up. Otherwise the contact index is read in order with the filters applied to it, at most 2,000 entries per page, so a filtered page may hold fewer than `limit` contacts and still have a `cursor`: follow it until it is absent. A cursor is valid only with the filters it was issued for.',
    tags: ['contacts'],
    query: contactListQuerySchema,
    responses: { 200: { description: 'A page of contacts.', schema: contactPageSchema } },
    handle: async ({ app, query }) => ({ status: 200, body: await app.listContacts(query) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/contacts/{contactId}',
    operationId: 'getContact',
    summary: 'Get one contact',
    tags: ['contacts'],
    params: contactIdParams,
    responses: { 200: { description: 'The contact.', schema: contactSchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.getContact(params.contactId) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/contacts/{contactId}/export',
    operationId: 'exportContact',
    summary: "Export everything held about a contact, its engagement included (subject access request)",
    tags: ['contacts'],
    params: contactIdParams,
    responses: { 200: { description: 'The contact, its send records and engagement per campaign, and its lead.', schema: contactExportSchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.exportContact(params.contactId) }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/contacts/{contactId}',
    operationId: 'eraseContact',
    summary: "Erase a contact's data (right to erasure); campaign figures stay as they were",
    description:
      'The contact becomes a tombstone holding only its id (it is never listed, mailed or imported again), its engagement in every campaign is emptied, and its lead is stripped of reasons and clicked link. Counters already made are kept, and later SES events for it count nothing. Idempotent: repeating the request completes an erasure that failed half-way.',
    tags: ['contacts'],
    params: contactIdParams,
    responses: { 200: { description: 'What was erased.', schema: erasureSchema } },
    errors: [404, 409, 503],
    handle: async ({ app, params }) => ({ status: 200, body: await app.eraseContact(params.contactId) }),
  }),

  // Ideal customer profiles (the criteria language and its versions deepen in the qualification issue)
  defineRoute({
    method: 'POST',
    path: '/profiles',
    operationId: 'createProfile',
    summary: 'Create an ideal customer profile',
    tags: ['profiles'],
    body: { json: profileInputSchema },
    responses: { 201: { description: 'The profile, version 1.', schema: profileSchema } },
    handle: async ({ app, body }) => ({ status: 201, body: await app.createProfile(body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/profiles/{profileId}',
    operationId: 'getProfile',
    summary: "Get a profile's latest version",
    tags: ['profiles'],
    params: profileIdParams,
    responses: { 200: { description: 'The profile.', schema: profileSchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.getProfile(params.profileId) }),
  }),

  // Campaigns
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
  ...(['pause', 'resume', 'cancel'] as const).map((action) =>
    defineRoute({
      method: 'POST',
      path: `/campaigns/{campaignId}/${action}`,
      operationId: `${action}Campaign`,
      summary: {
        pause: 'Pause sending: senders stop before their next call (within a second)',
        resume: 'Resume a paused campaign: only recipients without an outcome are sent to, nobody twice',
        cancel: 'Cancel a draft, sending or paused campaign for good',
      }[action],
      description: 'Asking for the state the campaign is in already changes nothing (`changed: false`); a move its state does not allow is 409.',
      tags: ['campaigns'],
      params: campaignIdParams,
      responses: { 202: { description: 'The new (or unchanged) status.', schema: controlResultSchema } },
      errors: [404, 409],
      handle: async ({ app, params }) => {
        const { campaign, changed } = await app.controlSend(params.campaignId, action);
        return { status: 202, body: { campaignId: campaign.campaignId, status: campaign.status, changed } };
      },
    }),
  ),
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
    handle: async ({ app, params, query }) => ({ status: 200, body: await app.adapters.leads.listByCampaign(params.campaignId, query.cursor) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/campaigns/{campaignId}/reports',
    operationId: 'writeCampaignReport',
    summary: 'Write the campaign report (JSON, CSV, HTML) to S3',
    description:
      'Written during the request (201) when the campaign has at most 25,000 recipients; larger ones are handed to the report function (202): the answer names the keys the files will have, and `latest` names this report once all of it is there (docs/reports.md).',
    tags: ['reports'],
    params: campaignIdParams,
    responses: {
      201: { description: 'Written; the URLs work now.', schema: reportResultSchema },
      202: { description: 'Being written by the report function under these keys.', schema: reportResultSchema },
    },
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
    description: 'As for a campaign report: 201 when written during the request, 202 when handed to the report function (more than 25,000 recipients).',
    tags: ['reports'],
    // Dates are checked here; their order and the period's length by the use case (also 422).
    body: { json: periodRequestSchema },
    responses: {
      201: { description: 'Written; the URLs work now.', schema: reportResultSchema },
      202: { description: 'Being written by the report function under these keys.', schema: reportResultSchema },
    },
    errors: [422],
    handle: async ({ app, body }) => {
      const answer = await app.requestReport({ period: body });
      return { status: answer.status === 'written' ? 201 : 202, body: answer };
    },
  }),

  // Qualification (docs/qualification.md): criteria drafts and immutable versions, backtests,
  // engagement events from outside email, sales feedback, MQL → SQL rates, routing.
  defineRoute({
    method: 'POST',
    path: '/criteria',
    operationId: 'createCriteria',
    summary: 'Create a criteria set; the body becomes its draft',
    description: 'The criteria language: fit rules (equals, in, range, pattern, exists; weights; required), exclusions, engagement points (clicks, opens, link intents, engagement events), decay, thresholds and the hand-raiser fast track. Publish the draft to use it.',
    tags: ['qualification'],
    body: { json: criteriaDocumentSchema },
    responses: { 201: { description: 'The new set, its draft at revision 1.', schema: criteriaDraftSchema } },
    handle: async ({ app, body }) => ({ status: 201, body: await app.createCriteria(body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/criteria',
    operationId: 'listCriteria',
    summary: 'List criteria sets, newest first',
    tags: ['qualification'],
    query: cursorQuery,
    responses: { 200: { description: 'A page of criteria sets (their drafts).', schema: criteriaDraftPageSchema } },
    handle: async ({ app, query }) => ({ status: 200, body: await app.listCriteria(query.cursor) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/criteria/{criteriaId}',
    operationId: 'getCriteria',
    summary: 'A criteria set: its draft and its published versions',
    tags: ['qualification'],
    params: criteriaIdParams,
    responses: { 200: { description: 'The set.', schema: criteriaSummarySchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.getCriteria(params.criteriaId) }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/criteria/{criteriaId}/draft',
    operationId: 'editCriteriaDraft',
    summary: 'Replace the draft (published versions never change)',
    description: 'With `revision`, only if the draft is still at that revision (409 otherwise: someone edited it since).',
    tags: ['qualification'],
    params: criteriaIdParams,
    query: editDraftQuerySchema,
    body: { json: criteriaDocumentSchema },
    responses: { 200: { description: 'The draft at its new revision.', schema: criteriaDraftSchema } },
    errors: [404, 409],
    handle: async ({ app, params, query, body }) => ({ status: 200, body: await app.editCriteriaDraft(params.criteriaId, body, query) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/criteria/{criteriaId}/publish',
    operationId: 'publishCriteria',
    summary: 'Publish the draft as the next immutable version',
    description: 'A draft unchanged since its last publication answers that version (200, `published: false`): a retried publish never makes two. The first set published becomes the default (it evaluates engagement events posted with no campaign); `makeDefault=true` moves the default here.',
    tags: ['qualification'],
    params: criteriaIdParams,
    query: z.object({ makeDefault: z.enum(['true', 'false']).default('false').meta({ description: 'Make this the default set.' }) }).strict(),
    responses: {
      201: { description: 'Published a new version.', schema: publishResultSchema },
      200: { description: 'Nothing new to publish: the latest version.', schema: publishResultSchema },
    },
    errors: [404, 409],
    handle: async ({ app, params, query }) => {
      const result = await app.publishCriteria(params.criteriaId, { makeDefault: query.makeDefault === 'true' });
      return { status: result.published ? 201 : 200, body: result };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/criteria/{criteriaId}/versions',
    operationId: 'listCriteriaVersions',
    summary: 'Published versions of a criteria set, oldest first',
    tags: ['qualification'],
    params: criteriaIdParams,
    responses: { 200: { description: 'The versions.', schema: criteriaVersionListSchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.listCriteriaVersions(params.criteriaId) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/criteria/{criteriaId}/versions/{version}',
    operationId: 'getCriteriaVersion',
    summary: 'One published version',
    tags: ['qualification'],
    params: criteriaIdParams.extend({ version: z.coerce.number().int().positive().meta({ description: 'The version number (1, 2, …).' }) }),
    responses: { 200: { description: 'The version.', schema: criteriaVersionSchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.getCriteriaVersion(params.criteriaId, params.version) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/criteria/{criteriaId}/backtest',
    operationId: 'backtestCriteria',
    summary: 'Evaluate the draft (or a version) against recorded engagement of up to 20 campaigns',
    description: 'Per campaign: the MQLs the criteria would have produced, hand-raisers among them, how many are MQLs today and how many sales accepted; with `monthlyTarget`, whether the sending volume produces it.',
    tags: ['qualification'],
    params: criteriaIdParams,
    body: { json: backtestRequestSchema },
    responses: { 200: { description: 'The backtest.', schema: backtestResultSchema } },
    errors: [404],
    handle: async ({ app, params, body }) => ({ status: 200, body: await app.backtestCriteria(params.criteriaId, body) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/contacts/{contactId}/engagement',
    operationId: 'recordEngagementEvent',
    summary: 'Record an engagement event from outside email (webinar attended, pricing page viewed, …)',
    description: 'Scored by the criteria\'s `engagement.events`; may qualify the contact at once. With `eventId`, posting it again records nothing new (200).',
    tags: ['qualification'],
    params: contactIdParams,
    body: { json: engagementEventRequestSchema },
    responses: {
      201: { description: 'Recorded, and evaluated.', schema: engagementEventResultSchema },
      200: { description: 'Recorded before; evaluated again.', schema: engagementEventResultSchema },
    },
    errors: [404],
    handle: async ({ app, params, body }) => {
      const result = await app.recordEngagementEvent(params.contactId, body);
      return { status: result.recorded ? 201 : 200, body: result };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/leads/{contactId}',
    operationId: 'getLead',
    summary: "A contact's current lead and its history (every scored activity)",
    tags: ['leads'],
    params: contactIdParams,
    responses: { 200: { description: 'The lead and its history.', schema: leadWithHistorySchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.getLead(params.contactId) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/leads/{contactId}/feedback',
    operationId: 'giveLeadFeedback',
    summary: 'Sales feedback: accept, reject with a reason, later stages, reopen',
    description: 'Stages move forward only (mql → sql → meeting → proposal → won or lost); going back needs `reopen`. Repeating what is already true changes nothing.',
    tags: ['leads'],
    params: contactIdParams,
    body: { json: feedbackRequestSchema },
    responses: { 200: { description: 'The lead after the feedback.', schema: feedbackResultSchema } },
    errors: [404, 409],
    handle: async ({ app, params, body }) => ({ status: 200, body: await app.leadFeedback(params.contactId, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/qualification/rates',
    operationId: 'getQualificationRates',
    summary: 'MQL → SQL rates of campaigns, per campaign, criteria version and rejection reason',
    tags: ['leads'],
    query: z
      .object({
        campaignIds: z
          .string()
          .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
          .pipe(z.array(z.string().regex(idPattern)).min(1).max(100))
          .meta({ description: 'Comma-separated campaign ids (1–100).' }),
      })
      .strict(),
    responses: { 200: { description: 'The rates.', schema: qualificationRatesSchema } },
    handle: async ({ app, query }) => ({ status: 200, body: await app.qualificationRates(query.campaignIds) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/routing',
    operationId: 'getRouting',
    summary: 'Who gets new MQLs: contact owner, territories with round-robin teams, default inbox',
    tags: ['leads'],
    responses: { 200: { description: 'The routing rules.', schema: routingSchema } },
    handle: async ({ app }) => ({ status: 200, body: await app.getRouting() }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/routing',
    operationId: 'putRouting',
    summary: 'Replace the routing rules',
    tags: ['leads'],
    query: putRoutingQuerySchema,
    body: { json: routingRulesSchema },
    responses: { 200: { description: 'The rules at their new revision.', schema: routingSchema } },
    errors: [409],
    handle: async ({ app, query, body }) => ({ status: 200, body: await app.putRouting(body, query) }),
  }),

  // Unsubscribe (RFC 8058): the mailbox provider POSTs `List-Unsubscribe=One-Click` and that
  // unsubscribes at once; a GET (a person, or a scanner that follows every link) only shows a page
  // whose button POSTs (unsubscribe-page.ts, docs/sending.md). Both idempotent; the token is
  // HMAC-signed, so no IAM; a forged or altered token is 400 and changes nothing.
  defineRoute({
    method: 'POST',
    path: '/u/{token}',
    operationId: 'unsubscribeOneClick',
    summary: 'One-click unsubscribe (RFC 8058)',
    description: 'Unsubscribes at once and counts it once for the campaign. A browser (Accept: text/html) gets a confirmation page.',
    tags: ['unsubscribe'],
    public: true,
    params: unsubscribeParams,
    responses: { 200: { description: 'Unsubscribed (or already): JSON, or a page for a browser.', schema: z.object({ unsubscribed: z.literal(true) }) } },
    handle: async ({ app, params, event }) => {
      const html = /text\/html/.test(event.headers?.accept ?? '');
      try {
        await app.unsubscribe(params.token);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return html ? invalidLinkPage() : { status: 400, body: { error: { code: 'INVALID_LINK', message: error.message, details: [] } } };
      }
      return html ? unsubscribedPage() : { status: 200, body: { unsubscribed: true } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/u/{token}',
    operationId: 'unsubscribePage',
    summary: 'The page of an unsubscribe link: a button that POSTs (a GET never unsubscribes)',
    tags: ['unsubscribe'],
    public: true,
    params: unsubscribeParams,
    responses: { 200: { description: 'The confirmation page, or "You are unsubscribed" when done already.', html: true } },
    handle: async ({ app, params }) => {
      try {
        const { unsubscribed } = await app.unsubscribeStatus(params.token);
        return unsubscribed ? unsubscribedPage() : unsubscribeConfirmPage();
      } catch (error) {
        if (error instanceof ValidationError) return invalidLinkPage();
        throw error;
      }
    },
  }),
];

/** Schemas the document lists under components although no route refers to them directly. */
export const componentSchemas = { ContactInput: contactInputSchema };
