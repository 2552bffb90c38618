import { z } from 'zod';
import { companySizes, contactInputSchema, contactStatuses, matchesFilter, seniorities, type Contact, type ContactFilter } from './contact';
import { readContactsCsv, rowsFromJson, type CsvDelimiter, type ImportRow, type RowError } from './contact-import';
import { NotFoundError, ValidationError } from '../common/errors';
import { normaliseEmail, type ContactIds } from '../common/ids';
import { resolveContactIds } from './contact-ids';
import { rowProblems } from './row-problems';
import type { Clock, Page } from '../common/ports';
import type { ContactStore, ContactUpsert } from './ports';

export type { RowError } from './contact-import';

/** Rows one import request may carry; the CLI sends files in chunks of 1,000. */
export const MAX_IMPORT_ROWS = 5_000;
/** Row errors listed in one answer; `rejected` still counts every rejected row. */
export const MAX_LISTED_ROW_ERRORS = 1_000;

export interface ImportResult {
  /** Rows read (valid or not). */
  received: number;
  created: number;
  updated: number;
  /** Rows not imported: invalid, erased contacts, and earlier copies of a repeated email. */
  rejected: number;
  errors: RowError[];
  /** True when more row errors exist than `errors` lists. */
  errorsTruncated?: boolean;
  /** Rows whose `consent: false` withdrew the consent an existing contact had given (they are mailed no more). */
  consentWithdrawn: { row: number; contactId: string }[];
  /**
   * Rows imported whose `consent: true` was not applied: the person withdrew consent earlier, and
   * only an explicit opt-in (`PATCH /contacts/{id}` with consent true) gives it back.
   */
  warnings: RowError[];
}

/** What a row's own `consent` value asks for; an absent value asks nothing (a new contact starts without consent). */
function consentChangeOf(fields: unknown): ContactUpsert['consentChange'] {
  const consent = (fields as { consent?: unknown }).consent;
  return consent === true ? 'give' : consent === false ? 'withdraw' : undefined;
}

/**
 * Imports contacts: each row is validated on its own; good rows are upserted by lower-cased email,
 * bad rows reported with row, field and reason. The store never re-subscribes a suppressed contact,
 * never clears a value (an absent or empty field changes nothing), and refuses contacts erased at
 * the person's request. A row's `consent: false` withdraws consent given earlier (listed in
 * `consentWithdrawn`); `consent: true` does not give back consent the person withdrew (a warning). When an email repeats, its last valid row is imported and the
 * earlier ones are rejected, so the outcome is the same whether a file arrives in one request or many.
 */
export async function importContactRows(
  deps: { contacts: ContactStore; clock: Clock; ids: ContactIds },
  rows: ImportRow[],
): Promise<ImportResult> {
  const now = deps.clock.now().toISOString();
  const errors: RowError[] = [];
  const valid: { row: number; data: z.output<typeof contactInputSchema>; consentChange: ContactUpsert['consentChange'] }[] = [];
  for (const item of rows) {
    if ('errors' in item) {
      errors.push(...item.errors);
      continue;
    }
    const parsed = contactInputSchema.safeParse(item.fields);
    if (parsed.success) valid.push({ row: item.row, data: parsed.data, consentChange: consentChangeOf(item.fields) });
    else errors.push(...rowProblems(item.row, item.fields, parsed.error.issues));
  }
  const idOf = await resolveContactIds(
    deps,
    valid.map((v) => v.data.email),
  );
  const latest = new Map<string, { row: number; contact: ContactUpsert }>();
  for (const { row, data, consentChange } of valid) {
    const email = normaliseEmail(data.email);
    const contactId = idOf.get(email)!;
    const earlier = latest.get(contactId);
    if (earlier) {
      errors.push({ row: earlier.row, field: 'email', reason: `${email} appears again in row ${row}; the last occurrence is imported` });
    }
    latest.set(contactId, { row, contact: { ...data, email, contactId, createdAt: now, updatedAt: now, consentChange } });
  }
  const { created, updated, erased, consentWithdrawn, consentNotRestored } = await deps.contacts.upsertMany(
    [...latest.values()].map((l) => l.contact),
  );
  const rowOf = (contactId: string) => latest.get(contactId)!.row;
  for (const contactId of erased) {
    errors.push({
      row: rowOf(contactId),
      field: 'email',
      reason: 'this person asked for their data to be erased; they cannot be imported again',
    });
  }
  errors.sort((a, b) => a.row - b.row);
  const rejected = new Set(errors.map((e) => e.row)).size;
  return {
    received: rows.length,
    created,
    updated,
    rejected,
    errors: errors.slice(0, MAX_LISTED_ROW_ERRORS),
    ...(errors.length > MAX_LISTED_ROW_ERRORS ? { errorsTruncated: true } : {}),
    consentWithdrawn: consentWithdrawn.map((contactId) => ({ row: rowOf(contactId), contactId })).sort((a, b) => a.row - b.row),
    warnings: consentNotRestored
      .map((contactId) => ({
        row: rowOf(contactId),
        field: 'consent',
        reason:
          'the person withdrew consent earlier; an import does not give it back (the rest of the row was imported) — record their new opt-in with PATCH /contacts/{id} or mql contacts update --consent true',
      }))
      .sort((a, b) => a.row - b.row),
  };
}

