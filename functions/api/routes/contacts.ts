import { z } from 'zod';
import { contactInputSchema, contactPatchSchema, suppressionReasons } from '../../../lib/contacts/contact';
import { importedSuppressionReasons, MAX_SUPPRESSION_ROWS, suppressionImportSchema } from '../../../lib/contacts/consent';
import { delimiterNames, INTEREST_SEPARATOR, type DelimiterName } from '../../../lib/contacts/contact-import';
import { contactListQuerySchema, importRequestSchema, MAX_IMPORT_ROWS } from '../../../lib/contacts/contacts';
import { defineRoute, type Route } from '../contract';
import { contactIdParams, isoTime, page } from './common';
import { leadSchema } from './leads';

/** Contacts: import (JSON or CSV), look-up, listing, subject access export and erasure. */

export const contactSchema = z
  .object({
    ...contactInputSchema.shape,
    contactId: z.string().meta({ description: 'Derived from the lower-cased email (`ct_` + hash).', example: 'ct_Wn3v0eJ5m1Hq3Y6rVx2A' }),
    email: z.string().meta({ description: 'Lower-cased.' }),
    consent: z.boolean(),
    suppressed: z
      .enum(suppressionReasons)
      .optional()
      .meta({ description: 'Why the contact is no longer mailed; only an explicit re-subscription clears it.' }),
    suppressedAt: isoTime.optional(),
    consentWithdrawnAt: isoTime
      .optional()
      .meta({ description: 'When the person withdrew consent (import or PATCH); an import never gives consent back after it.' }),
    consentGivenAt: isoTime.optional().meta({ description: 'When consent was last given through PATCH (an explicit opt-in).' }),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'Contact' });

export const contactPageSchema = page(contactSchema, 'ContactPage');

const rowErrorSchema = z.object({ row: z.number().int(), field: z.string(), reason: z.string() });

export const importResultSchema = z
  .object({
    received: z.number().int().meta({ description: 'Rows read.' }),
    created: z.number().int().meta({ description: 'New contacts.' }),
    updated: z.number().int().meta({ description: 'Existing contacts updated (never re-subscribed).' }),
    rejected: z.number().int().meta({ description: 'Rows not imported; each has at least one entry in `errors`.' }),
    errors: z.array(rowErrorSchema).meta({
      description: 'Row-level problems, by row (1 = the first data row; CSV header not counted). At most 1,000 listed.',
    }),
    errorsTruncated: z.boolean().optional(),
    consentWithdrawn: z.array(z.object({ row: z.number().int(), contactId: z.string() })).meta({
      description: 'Rows whose `consent: false` withdrew the consent an existing contact had given: they are mailed no more.',
    }),
    warnings: z.array(rowErrorSchema).meta({
      description:
        'Rows imported with a value not applied: `consent: true` for a person who withdrew consent earlier (only `PATCH /contacts/{id}` gives it back).',
    }),
  })
  .meta({ id: 'ImportResult' });

export const suppressionImportResultSchema = z
  .object({
    received: z.number().int(),
    suppressed: z.number().int().meta({ description: 'Existing contacts suppressed now.' }),
    created: z
      .number()
      .int()
      .meta({ description: 'Addresses never imported: a suppressed contact was created, so they are never mailed.' }),
    alreadySuppressed: z.number().int().meta({ description: 'Already suppressed (the first reason stays) or erased.' }),
    rejected: z.number().int(),
    errors: z.array(rowErrorSchema).meta({ description: 'Row-level problems (1 = the first row).' }),
  })
  .meta({ id: 'SuppressionImportResult' });

const erasedContactSchema = z
  .object({
    contactId: z.string(),
    erasedAt: isoTime,
    suppressed: z.literal('erased'),
    suppressedAt: isoTime,
    consent: z.literal(false),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'ErasedContact', description: 'What is left of an erased contact: its id and dates.' });

const campaignRecordsSchema = z.object({
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
});

export const contactExportSchema = z
  .object({
    exportedAt: isoTime,
    contact: z.union([contactSchema, erasedContactSchema]),
    campaigns: z.array(campaignRecordsSchema),
    lead: leadSchema.nullable(),
    earlierLeads: z.array(leadSchema).meta({ description: 'Closed leads of earlier lifecycles (docs/qualification.md).' }),
    activities: z
      .array(
        z.looseObject({
          key: z.string(),
          contactId: z.string(),
          kind: z.enum(['click', 'open', 'event']),
          at: isoTime,
          campaignId: z.string().optional(),
        }),
      )
      .meta({ description: 'The scored activities qualification keeps: clicks, opens and engagement events.' }),
  })
  .meta({ id: 'ContactExport' });

export const erasureSchema = z
  .object({
    contactId: z.string(),
    erasedAt: isoTime,
    firstErasure: z.boolean().meta({ description: 'False when an earlier request had erased the contact already.' }),
    campaigns: z.number().int().meta({ description: 'Campaigns whose records of the contact were emptied.' }),
    leadAnonymised: z.boolean(),
    activitiesSealed: z
      .number()
      .int()
      .meta({ description: 'Activities of the qualification ledger reduced to key, kind, time and campaign.' }),
    reportObjectsRewritten: z
      .number()
      .int()
      .meta({ description: 'Report objects (CSV, JSON, HTML) already written that named the contact, rewritten without them.' }),
    notesRedacted: z
      .number()
      .int()
      .meta({ description: "Sales notes on other leads in which the contact's email or full name was replaced by `[erased]`." }),
    deadLettersRedacted: z.number().int().meta({ description: 'Set-aside SES events whose stored body named the contact.' }),
    answersRedacted: z
      .number()
      .int()
      .meta({ description: "Answers kept for Idempotency-Key replays in which the contact's email or full name was replaced." }),
  })
  .meta({ id: 'Erasure' });

