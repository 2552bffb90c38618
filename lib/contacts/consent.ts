import { z } from 'zod';
import { contactPatchSchema, suppressionReasons, type Contact } from './contact';
import { ConflictError, NotFoundError, ValidationError } from '../common/errors';
import { type ContactIds, normaliseEmail } from '../common/ids';
import { resolveContactIds } from './contact-ids';
import type { Clock } from '../common/ports';
import type { ContactStore, EmailSuppression } from './ports';
import type { RowError } from './contact-import';
import { rowProblems } from './row-problems';
import { mapWithConcurrency } from '../common/concurrency';

/** Suppressions written at once (one conditional UpdateItem each), as the import writes contacts. */
const SUPPRESS_CONCURRENCY = 32;

/**
 * Consent both ways (docs/qualification.md, "Consent"): a contact's attributes and consent changed
 * through the API, and a CRM's opt-out list imported as suppressions. Neither ever lifts an
 * unsubscribe, bounce or complaint suppression: only the person re-subscribing could, and the
 * pipeline has no such path.
 */

type Deps = { contacts: ContactStore; clock: Clock; ids: ContactIds };

/**
 * Changes the attributes and consent of a contact. 404 for an unknown or erased contact, 422 for a
 * bad field (named), 409 for consent `true` on a suppressed contact. Consent `false` takes effect for
 * every later send and for the pages of a send in progress not yet mailed (each send job reads its
 * recipients again, strongly consistently, right before calling SES).
 */
export async function updateContact(deps: Deps, contactId: string, input: unknown): Promise<Contact> {
  const parsed = contactPatchSchema.safeParse(input);
  if (!parsed.success) {
    const problems = rowProblems(0, input, parsed.error.issues);
    throw new ValidationError(
      problems.map((p) => p.reason).join('; '),
      parsed.error.issues.map((i, n) => ({ path: i.path, message: problems[n]!.reason })),
    );
  }
  const result = await deps.contacts.update(contactId, parsed.data, deps.clock.now().toISOString());
  switch (result.outcome) {
    case 'updated':
      return result.contact;
    case 'not-found':
      throw new NotFoundError(`contact ${contactId} does not exist`);
    case 'erased':
      throw new NotFoundError(`contact ${contactId} was erased at the person's request`);
    case 'suppressed':
      throw new ConflictError(
        `contact ${contactId} is suppressed (${result.contact.suppressed} on ${result.contact.suppressedAt?.slice(0, 10)}): consent cannot lift a suppression; nothing was changed`,
        [{ path: ['consent'], message: `the contact is suppressed (${result.contact.suppressed})` }],
      );
  }
}

/** Reasons a suppression list may carry: what the person or their mailbox did. `erased` is the erasure's alone. */
export const importedSuppressionReasons = suppressionReasons.filter((r) => r !== 'erased') as ['unsubscribed', 'bounced', 'complained'];

export const MAX_SUPPRESSION_ROWS = 5_000;

const suppressionRowSchema = z
  .object({
    email: z.email().max(254),
    reason: z.enum(importedSuppressionReasons).default('unsubscribed'),
  })
  .strict();

export const suppressionImportSchema = z
  .object({
    suppressions: z
      .array(z.unknown())
      .min(1)
      .max(MAX_SUPPRESSION_ROWS)
      .meta({
        description: `Addresses to suppress (at most ${MAX_SUPPRESSION_ROWS}), each \`{ "email": …, "reason": "unsubscribed" | "bounced" | "complained" }\` (reason defaults to \`unsubscribed\`); each row is validated on its own.`,
      }),
  })
  .strict();

export interface SuppressionImportResult {
  received: number;
  /** Existing contacts suppressed now. */
  suppressed: number;
  /** Addresses never imported: a suppressed record was created so they are never mailed. */
  created: number;
  /** Already suppressed (the first reason stays) or erased. */
  alreadySuppressed: number;
  rejected: number;
  errors: RowError[];
}

/**
 * Imports an opt-out list (a CRM's unsubscribes, bounces and complaints): each address is
 * suppressed, known or not, so no later send and no remaining page of a send in progress mails it.
 * Idempotent: importing the same list again changes nothing.
 */
export async function importSuppressions(deps: Deps, rows: unknown[]): Promise<SuppressionImportResult> {
  const at = deps.clock.now().toISOString();
  const errors: RowError[] = [];
  const wanted = new Map<string, { email: string; reason: (typeof importedSuppressionReasons)[number] }>();
  rows.forEach((fields, i) => {
    const parsed = suppressionRowSchema.safeParse(fields);
    if (!parsed.success) errors.push(...rowProblems(i + 1, fields, parsed.error.issues));
    else {
      const email = normaliseEmail(parsed.data.email);
      // A repeated address: its first row's reason, as the store keeps the first reason anyway.
      if (!wanted.has(email)) wanted.set(email, { email, reason: parsed.data.reason });
    }
  });
  const counts: Record<EmailSuppression, number> = { suppressed: 0, created: 0, 'already-suppressed': 0, erased: 0 };
  // A contact stored under its first, unkeyed id is suppressed there (docs/decisions.md, "Keyed contact ids").
  const idOf = await resolveContactIds(deps, [...wanted.keys()]);
  await mapWithConcurrency([...wanted.values()], SUPPRESS_CONCURRENCY, async ({ email, reason }) => {
    counts[await deps.contacts.suppressEmail(idOf.get(email)!, email, reason, at)]++;
  });
  return {
    received: rows.length,
    suppressed: counts.suppressed,
    created: counts.created,
    alreadySuppressed: counts['already-suppressed'] + counts.erased,
    rejected: new Set(errors.map((e) => e.row)).size,
    errors,
  };
}
