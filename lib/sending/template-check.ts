/**
 * Templates judged as the sender will judge them: parsed for what the pipeline supports, then
 * compiled and rendered by the sender's own Handlebars setup (render.ts) for a sample contact with
 * every field and for one with none. A template that passes here renders at send time.
 *
 * Supported: `{{field}}`, `{{default field "…"}}`, and the blocks `#if`, `#unless`, `#with` and
 * `#each` on known fields (`{{this}}` and `@index`-style data inside them). Refused: partials
 * (`{{> name}}`, there is nothing to resolve them against), decorators, other helpers, triple-stash
 * in HTML, and links that are not http(s), mailto or fragments (template-urls.ts).
 */
import Handlebars from 'handlebars';
import { allowedPlaceholders, alwaysPresentPlaceholders, renderMessage, type Fallbacks, type Placeholder } from './render';
import { linkProblems } from './template-urls';

interface HbNode {
  type: string;
  path?: HbNode & { original?: string; data?: boolean };
  params?: HbNode[];
  original?: string;
  data?: boolean;
  program?: { body: HbNode[] };
  inverse?: { body: HbNode[] };
  escaped?: boolean;
  name?: HbNode;
}

const helpers = new Set(['default']);
const blockHelpers = new Set(['if', 'unless', 'with', 'each']);
/** Block helpers whose main body runs only when their subject has a value (`unless`: its else branch). */
const guards = new Set(['if', 'with', 'each']);

const parse = (template: string) => Handlebars.parse(template).body as unknown as HbNode[];

function walk(nodes: HbNode[], visit: (n: HbNode) => void) {
  for (const n of nodes) {
    visit(n);
    if (n.program) walk(n.program.body, visit);
    if (n.inverse) walk(n.inverse.body, visit);
  }
}

/** Field names among a node's parameters, subexpressions included (`this` and `@data` are not fields). */
function paramNames(params: HbNode[] = [], names: Set<string>) {
  for (const p of params) {
    if (p.type === 'PathExpression' && p.original && !p.data && p.original !== 'this') names.add(p.original);
    if (p.type === 'SubExpression') {
      const head = p.path?.original;
      if (head && !helpers.has(head)) names.add(head);
      paramNames(p.params, names);
    }
  }
}

/** Placeholder names a template uses (helpers excluded, helper arguments included). */
export function placeholdersOf(template: string): string[] {
  const names = new Set<string>();
  walk(parse(template), (n) => {
    if (n.type !== 'MustacheStatement' && n.type !== 'BlockStatement') return;
    const head = n.path?.original;
    if (head && !n.path?.data && head !== 'this' && !helpers.has(head) && !blockHelpers.has(head)) names.add(head);
    paramNames(n.params, names);
  });
  return [...names];
}

/**
 * Placeholders used bare (no `default` helper, outside an `{{#if x}}`/`{{#with x}}`/`{{#each x}}`
 * of the same name or the else branch of `{{#unless x}}`): these render empty when the contact
 * lacks the value, unless a campaign-wide fallback is declared.
 */
export function unguardedPlaceholders(template: string): string[] {
  const names = new Set<string>();
  const visit = (nodes: HbNode[], guarded: Set<string>) => {
    for (const n of nodes) {
      const head = n.path?.original;
      const bare = n.type === 'MustacheStatement' && head && !n.path?.data && head !== 'this' && !helpers.has(head);
      if (bare && !(n.params ?? []).length && !guarded.has(head)) names.add(head);
      if (n.type !== 'BlockStatement') continue;
      const subject = n.params?.[0]?.original;
      const withSubject = subject ? new Set([...guarded, subject]) : guarded;
      if (n.program) visit(n.program.body, head && guards.has(head) ? withSubject : guarded);
      if (n.inverse) visit(n.inverse.body, head === 'unless' ? withSubject : guarded);
    }
  };
  visit(parse(template), new Set());
  return [...names];
}

/** What the parser accepts but the pipeline does not: partials, decorators, triple-stash in HTML. */
function unsupportedConstructs(template: string, html: boolean): string[] {
  const errors: string[] = [];
  walk(parse(template), (n) => {
    if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement')
      errors.push(`partials ({{> ${n.name?.original ?? '…'}}}) are not supported: write the content into the template`);
    if (n.type === 'Decorator' || n.type === 'DecoratorBlock') errors.push('decorators ({{* …}}) are not supported');
    if (html && n.type === 'MustacheStatement' && n.escaped === false) errors.push(`{{{${n.path?.original}}}} would bypass HTML escaping`);
  });
  return errors;
}

/** A contact with every field, and one with none: the two ends of what a send meets. */
const sampleContacts = (): Partial<Record<Placeholder, string>>[] => [
  Object.fromEntries(allowedPlaceholders.map((name) => [name, name === 'email' ? 'sample@example.com' : `Sample ${name}`])),
  { email: 'sample@example.com' },
];

export interface TemplateCheck {
  unknown: string[];
  errors: string[];
  /** Placeholders a contact may lack, used without any fallback: the campaign must declare one. */
  missingFallbacks: string[];
}

/** What is wrong with a campaign's templates: unknown placeholders, unsupported constructs, unsafe links, missing fallbacks, or a failed trial render. */
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
      for (const e of unsupportedConstructs(template, part === 'html')) errors.push(`${part}: ${e}`);
      if (part === 'html') for (const e of linkProblems(template)) errors.push(`${part}: ${e}`);
    } catch (error) {
      errors.push(`${part}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (!unknown.size && !errors.length) errors.push(...trialRenderErrors(t, fallbacks));
  return { unknown: [...unknown].sort(), errors, missingFallbacks: [...missing].sort() };
}

/** Renders each part with the sender's renderer for the sample contacts; answers what failed. */
function trialRenderErrors(t: { subject: string; html: string; text: string }, fallbacks: Fallbacks): string[] {
  const errors = new Set<string>();
  for (const [part, template] of Object.entries(t)) {
    const only = { subject: '', html: '', text: '', [part]: template };
    for (const contact of sampleContacts()) {
      try {
        renderMessage(only, contact, { unsubscribeUrl: 'https://unsubscribe.example/u/sample' }, fallbacks);
      } catch (error) {
        errors.add(`${part}: cannot be rendered: ${(error as Error).message.split('\n')[0]}`);
      }
    }
  }
  return [...errors];
}
