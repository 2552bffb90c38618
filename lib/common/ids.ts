import { createHash, randomBytes } from 'node:crypto';

/** Short, URL- and SES-tag-safe hash (base64url of SHA-256, truncated). */
export function shortHash(input: string, length = 16): string {
  return createHash('sha256')
    .update(input)
    .digest('base64url')
    .slice(0, length)
    .replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * A contact's id is derived from its lower-cased email, so that an import is an upsert by email
 * without a second look-up item, and the id is safe as an SES tag value (letters, digits, `_`, `-`).
 */
export function contactIdFor(email: string): string {
  return `ct_${shortHash(normaliseEmail(email), 20)}`;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Random, sortable-enough id for resources a person creates (campaigns, profiles). */
export function newId(prefix: string, now: Date = new Date()): string {
  return `${prefix}_${now.getTime().toString(36)}${randomBytes(5).toString('hex')}`;
}
