import Handlebars from 'handlebars';
import { DomainError } from '../common/errors';
import { withoutControlCharacters } from '../common/control-characters';
import { urlPart, wholeUrl, withUrlSafeValues } from './template-urls';

/**
 * Per-recipient personalisation with Handlebars. Values are HTML-escaped in the HTML part and left
 * as text in the text part and subject. A value a contact may lack needs a declared fallback —
 * inline (`{{default firstName "there"}}`), campaign-wide (`fallbacks: { firstName: "there" }`), or
 * a guard (`{{#if firstName}}…{{/if}}`) — else the campaign fails validation at creation: nothing
 * ever sends a raw `{{firstName}}` or a "Hi ,".
 */
const hb = Handlebars.create();
hb.registerHelper('default', (value: unknown, fallback: unknown) =>
  value === undefined || value === null || value === '' ? fallback : value,
);
hb.registerHelper('urlPart', urlPart);
hb.registerHelper('wholeUrl', wholeUrl);

export const allowedPlaceholders = [
  'firstName',
  'lastName',
  'email',
  'company',
  'industry',
  'companySize',
  'country',
  'role',
  'seniority',
  'unsubscribeUrl',
] as const;

/** Placeholders every message has a value for; the others may be missing on a contact. */
export const alwaysPresentPlaceholders = ['email', 'unsubscribeUrl'] as const;
export type Placeholder = (typeof allowedPlaceholders)[number];
/** Campaign-wide fallbacks: placeholder → text used when the contact has no value. */
export type Fallbacks = Partial<Record<Placeholder, string>>;

type Compiled = (context: object) => string;
const cache = new Map<string, Compiled>();
const knownHelpers = { default: true, urlPart: true, wholeUrl: true };
function compile(template: string, html: boolean): Compiled {
  const k = `${html ? 'h' : 't'}:${template}`;
  let fn = cache.get(k);
  if (!fn) {
    // HTML: values in links are URL-encoded or checked as URLs (template-urls.ts), then HTML-escaped.
    const source = html ? withUrlSafeValues(template) : template;
    fn = hb.compile(source, { noEscape: !html, strict: false, knownHelpersOnly: true, knownHelpers });
    if (cache.size > 200) cache.clear(); // bounded: a container renders few distinct campaigns
    cache.set(k, fn);
  }
  return fn;
}

const isMissing = (v: unknown) => v === undefined || v === null || v === '';

export function renderMessage(
  templates: { subject: string; html: string; text: string },
  contact: Partial<Record<Placeholder, unknown>>,
  extras: { unsubscribeUrl: string },
  fallbacks: Fallbacks = {},
): { subject: string; html: string; text: string } {
  const context: Record<string, unknown> = { ...extras };
  for (const name of allowedPlaceholders) {
    if (name === 'unsubscribeUrl') continue;
    context[name] = isMissing(contact[name]) ? fallbacks[name] : contact[name];
  }
  try {
    return {
      // A contact's value may hold any control character: none reaches the Subject header.
      subject: withoutControlCharacters(compile(templates.subject, false)(context)),
      html: compile(templates.html, true)(context),
      text: compile(templates.text, false)(context),
    };
  } catch (error) {
    throw new TemplateRenderError(`the template cannot be rendered: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** A template the renderer refuses: the same for every recipient, so retrying cannot cure it. */
export class TemplateRenderError extends DomainError {
  readonly code = 'TEMPLATE_RENDER_FAILED';
}

/** Absolute http(s) links of `<a href>` in order, once each (per-link stats and local tracking). */
export function extractLinks(html: string): string[] {
  const links = new Set<string>();
  for (const m of html.matchAll(/<a\b[^>]*?\bhref\s*=\s*["'](https?:\/\/[^"']+)["']/gi)) links.add(m[1]!.replace(/&amp;/g, '&'));
  return [...links];
}
