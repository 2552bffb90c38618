import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contactIds, legacyIdFor } from '../../lib/common/ids';
import { resolveContactIds } from '../../lib/contacts/contact-ids';
import type { Contact } from '../../lib/contacts/contact';
import type { ContactStore } from '../../lib/contacts/ports';

/** Issue #16 row 1: contact ids are keyed (HMAC), so a guessed address cannot be matched to an id or a tombstone. */
const secret = 'the-pipeline-secret-of-at-least-32-characters';
const email = 'Dana.Weiss@Northwind.example';

describe('keyed contact ids', () => {
  it('are ct2_ + an HMAC of the lower-cased email under a key derived from the secret, never an unsalted hash', () => {
    const id = contactIds(secret).idFor(email);
    expect(id).toMatch(/^ct2_[A-Za-z0-9_-]{27}$/);
    expect(contactIds(secret).idFor('  dana.weiss@northwind.EXAMPLE ')).toBe(id);
    const unsalted = createHash('sha256').update('dana.weiss@northwind.example').digest('base64url');
    expect(id).not.toContain(unsalted.slice(0, 12));
    expect(id).not.toBe(legacyIdFor(email));
    // Not the HMAC under the secret itself either: the key is a subkey of its own (HKDF).
    const underSecret = createHmac('sha256', secret).update('dana.weiss@northwind.example').digest('base64url');
    expect(id).not.toContain(underSecret.slice(0, 12));
  });

  it('cannot be recomputed without the key: another secret gives other ids', () => {
    expect(contactIds(`${secret}!`).idFor(email)).not.toBe(contactIds(secret).idFor(email));
  });

  it('keeps the legacy id as it was (ct_ + 20 characters of unsalted SHA-256), to find contacts stored before', () => {
    const sha = createHash('sha256').update('dana.weiss@northwind.example').digest('base64url').slice(0, 20);
    expect(legacyIdFor(email)).toBe(`ct_${sha}`);
  });
});

describe('the migration rule: an email resolves to its legacy id while a contact of that id is stored', () => {
  const ids = contactIds(secret);
  const stored = (contacts: Partial<Contact>[]) =>
    ({
      getMany: async (wanted: string[]) => contacts.filter((c) => wanted.includes(c.contactId!)) as Contact[],
    }) as unknown as ContactStore;

  it('resolves a legacy contact (live or a tombstone) to its ct_ id and every other email to its keyed id', async () => {
    const legacy = { contactId: legacyIdFor('old@northwind.example'), email: 'old@northwind.example' };
    const erasedBefore = { contactId: legacyIdFor('gone@northwind.example'), erasedAt: '2026-01-01T00:00:00.000Z' };
    const resolved = await resolveContactIds({ contacts: stored([legacy, erasedBefore]), ids }, [
      'Old@Northwind.example',
      'gone@northwind.example',
      'new@northwind.example',
    ]);
    expect(Object.fromEntries(resolved)).toEqual({
      'old@northwind.example': legacy.contactId,
      'gone@northwind.example': erasedBefore.contactId,
      'new@northwind.example': ids.idFor('new@northwind.example'),
    });
  });

  it('resolves the email of a tombstone the re-keying migration moved to that tombstone, in the same batch read', async () => {
    const gone = legacyIdFor('gone@northwind.example');
    const rekeyedTombstone = { contactId: ids.idForLegacy(gone), erasedAt: '2026-01-01T00:00:00.000Z' };
    const reads: string[][] = [];
    const contacts = {
      getMany: async (wanted: string[]) => {
        reads.push(wanted);
        return [rekeyedTombstone].filter((c) => wanted.includes(c.contactId)) as Contact[];
      },
    } as unknown as ContactStore;
    const emails = Array.from({ length: 50 }, (_, i) => `p${i}@northwind.example`);
    const resolved = await resolveContactIds({ contacts, ids }, ['gone@northwind.example', ...emails]);
    expect(resolved.get('gone@northwind.example')).toBe(rekeyedTombstone.contactId);
    expect(resolved.get('p0@northwind.example')).toBe(ids.idFor('p0@northwind.example'));
    // Two keys per email (the legacy id and its re-keyed form), 100 keys per batch read.
    expect(reads.map((r) => r.length)).toEqual([100, 2]);
  });

  it("keys a legacy id apart from any email: idForLegacy is neither the legacy id nor an email's keyed id", () => {
    const legacy = legacyIdFor('gone@northwind.example');
    expect(ids.idForLegacy(legacy)).toMatch(/^ct2_[A-Za-z0-9_-]{27}$/);
    expect(ids.idForLegacy(legacy)).not.toBe(ids.idFor('gone@northwind.example'));
    expect(ids.idForLegacy(legacy)).not.toBe(ids.idFor(legacy));
    expect(contactIds(`${secret}!`).idForLegacy(legacy)).not.toBe(ids.idForLegacy(legacy));
  });
});
