import { z } from 'zod';
import { contactInputSchema, type Contact } from '../contact';
import { contactIdFor, normaliseEmail } from '../ids';
import type { Clock, ContactStore } from '../ports';

export interface RowError {
  /** 1-based position in the submitted list (CSV: the data row number). */
  row: number;
  field: string;
  reason: string;
}

export interface ImportResult {
  created: number;
  updated: number;
  rejected: number;
  errors: RowError[];
}

/**
 * Imports contacts: each row is validated on its own; good rows are upserted by lower-cased email,
 * bad rows reported with row, field and reason. The store never re-subscribes a suppressed contact
 * nor clears consent. A repeated email in one import keeps the last occurrence.
 */
export async function importContacts(deps: { contacts: ContactStore; clock: Clock }, rows: unknown[]): Promise<ImportResult> {
  const now = deps.clock.now().toISOString();
  const errors: RowError[] = [];
  const byId = new Map<string, Contact>();
  rows.forEach((raw, index) => {
    const parsed = contactInputSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        errors.push({ row: index + 1, field: issue.path.join('.') || '(row)', reason: issue.message });
      }
      return;
    }
    const email = normaliseEmail(parsed.data.email);
    const contactId = contactIdFor(email);
    byId.set(contactId, { ...parsed.data, email, contactId, createdAt: now, updatedAt: now });
  });
  const { created, updated } = await deps.contacts.upsertMany([...byId.values()]);
  return { created, updated, rejected: new Set(errors.map((e) => e.row)).size, errors };
}

export const importRequestSchema = z.object({ contacts: z.array(z.unknown()).min(1).max(10_000) }).strict();
