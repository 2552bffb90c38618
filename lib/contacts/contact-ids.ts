import { chunk } from '../common/concurrency';
import { contactIds, normaliseEmail, type ContactIds } from '../common/ids';
import type { ContactStore } from './ports';

/**
 * The migration rule of keyed contact ids (docs/decisions.md): an email resolves to its legacy id
 * (`ct_`, unsalted) while a contact of that id is stored — live, or a tombstone left by an erasure
 * made before keyed ids, which keeps refusing the address —; to the re-keyed tombstone of such an
 * erasure once the re-keying migration moved it (`idForLegacy`: it has no email to key); and to its
 * keyed id (`ct2_`) otherwise. So no address ever gets two contacts, and an erased person stays
 * erased across the migration. Costs one batch read per 50 emails (two keys each).
 */
export async function resolveContactIds(deps: { contacts: ContactStore; ids: ContactIds }, emails: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(emails.map(normaliseEmail))];
  const stored = new Set<string>();
  for (const part of chunk(unique, 50)) {
    const candidates = part.flatMap((e) => {
      const legacy = deps.ids.legacyIdFor(e);
      return [legacy, deps.ids.idForLegacy(legacy)];
    });
    for (const c of await deps.contacts.getMany(candidates)) stored.add(c.contactId);
  }
  return new Map(
    unique.map((email) => {
      const legacy = deps.ids.legacyIdFor(email);
      const rekeyedTombstone = deps.ids.idForLegacy(legacy);
      if (stored.has(legacy)) return [email, legacy];
      return [email, stored.has(rekeyedTombstone) ? rekeyedTombstone : deps.ids.idFor(email)];
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
  return {
    idFor: (email) => ids().idFor(email),
    legacyIdFor: (email) => ids().legacyIdFor(email),
    idForLegacy: (legacyId) => ids().idForLegacy(legacyId),
  };
}
