import { describe, expect, it } from 'vitest';
import { renderMessage, TemplateRenderError } from '../../lib/sending/render';
import { validateTemplates } from '../../lib/sending/template-check';
import { campaignInputSchema } from '../../lib/sending/campaign';
import { checkSenderAddress } from '../../lib/sending/sender-address';
import { terminalSafe } from '../../cli/terminal-safe';

/** Findings of the hostile review (issue #16), one block per row. */
const extras = { unsubscribeUrl: 'https://api.example/u/tok' };
const only = (part: 'subject' | 'html' | 'text', template: string) => ({ subject: 'Hi', html: '<p>x</p>', text: 'x', [part]: template });

describe('templates judged by the renderer that sends them (rows 2 and 3)', () => {
  it('refuses a partial, which the sender cannot render', () => {
    const check = validateTemplates(only('html', '<p>{{> evil}}</p>'));
    expect(check.errors).toEqual([expect.stringMatching(/^html: partials \(\{\{> evil\}\}\) are not supported/)]);
    expect(validateTemplates(only('text', '{{#> layout}}x{{/layout}}')).errors).toHaveLength(1);
  });

  it('accepts #if, #unless, #with and #each on known fields, and renders them', () => {
    const t = {
      subject: '{{#if firstName}}Hi {{firstName}}{{else}}Hello{{/if}}',
      html: '<p>{{#with company}}At {{this}}{{/with}}{{#unless role}}no role{{else}}{{role}}{{/unless}}</p>',
      text: '{{#each country}}{{this}}{{/each}} {{unsubscribeUrl}}',
    };
    expect(validateTemplates(t)).toEqual({ unknown: [], errors: [], missingFallbacks: [] });
    const out = renderMessage(t, { firstName: 'Ann', company: 'Acme', role: 'CTO' }, extras);
    expect(out.subject).toBe('Hi Ann');
    expect(out.html).toBe('<p>At AcmeCTO</p>');
  });

  it('still refuses unknown helpers and placeholders', () => {
    expect(validateTemplates(only('html', '{{#loop firstName}}x{{/loop}}')).unknown).toEqual(['loop']);
    expect(validateTemplates(only('text', '{{lookup firstName "a"}}')).unknown).toContain('lookup');
  });

  it('throws a TemplateRenderError (permanent) when a stored template cannot be rendered', () => {
    expect(() => renderMessage(only('html', '{{> evil}}'), {}, extras)).toThrow(TemplateRenderError);
  });
});

describe('URLs safe by construction (row 5)', () => {
  it('refuses javascript:, data: and personalised whole-URL links at validation', () => {
    for (const html of [
      '<a href="javascript:alert(3)">x</a>',
      '<a href=" JaVaScRiPt:alert(3)">x</a>',
      '<img src="data:text/html;base64,PHNjcmlwdD4=">',
      '<a href="{{firstName}}">x</a>',
      '<a href="jav&#x61;script:alert(1)">x</a>',
    ]) {
      expect(validateTemplates(only('html', html), { firstName: 'x' }).errors, html).toHaveLength(1);
    }
    expect(
      validateTemplates(
        only(
          'html',
          '<a href="https://a.example/?c={{default company "x"}}">x</a><a href="{{unsubscribeUrl}}">u</a><a href="mailto:a@b.example">m</a><a href="#top">t</a>',
        ),
      ).errors,
    ).toEqual([]);
  });

  it('URL-encodes values placed inside a link, and empties a whole-URL value that is not http(s)/mailto', () => {
    const out = renderMessage(
      only('html', '<a href="https://a.example/p?c={{company}}&r={{default role "x"}}">go</a> {{company}}'),
      { company: 'A&B=1 #x', role: 'C"T<O' },
      extras,
    );
    expect(out.html).toBe('<a href="https://a.example/p?c=A%26B%3D1%20%23x&r=C%22T%3CO">go</a> A&amp;B&#x3D;1 #x');
    // A template stored before this check: the renderer still never emits a javascript: link.
    const legacy = renderMessage(only('html', '<a href="{{firstName}}">x</a>'), { firstName: 'javascript:alert(3)' }, extras);
    expect(legacy.html).toBe('<a href="">x</a>');
    expect(renderMessage(only('html', '<a href="{{unsubscribeUrl}}">u</a>'), {}, extras).html).toBe(
      '<a href="https://api.example/u/tok">u</a>',
    );
  });
});

describe('sender identity (row 6)', () => {
  it('accepts one mailbox at the sender domain, with or without a display name', () => {
    for (const ok of [
      'news@acme.example',
      'Acme <news@acme.example>',
      '"Acme, Inc." <news@ACME.example>',
      'J. Smith <j.smith@acme.example>',
      '=?utf-8?B?Wm/Dqw==?= <z@acme.example>',
    ]) {
      expect(checkSenderAddress(ok, 'acme.example'), ok).toEqual({ ok: true });
    }
  });

  it('refuses text, lists, other domains and subdomains', () => {
    for (const bad of [
      'not an address at all',
      'a@acme.example, ceo@victim.example',
      'news@evil.example',
      'news@mail.acme.example',
      'Zoë <z@acme.example>',
      '<news@acme.example',
      'a@@acme.example',
      'Acme <news@acme.example> x',
    ]) {
      expect(checkSenderAddress(bad, 'acme.example').ok, bad).toBe(false);
    }
    expect(checkSenderAddress('news@evil.example', 'acme.example').problem).toBe('must be an address at the sender domain acme.example');
  });
});

describe('control characters (row 7)', () => {
  const controls = ['\u0000', '\u001b[31m', '\u000b', '\u0085', '\u2028', '\u2029', '\u007f', '\t'];

  it('refuses them in every header field of a campaign', () => {
    const base = { name: 'n', subject: 's', fromAddress: 'a@acme.example', htmlTemplate: 'h', textTemplate: 't', profileId: 'p' };
    for (const c of controls) {
      for (const field of ['subject', 'fromAddress']) {
        expect(campaignInputSchema.safeParse({ ...base, [field]: `x${c}y` }).success, `${field} ${JSON.stringify(c)}`).toBe(false);
      }
      expect(campaignInputSchema.safeParse({ ...base, fallbacks: { firstName: `x${c}` } }).success).toBe(false);
    }
  });

  it("removes them from a rendered subject, whatever a contact's value holds", () => {
    for (const c of controls)
      expect(renderMessage(only('subject', 'Hi {{firstName}}!'), { firstName: `A${c}B` }, extras).subject).toMatch(/^Hi A ?(\[31m)?B!$/);
  });

  it('the CLI prints them escaped, in text and in JSON alike', () => {
    const out: string[] = [];
    const io = terminalSafe({ out: (t) => out.push(t), err: () => {} });
    io.out('name: \u001b[31mred\u0085\u2028 ok\nnext\tline');
    io.out(JSON.stringify({ name: 'a\u001bb\u0085c' }));
    expect(out[0]).toBe('name: \\u001b[31mred\\u0085\\u2028 ok\nnext\tline');
    expect(JSON.parse(out[1]!)).toEqual({ name: 'a\u001bb\u0085c' });
  });
});
