import Handlebars from 'handlebars';

/**
 * Per-recipient personalisation with Handlebars. Values are HTML-escaped in the HTML part and left
 * as text in the text part and subject; a missing value renders its declared fallback
 * (`{{default firstName "there"}}`) or nothing — never a raw `{{firstName}}`.
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

const helpers = new Set(['default']);

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

export interface TemplateCheck {
  unknown: string[];
  errors: string[];
}

/** What is wrong with a campaign's templates: unknown placeholders, parse errors, unescaped output. */
export function validateTemplates(t: { subject: string; html: string; text: string }): TemplateCheck {
  const unknown = new Set<string>();
  const errors: string[] = [];
  for (const [part, template] of Object.entries(t)) {
    try {
      for (const name of placeholdersOf(template)) if (!(allowedPlaceholders as readonly string[]).includes(name)) unknown.add(name);
      if (part === 'html') {
        walk(Handlebars.parse(template).body as unknown as HbNode[], (n) => {
          if (n.type === 'MustacheStatement' && n.escaped === false) errors.push(`html: {{{${n.path?.original}}}} would bypass HTML escaping`);
        });
      }
    } catch (error) {
      errors.push(`${part}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { unknown: [...unknown].sort(), errors };
}

type Compiled = (context: object) => string;
const cache = new Map<string, Compiled>();
function compile(template: string, escape: boolean): Compiled {
  const k = `${escape ? 'h' : 't'}:${template}`;
  let fn = cache.get(k);
  if (!fn) {
    fn = hb.compile(template, { noEscape: !escape, strict: false, knownHelpersOnly: true, knownHelpers: { default: true } });
    if (cache.size > 200) cache.clear(); // bounded: a container renders few distinct campaigns
    cache.set(k, fn);
  }
  return fn;
}

export function renderMessage(
  templates: { subject: string; html: string; text: string },
  contact: Partial<Record<(typeof allowedPlaceholders)[number], unknown>>,
  extras: { unsubscribeUrl: string },
): { subject: string; html: string; text: string } {
  const context = { ...contact, ...extras };
  return {
    subject: compile(templates.subject, false)(context).replace(/[\r\n]+/g, ' ').trim(),
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
