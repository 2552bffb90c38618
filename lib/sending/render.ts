import Handlebars from 'handlebars';

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

const helpers = new Set(['default']);
/** Block helpers whose body runs only when their first argument has a value. */
const guards = new Set(['if', 'with']);

interface HbNode {
  type: string;
  path?: { original?: string; type?: string };
  params?: HbNode[];
  original?: string;
  body?: HbNode[];
  program?: { body: HbNode[] };
  inverse?: { body: HbNode[] };
  escaped?: boolean;
}

function walk(nodes: HbNode[], visit: (n: HbNode) => void) {
  for (const n of nodes) {
    visit(n);
    if (n.program) walk(n.program.body, visit);
    if (n.inverse) walk(n.inverse.body, visit);
  }
}

/** Placeholder names a template uses (helpers excluded, helper arguments included). */
export function placeholdersOf(template: string): string[] {
  const names = new Set<string>();
  walk(Handlebars.parse(template).body as unknown as HbNode[], (n) => {
    if (n.type !== 'MustacheStatement' && n.type !== 'BlockStatement') return;
    const head = n.path?.original;
    if (head && !helpers.has(head)) names.add(head);
    for (const p of n.params ?? []) if (p.type === 'PathExpression' && p.original) names.add(p.original);
  });
  return [...names];
}

/**
 * Placeholders used bare (no `default` helper, outside an `{{#if x}}` guard of the same name):
 * these render empty when the contact lacks the value, unless a campaign-wide fallback is declared.
 */
export function unguardedPlaceholders(template: string): string[] {
  const names = new Set<string>();
  const visit = (nodes: HbNode[], guarded: Set<string>) => {
    for (const n of nodes) {
      const head = n.path?.original;
      if (n.type === 'MustacheStatement' && head && !helpers.has(head) && !(n.params ?? []).length && !guarded.has(head)) names.add(head);
      if (n.type === 'BlockStatement') {
        const subject = n.params?.[0]?.original;
        const inner = head && guards.has(head) && subject ? new Set([...guarded, subject]) : guarded;
        if (n.program) visit(n.program.body, inner);
        if (n.inverse) visit(n.inverse.body, guarded);
      }
    }
  };
  visit(Handlebars.parse(template).body as unknown as HbNode[], new Set());
  return [...names];
}

export interface TemplateCheck {
  unknown: string[];
  errors: string[];
  /** Placeholders a contact may lack, used without any fallback: the campaign must declare one. */
  missingFallbacks: string[];
}

/** What is wrong with a campaign's templates: unknown placeholders, parse errors, unescaped output, missing fallbacks. */
export function validateTemplates(t: { subject: string; html: string; text: string }, fallbacks: Fallbacks = {}): TemplateCheck {
  const unknown = new Set<string>();
  const missing = new Set<string>();
  const errors: string[] = [];
  for (const [part, template] of Object.entries(t)) {
    try {
      for (const name of placeholdersOf(template)) if (!(allowedPlaceholders as readonly string[]).includes(name)) unknown.add(name);
      for (const name of unguardedPlaceholders(template)) {
        const known = (allowedPlaceholders as readonly string[]).includes(name);
        const always = (alwaysPresentPlaceholders as readonly string[]).includes(name);
        if (known && !always && fallbacks[name as Placeholder] === undefined) missing.add(name);
      }
      if (part === 'html') {
        walk(Handlebars.parse(template).body as unknown as HbNode[], (n) => {
          if (n.type === 'MustacheStatement' && n.escaped === false)
            errors.push(`html: {{{${n.path?.original}}}} would bypass HTML escaping`);
        });
      }
    } catch (error) {
      errors.push(`${part}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { unknown: [...unknown].sort(), errors, missingFallbacks: [...missing].sort() };
}

type Compiled = (context: object) => string;
const cache = new Map<string, Compiled>();
function compile(template: string, htmlEscaped: boolean): Compiled {
  const k = `${htmlEscaped ? 'h' : 't'}:${template}`;
  let fn = cache.get(k);
  if (!fn) {
    fn = hb.compile(template, { noEscape: !htmlEscaped, strict: false, knownHelpersOnly: true, knownHelpers: { default: true } });
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
  return {
    subject: compile(
      templates.subject,
      false,
    )(context)
      .replace(/[\r\n]+/g, ' ')
      .trim(),
    html: compile(templates.html, true)(context),
    text: compile(templates.text, false)(context),
  };
}

/** Absolute http(s) links of `<a href>` in order, once each (per-link stats and local tracking). */
export function extractLinks(html: string): string[] {
  const links = new Set<string>();
  for (const m of html.matchAll(/<a\b[^>]*?\bhref\s*=\s*["'](https?:\/\/[^"']+)["']/gi)) links.add(m[1]!.replace(/&amp;/g, '&'));
  return [...links];
}
