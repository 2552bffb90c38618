import { chunk } from '../common/concurrency';
import { contactIds, normaliseEmail, type ContactIds } from '../common/ids';
import type { ContactStore } from './ports';

/**
 * The migration rule of keyed contact ids (docs/decisions.md): an email resolves to its legacy id
 * (`ct_`, unsalted) while a contact of that id is stored — live, or a tombstone left by an erasure
 * made before keyed ids, which keeps refusing the address — and to its keyed id (`ct2_`) otherwise.
 * So legacy contacts keep their ids, engagement and leads until they are erased, and no address ever
 * gets two contacts. Costs one batch read per 100 emails.
 */
export async function resolveContactIds(deps: { contacts: ContactStore; ids: ContactIds }, emails: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(emails.map(normaliseEmail))];
  const stored = new Set<string>();
  for (const part of chunk(unique, 100)) {
    for (const c of await deps.contacts.getMany(part.map((e) => deps.ids.legacyIdFor(e)))) stored.add(c.contactId);
  }
  return new Map(
    unique.map((email) => {
      const legacy = deps.ids.legacyIdFor(email);
      return [email, stored.has(legacy) ? legacy : deps.ids.idFor(email)];
    }),
  );
}

/**
 * Contact ids whose key is derived on first use from `secret()`, so a function not given the
 * secret (it never resolves an email) starts without it, and one that needs it fails naming it.
 */
export function lazyContactIds(secret: () => string): ContactIds {
  let made: ContactIds | undefined;
  const ids = () => {
    made ??= contactIds(secret());
    return made;
  };
  return { idFor: (email) => ids().idFor(email), legacyIdFor: (email) => ids().legacyIdFor(email) };
}