/** Imports a JSON list of contacts (see importContactRows). */
export function importContacts(deps: { contacts: ContactStore; clock: Clock; ids: ContactIds }, rows: unknown[]): Promise<ImportResult> {
  return importContactRows(deps, rowsFromJson(rows));
}

/** Imports a CSV document (see readContactsCsv for the format and importContactRows for the rules). */
export async function importContactsCsv(
  deps: { contacts: ContactStore; clock: Clock; ids: ContactIds },
  text: string,
  options: { delimiter?: CsvDelimiter } = {},
): Promise<ImportResult> {
  const rows: ImportRow[] = [];
  for await (const row of readContactsCsv(text, options)) {
    if (rows.length === MAX_IMPORT_ROWS) {
      throw new ValidationError(
        `the file has more than ${MAX_IMPORT_ROWS} data rows; send it in parts (the mql CLI does) — nothing was imported`,
      );
    }
    rows.push(row);
  }
  return importContactRows(deps, rows);
}

export const importRequestSchema = z
  .object({
    contacts: z
      .array(z.unknown())
      .min(1)
      .max(MAX_IMPORT_ROWS)
      .meta({ description: `Contacts to upsert (at most ${MAX_IMPORT_ROWS}); each is validated on its own as a ContactInput.` }),
  })
  .strict();

const trimmed = z.string().trim().min(1).max(200);
/** Query of `GET /contacts`: filters (all must hold) and the page. */
export const contactListQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50).meta({ description: 'Contacts per page (1–500).' }),
    cursor: z.string().min(1).max(4096).optional().meta({ description: 'The `cursor` of the previous page, as given; opaque.' }),
    email: z.email().optional().meta({ description: 'Exactly this address (a direct look-up).' }),
    industry: trimmed.optional(),
    country: z.string().length(2).toUpperCase().optional().meta({ description: 'ISO 3166-1 alpha-2.' }),
    companySize: z.enum(companySizes).optional(),
    seniority: z.enum(seniorities).optional(),
    region: trimmed.optional(),
    owner: z.email().optional(),
    interest: trimmed.optional().meta({ description: 'Contacts listing this category of interest.' }),
    status: z.enum(contactStatuses).optional().meta({
      description:
        '`mailable` (consent, not suppressed), `no-consent`, `suppressed` (any reason), or one reason: `unsubscribed`, `bounced`, `complained`.',
    }),
  })
  .strict();
export type ContactListQuery = z.output<typeof contactListQuerySchema>;

/**
 * Lists contacts a page at a time. With `email` it is one direct read; otherwise the store walks
 * its contact index with the filters applied there (never a table scan), reading a bounded number
 * of contacts per page: a page may hold fewer than `limit` contacts and still have a cursor.
 */
export async function listContacts(deps: { contacts: ContactStore; ids: ContactIds }, query: ContactListQuery): Promise<Page<Contact>> {
  const { limit, cursor, email, ...rest } = query;
  const filter: ContactFilter = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  if (email) {
    const contact = await deps.contacts.get((await resolveContactIds(deps, [email])).get(normaliseEmail(email))!);
    return { items: contact && !contact.erasedAt && matchesFilter(contact, filter) ? [contact] : [] };
  }
  return deps.contacts.list(cursor, limit, filter);
}

export async function getContact(deps: { contacts: ContactStore }, contactId: string): Promise<Contact> {
  const contact = await deps.contacts.get(contactId);
  if (!contact) throw new NotFoundError(`contact ${contactId} does not exist`);
  if (contact.erasedAt) throw new NotFoundError(`contact ${contactId} was erased on ${contact.erasedAt.slice(0, 10)}`);
  return contact;
}
