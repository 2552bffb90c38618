import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** Short, URL- and SES-tag-safe hash (base64url of SHA-256, truncated). */
export function shortHash(input: string, length = 16): string {
  return createHash('sha256')
    .update(input)
    .digest('base64url')
    .slice(0, length)
    .replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * How contacts are identified (docs/decisions.md, "Keyed contact ids"). A contact's id is derived
 * from its lower-cased email, so an import is an upsert by email without a look-up item, and the id
 * is safe as an SES tag value (letters, digits, `_`, `-`). It is an HMAC under a secret key
 * (`ct2_`), so an id, a tombstone's included, cannot be matched to a guessed address without the
 * key. Contacts stored before keyed ids have `ct_` + an unsalted SHA-256 (legacy ids): they keep
 * them, and an email resolves to the legacy id while such a contact exists (lib/contacts/contact-ids.ts).
 */
export interface ContactIds {
  /** The keyed id of this email: `ct2_` + 27 base64url characters of HMAC-SHA-256 (162 bits). */
  idFor(email: string): string;
  /** The legacy id this email had before keyed ids: `ct_` + 20 characters of unsalted SHA-256. */
  legacyIdFor(email: string): string;
  /**
   * The keyed id a legacy contact erased before the re-keying migration moves to: it has no email
   * left, so `ct2_` + HMAC-SHA-256 of `legacy:` + its legacy id (docs/decisions.md, "Re-keying legacy
   * contact ids"). An email finds it through `idForLegacy(legacyIdFor(email))`, with the key only.
   */
  idForLegacy(legacyId: string): string;
}

/** Prefix of keyed contact ids. */
export const KEYED_CONTACT_ID_PREFIX = 'ct2_';
/** HKDF's context for the contact-id key: a subkey of its own, never the secret itself. */
const CONTACT_ID_INFO = 'mql-pipeline contact id v2';

/**
 * Contact ids keyed with a subkey derived from `secret` by HKDF-SHA-256 (RFC 5869). The secret is
 * the pipeline's HMAC secret (Secrets Manager on AWS): deriving keeps one secret to guard while the
 * two uses cannot be confused — a contact-id HMAC is never a valid unsubscribe signature.
 */
export function contactIds(secret: string): ContactIds {
  const key = Buffer.from(hkdfSync('sha256', secret, 'mql-pipeline', CONTACT_ID_INFO, 32));
  const keyed = (input: string) => `${KEYED_CONTACT_ID_PREFIX}${createHmac('sha256', key).update(input).digest('base64url').slice(0, 27)}`;
  return {
    idFor: (email) => keyed(normaliseEmail(email)),
    legacyIdFor,
    // `legacy:` cannot begin a normalised email that is a valid address, so the two never collide.
    idForLegacy: (legacyId) => keyed(`legacy:${legacyId}`),
  };
}

/** A legacy contact id as stored (`ct_` + 20 base64url characters), anywhere in a text. */
export const LEGACY_CONTACT_ID = /ct_[A-Za-z0-9_-]{20}/g;

/** The text with every legacy contact id `mapping` knows replaced by its new id; undefined when it holds none. */
export function replaceLegacyIds(text: string, mapping: ReadonlyMap<string, string>): string | undefined {
  let changed = false;
  const out = text.replace(LEGACY_CONTACT_ID, (id) => {
    const to = mapping.get(id);
    if (!to) return id;
    changed = true;
    return to;
  });
  return changed ? out : undefined;
}

/** The unkeyed id of contacts stored before keyed ids (`ct_` + unsalted SHA-256): only to find them. */
export function legacyIdFor(email: string): string {
  return `ct_${shortHash(normaliseEmail(email), 20)}`;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Random, sortable-enough id for resources a person creates (campaigns, profiles). */
export function newId(prefix: string, now: Date = new Date()): string {
  return `${prefix}_${now.getTime().toString(36)}${randomBytes(5).toString('hex')}`;
}
