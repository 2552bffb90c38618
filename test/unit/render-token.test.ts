import { describe, expect, it } from 'vitest';
import { extractLinks, renderMessage } from '../../lib/sending/render';
import { placeholdersOf, unguardedPlaceholders, validateTemplates } from '../../lib/sending/template-check';
import { signUnsubscribeToken, unsubscribeHeaders, verifyUnsubscribeToken } from '../../lib/contacts/unsubscribe-token';

const templates = {
  subject: 'Hi {{default firstName "there"}}',
  html: '<p>Hello {{firstName}} from {{default company "your team"}}</p><a href="https://a.example/x?a=1&amp;b=2">x</a><a href="{{unsubscribeUrl}}">u</a>',
  text: 'Hello {{firstName}} — {{unsubscribeUrl}}',
};
const extras = { unsubscribeUrl: 'https://api.example/u/tok' };

describe('rendering personalised messages', () => {
  it('escapes HTML in the HTML part and keeps text intact in the text part', () => {
    const out = renderMessage(templates, { firstName: 'Zoë <script>alert(1)</script>' }, extras);
    expect(out.html).toContain('Hello Zoë &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out.html).not.toContain('<script>');
    expect(out.text).toContain('Hello Zoë <script>alert(1)</script>');
  });

  it('renders non-ASCII names unchanged', () => {
    expect(renderMessage(templates, { firstName: '李雷' }, extras).subject).toBe('Hi 李雷');
    expect(renderMessage(templates, { firstName: 'José' }, extras).text).toContain('José');
  });

  it('uses the declared fallback for a missing value, and never leaves a raw placeholder', () => {
    const out = renderMessage(templates, {}, extras);
    expect(out.subject).toBe('Hi there');
    expect(out.html).toContain('from your team');
    expect(`${out.subject}${out.html}${out.text}`).not.toContain('{{');
  });

  it('strips CR and LF from a rendered subject', () => {
    expect(renderMessage(templates, { firstName: 'A\r\nBcc: x@y.example' }, extras).subject).toBe('Hi A Bcc: x@y.example');
  });

  it('lists placeholders, including helper arguments, and flags unknown ones and triple-stash', () => {
    expect(placeholdersOf(templates.html).sort()).toEqual(['company', 'firstName', 'unsubscribeUrl']);
    expect(validateTemplates({ subject: '{{nickname}}', html: '{{{firstName}}}', text: '{{#if x}}' })).toEqual({
      unknown: ['nickname'],
      errors: [expect.stringContaining('would bypass HTML escaping'), expect.stringMatching(/^text: /)],
      missingFallbacks: ['firstName'],
    });
  });

  it('requires a fallback for every value a contact may lack: inline, campaign-wide, or a guard', () => {
    const t = {
      subject: 'Hi {{firstName}}',
      html: '<p>{{#if company}}At {{company}}{{/if}} {{default role "friend"}} {{email}}</p>',
      text: '{{lastName}} {{unsubscribeUrl}}',
    };
    expect(validateTemplates(t).missingFallbacks).toEqual(['firstName', 'lastName']);
    expect(validateTemplates(t, { firstName: 'there', lastName: '' }).missingFallbacks).toEqual([]);
    expect(unguardedPlaceholders('{{#if firstName}}{{firstName}}{{else}}{{firstName}}{{/if}}')).toEqual(['firstName']); // the else branch is not guarded
  });

  it('renders a campaign-wide fallback, escaped in HTML like any value', () => {
    const out = renderMessage(
      { subject: 'Hi {{firstName}}', html: '<p>Hi {{firstName}}</p>', text: 'Hi {{firstName}}' },
      { firstName: '' },
      extras,
      { firstName: 'Tom & Jerry' },
    );
    expect(out).toEqual({ subject: 'Hi Tom & Jerry', html: '<p>Hi Tom &amp; Jerry</p>', text: 'Hi Tom & Jerry' });
  });

  it('extracts absolute links once each, in order', () => {
    expect(extractLinks(`${templates.html}<a href="https://a.example/x?a=1&amp;b=2">again</a>`)).toEqual(['https://a.example/x?a=1&b=2']);
  });
});

describe('signed unsubscribe tokens', () => {
  const secret = 's'.repeat(40);
  const token = signUnsubscribeToken({ campaignId: 'cmp_1', contactId: 'ct_abc' }, secret);

  it('round-trips', () => {
    expect(verifyUnsubscribeToken(token, secret)).toEqual({ campaignId: 'cmp_1', contactId: 'ct_abc' });
  });

  it('refuses a tampered payload or signature, a truncated token, another secret, and garbage', () => {
    const [payload, signature] = token.split('.') as [string, string];
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const forgedPayload = Buffer.from('cmp_1.ct_other').toString('base64url');
    for (const bad of [
      `${flip(payload, 2)}.${signature}`,
      `${payload}.${flip(signature, 3)}`,
      `${forgedPayload}.${signature}`,
      token.slice(0, -4),
      'garbage',
      '',
      '..',
    ]) {
      expect(verifyUnsubscribeToken(bad, secret)).toBeUndefined();
    }
    expect(verifyUnsubscribeToken(token, 't'.repeat(40))).toBeUndefined();
  });

  it('verifies only the canonical encoding: no padding, no other trailing bits, no other alphabet', () => {
    const [payload, signature] = token.split('.') as [string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 16 bytes take 22 characters; the last one carries 2 bits and 4 unused ones a lenient decoder ignores.
    const last = alphabet.indexOf(signature.at(-1)!);
    const otherTrailingBits = signature.slice(0, -1) + alphabet[last ^ 1];
    expect(Buffer.from(otherTrailingBits, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    for (const variant of [
      `${payload}.${otherTrailingBits}`,
      `${payload}.${signature}==`,
      `${payload}=.${signature}`,
      `${payload}.${signature.replace(/-/g, '+').replace(/_/g, '/')}${/[-_]/.test(signature) ? '' : '='}`,
    ]) {
      expect(verifyUnsubscribeToken(variant, secret)).toBeUndefined();
    }
    expect(verifyUnsubscribeToken(token, secret)).toBeDefined();
  });

  it('builds RFC 8058 one-click headers', () => {
    expect(unsubscribeHeaders('https://api.example/u/t', 'unsub@acme.example')).toEqual({
      'List-Unsubscribe': '<https://api.example/u/t>, <mailto:unsub@acme.example?subject=unsubscribe>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });
});
