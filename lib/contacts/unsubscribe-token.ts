import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Unsubscribe tokens: `base64url(campaignId.contactId).base64url(HMAC-SHA256)[0..22]`. Without the
 * secret a token cannot be made or altered, so the link names no guessable id.
 */
const MAC_BYTES = 16;

function mac(payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest().subarray(0, MAC_BYTES);
}

export function signUnsubscribeToken(subject: { campaignId: string; contactId: string }, secret: string): string {
  const payload = Buffer.from(`${subject.campaignId}.${subject.contactId}`).toString('base64url');
  return `${payload}.${mac(payload, secret).toString('base64url')}`;
}

export function verifyUnsubscribeToken(token: string, secret: string): { campaignId: string; contactId: string } | undefined {
  const parts = token.split('.');
  if (parts.length !== 2) return undefined;
  const [payload, signature] = parts as [string, string];
  // Node's base64url decoding is lenient (padding, stray trailing bits, other characters): only the
  // canonical spelling of the signature and payload verifies, so a token has exactly one form.
  const expected = Buffer.from(mac(payload, secret).toString('base64url'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const decoded = Buffer.from(payload, 'base64url');
  if (decoded.toString('base64url') !== payload) return undefined;
  const [campaignId, contactId, ...rest] = decoded.toString('utf8').split('.');
  if (!campaignId || !contactId || rest.length) return undefined;
  return { campaignId, contactId };
}

/** RFC 8058 one-click unsubscribe headers (required by Gmail and Yahoo from bulk senders). */
export function unsubscribeHeaders(url: string, mailto: string): Record<string, string> {
  return {
    'List-Unsubscribe': `<${url}>, <mailto:${mailto}?subject=unsubscribe>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
