/**
 * Personalisation inside links. A value placed in an `href` or `src` after the start of the URL (a
 * path segment, a query parameter) is percent-encoded, so `&` or `#` in a company name stays data;
 * a value placed as the whole URL must be an http(s) or mailto URL at send time, else it renders
 * empty. Validation allows only `{{unsubscribeUrl}}` there, and only http(s), mailto or `#`
 * fragments as literal links: a `javascript:` or `data:` link never reaches an inbox.
 */

/** `href="…"` / `src='…'` attribute values in an HTML template; a mustache inside is opaque (`{{default x "y"}}` has quotes). */
const urlAttribute = /\b(?:href|src)\s*=\s*(?:"((?:\{\{[^}]*\}\}|[^"])*)"|'((?:\{\{[^}]*\}\}|[^'])*)')/gi;
/** A mustache that outputs a value: not a block, comment, partial, `else` or triple-stash. */
const outputMustache = /\{\{(?![#/!>^{&])(?!\s*else\b)\s*([^}]+?)\s*\}\}/g;
const wholeUrlPlaceholder = /^\{\{\s*unsubscribeUrl\s*\}\}/;
const safeLiteralLink = /^(?:https?:\/\/|mailto:|#)/i;

const asArgument = (expression: string) => (/\s/.test(expression) ? `(${expression})` : expression);

/** The HTML template with each value in a link routed through `wholeUrl` (at the start) or `urlPart` (elsewhere). */
export function withUrlSafeValues(html: string): string {
  return html.replace(urlAttribute, (attribute, double?: string, single?: string) => {
    const value = double ?? single ?? '';
    const start = attribute.length - value.length - 1;
    const leading = value.length - value.trimStart().length;
    const safe = value.replace(outputMustache, (_m, expression: string, at: number) =>
      at === leading ? `{{wholeUrl ${asArgument(expression)}}}` : `{{urlPart ${asArgument(expression)}}}`,
    );
    return attribute.slice(0, start) + safe + attribute.slice(start + value.length);
  });
}

/** Links the template may not have: a literal scheme other than http(s)/mailto, or a personalised whole URL. */
export function linkProblems(html: string): string[] {
  const problems: string[] = [];
  for (const m of html.matchAll(urlAttribute)) {
    const value = (m[1] ?? m[2] ?? '').trim();
    if (value.startsWith('{{')) {
      if (!wholeUrlPlaceholder.test(value))
        problems.push(`link "${value.slice(0, 60)}": only {{unsubscribeUrl}} may be a whole URL; put personal values after the host`);
    } else if (!safeLiteralLink.test(value)) {
      problems.push(`link "${value.slice(0, 60)}" is not an http(s), mailto or #fragment link`);
    }
  }
  return problems;
}

/** A value as a whole URL: kept only if it is an http(s) or mailto URL. */
export function wholeUrl(value: unknown): string {
  const text = String(value ?? '').trim();
  try {
    return ['http:', 'https:', 'mailto:'].includes(new URL(text).protocol) ? text : '';
  } catch {
    return '';
  }
}

/** A value inside a URL (path or query): percent-encoded, so it cannot add parameters or change the link. */
export const urlPart = (value: unknown): string => encodeURIComponent(String(value ?? ''));