/** Listed under components although no route refers to it directly: the import's rows point at it. */
export const contactComponentSchemas = { ContactInput: contactInputSchema };

const importQuery = z
  .object({
    delimiter: z
      .enum(Object.keys(delimiterNames) as [DelimiterName, ...DelimiterName[]])
      .default('comma')
      .meta({ description: 'Field delimiter of a `text/csv` body.' }),
  })
  .strict();

const csvFormat = `A header row naming contact fields (case, spaces, \`_\` and \`-\` ignored: \`First Name\` is \`firstName\`), then one contact per row; RFC 4180 quoting (commas, quotes and newlines inside double quotes); a UTF-8 BOM is skipped. \`consent\` and \`contactMe\`: yes/no, true/false or 1/0. \`interests\`: categories separated by \`${INTEREST_SEPARATOR}\`. An empty cell changes nothing. At most ${MAX_IMPORT_ROWS} data rows and 1 MiB per request.`;

export const contactRoutes: Route[] = [
  defineRoute({
    method: 'POST',
    path: '/contacts/import',
    operationId: 'importContacts',
    summary: 'Import contacts (upsert by email; non-destructive; row-level errors)',
    description:
      'Each row is validated on its own: good rows are imported, bad ones listed in `errors` with row, field and reason. Upserts by lower-cased email. Never re-subscribes an unsubscribed, bounced or complained contact, never clears a value the row leaves out, and refuses contacts erased at their request. `consent: false` withdraws consent an existing contact gave (listed in `consentWithdrawn`); `consent: true` does not give back consent the person withdrew (listed in `warnings`); no `consent` leaves it as it is. When an email repeats, its last valid row is imported and the earlier ones are rejected. A file-level problem (unreadable CSV, unknown column, no data rows) rejects the whole request and writes nothing.',
    tags: ['contacts'],
    query: importQuery,
    body: {
      json: z
        .object({
          // Rows are validated one by one (a bad row is reported, not fatal), so the schema takes any
          // value; the document points readers at the row's real schema.
          contacts: importRequestSchema.shape.contacts.meta({
            override: ({ jsonSchema }: { jsonSchema: { items?: unknown } }) => {
              jsonSchema.items = { $ref: '#/components/schemas/ContactInput' };
            },
          }),
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
    method: 'POST',
    path: '/contacts/suppressions',
    operationId: 'importSuppressions',
    summary: "Import a suppression list (a CRM's opt-outs): these addresses are never mailed",
    description: `Each row \`{ "email", "reason" }\` (reason: ${importedSuppressionReasons.join(', ')}; default unsubscribed) suppresses the address, whether or not it was imported as a contact: an unknown address gets a suppressed contact record, so no later import or send mails it. The first suppression reason of a contact stays; nothing lifts a suppression. A suppressed contact is excluded from the rest of a send in progress. Idempotent. At most ${MAX_SUPPRESSION_ROWS} rows per request.`,
    tags: ['contacts'],
    body: { json: suppressionImportSchema },
    responses: {
      200: { description: 'What was suppressed, created, already suppressed and rejected.', schema: suppressionImportResultSchema },
    },
    handle: async ({ app, body }) => ({ status: 200, body: await app.importSuppressions(body.suppressions) }),
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
    method: 'PATCH',
    path: '/contacts/{contactId}',
    operationId: 'updateContact',
    summary: 'Change a contact: attributes and consent',
    description:
      'The fields given replace the stored ones; the others stay. `consent: false` withdraws consent: the contact is excluded from every later send and from the pages of a send in progress not yet mailed. `consent: true` records an explicit opt-in (and clears an earlier withdrawal), but never lifts a suppression: for an unsubscribed, bounced, complained or suppressed-by-list contact it is 409 and nothing changes. 404 for an unknown or erased contact. With an `Idempotency-Key`, a repeat of the request gets the first answer.',
    tags: ['contacts'],
    params: contactIdParams,
    body: { json: contactPatchSchema },
    responses: { 200: { description: 'The contact as changed.', schema: contactSchema } },
    errors: [404, 409],
    handle: async ({ app, params, body }) => ({ status: 200, body: await app.updateContact(params.contactId, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/contacts/{contactId}/export',
    operationId: 'exportContact',
    summary: 'Export everything held about a contact, its engagement included (subject access request)',
    tags: ['contacts'],
    params: contactIdParams,
    responses: {
      200: { description: 'The contact, its send records and engagement per campaign, and its lead.', schema: contactExportSchema },
    },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.exportContact(params.contactId) }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/contacts/{contactId}',
    operationId: 'eraseContact',
    summary: "Erase a contact's data (right to erasure); campaign figures stay as they were",
    description:
      'The contact becomes a tombstone holding only its id (it is never listed, mailed or imported again), its engagement in every campaign is emptied, and its lead is stripped of reasons and clicked link. Every report already written that names the contact is rewritten without them (earlier object versions deleted); sales notes on other leads and set-aside SES events that name them (email or full name) are redacted. Counters already made are kept, and later SES events for it count nothing. Idempotent: repeating the request completes an erasure that failed half-way.',
    tags: ['contacts'],
    params: contactIdParams,
    responses: { 200: { description: 'What was erased.', schema: erasureSchema } },
    errors: [404, 409, 503],
    handle: async ({ app, params }) => ({ status: 200, body: await app.eraseContact(params.contactId) }),
  }),
];
