import { RE2JS } from 're2js';
import { emailDomainOf, type Contact } from '../contacts/contact';
import { orderedBands, type Condition, type CriteriaAttribute, type CriteriaDocument, type Predicate } from './criteria';

/**
 * One scored thing a contact did: a human click or open of a campaign (from SES events) or an
 * engagement event posted through the API. Kept per contact (the activity ledger) so scores span
 * campaigns; its `key` is its identity, so recording it twice changes nothing.
 */
export interface Activity {
  key: string;
  contactId: string;
  kind: 'click' | 'open' | 'event';
  /** When it happened (ISO 8601). */
  at: string;
  campaignId?: string;
  linkId?: string;
  linkUrl?: string;
  /** The link's `intent` tag (SES link tags, e.g. `intent:pricing`). */
  intent?: string;
  /** For `event`: its type, e.g. `webinar-attended`. */
  eventType?: string;
  /** Reclassified as machine activity (a link scanner's burst): kept, never scored. */
  machine?: boolean;
  /** The contact was erased: only the key, kind, time and campaign are kept, and it never scores. */
  erasedAt?: string;
}

/** What an activity keeps after its contact's erasure. */
export function sealedActivity(a: Activity, at: string): Activity {
  return {
    key: a.key,
    contactId: a.contactId,
    kind: a.kind,
    at: a.at,
    ...(a.campaignId ? { campaignId: a.campaignId } : {}),
    machine: true,
    erasedAt: a.erasedAt ?? at,
  };
}

const labels: Partial<Record<CriteriaAttribute, string>> = {
  emailDomain: 'email domain',
  companySize: 'company size',
  ageBand: 'age band',
  incomeBand: 'income band',
  contactMe: 'contact me',
};
const labelOf = (a: CriteriaAttribute) => labels[a] ?? a;

type Value = string | boolean | string[] | undefined;

function attributeValue(contact: Contact, attribute: CriteriaAttribute): Value {
  if (attribute === 'emailDomain') return emailDomainOf(contact.email);
  const v = contact[attribute as keyof Contact] as Value | number;
  return typeof v === 'number' ? String(v) : v;
}

const patterns = new Map<string, RE2JS>();
function compiled(pattern: string, caseSensitive: boolean): RE2JS {
  const k = `${caseSensitive ? 's' : 'i'}:${pattern}`;
  let p = patterns.get(k);
  if (!p) {
    p = RE2JS.compile(pattern, caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE);
    if (patterns.size > 500) patterns.clear();
    patterns.set(k, p);
  }
  return p;
}

const lower = (s: string) => s.toLowerCase();
const present = (v: Value) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);

/** Whether a predicate holds, and the contact's values that made it hold (for the reasons). */
function testPredicate(p: Predicate, contact: Contact): { ok: boolean; matched: string[] } {
  const v = attributeValue(contact, p.attribute);
  const list = Array.isArray(v) ? v : v === undefined ? [] : [String(v)];
  switch (p.op) {
    case 'equals': {
      if (typeof p.value === 'boolean') return { ok: v === p.value, matched: v === p.value ? [String(v)] : [] };
      const m = list.filter((x) => lower(x) === lower(p.value as string));
      return { ok: m.length > 0, matched: m };
    }
    case 'in': {
      const allowed = new Set(p.values.map(lower));
      const m = list.filter((x) => allowed.has(lower(x)));
      return { ok: m.length > 0, matched: m };
    }
    case 'range': {
      const bands = orderedBands[p.attribute]!;
      const lo = p.min === undefined ? 0 : bands.indexOf(p.min);
      const hi = p.max === undefined ? bands.length - 1 : bands.indexOf(p.max);
      const m = list.filter((x) => {
        const i = bands.indexOf(x);
        return i >= lo && i <= hi && i >= 0;
      });
      return { ok: m.length > 0, matched: m };
    }
    case 'pattern': {
      const re = compiled(p.pattern, p.caseSensitive);
      const m = list.filter((x) => re.matcher(x).find());
      return { ok: m.length > 0, matched: m };
    }
    case 'exists': {
      const ok = present(v) === p.value;
      return { ok, matched: ok && present(v) ? list : [] };
    }
  }
}

export function testCondition(c: Condition, contact: Contact): boolean {
  if ('all' in c) return c.all.every((x) => testCondition(x, contact));
  if ('any' in c) return c.any.some((x) => testCondition(x, contact));
  if ('not' in c) return !testCondition(c.not, contact);
  return testPredicate(c, contact).ok;
}

/** A condition in plain words, without the contact's values ("industry is one of Software, Retail"). */
export function describeCondition(c: Condition): string {
  if ('all' in c) return c.all.map(describeCondition).join(' and ');
  if ('any' in c) return `(${c.any.map(describeCondition).join(' or ')})`;
  if ('not' in c) return `not (${describeCondition(c.not)})`;
  const label = labelOf(c.attribute);
  switch (c.op) {
    case 'equals':
      return `${label} is ${c.value}`;
    case 'in':
      return c.values.length === 1 ? `${label} is ${c.values[0]}` : `${label} is one of ${c.values.join(', ')}`;
    case 'range':
      if (c.min && c.max) return `${label} is between ${c.min} and ${c.max}`;
      return c.min ? `${label} is at least ${c.min}` : `${label} is at most ${c.max}`;
    case 'pattern':
      return `${label} matches /${c.pattern}/`;
    case 'exists':
      return c.value ? `${label} is known` : `${label} is unknown`;
  }
}

/** A condition that held, in plain words with the contact's own values ("industry is Software"). */
function explainMatch(c: Condition, contact: Contact): string {
  if ('all' in c) return c.all.map((x) => explainMatch(x, contact)).join(' and ');
  if ('any' in c) return explainMatch(c.any.find((x) => testCondition(x, contact))!, contact);
  if ('not' in c) return describeCondition(c);
  const { matched } = testPredicate(c, contact);
  const label = labelOf(c.attribute);
  const shown = matched.join(', ');
  switch (c.op) {
    case 'pattern':
      return `${label} ${shown} matches /${c.pattern}/`;
    case 'exists':
      return c.value ? `${label} is known (${shown})` : `${label} is unknown`;
    default:
      return `${label} is ${shown}`;
  }
}

export interface FitEvaluation {
  passed: boolean;
  score: number;
  threshold: number;
  /** Rules that matched, with their points and the reason in plain words. */
  matched: { rule: string; points: number; reason: string }[];
  /** Required rules that did not match. */
  failedRequired: string[];
  /** The exclusion (negative rule) that disqualified the contact, if any. */
  excludedBy?: string;
}

export function evaluateFit(criteria: CriteriaDocument, contact: Contact): FitEvaluation {
  const exclusion = criteria.exclusions.find((x) => testCondition(x.when, contact));
  const matched: FitEvaluation['matched'] = [];
  const failedRequired: string[] = [];
  let score = 0;
  for (const rule of criteria.fit.rules) {
    if (testCondition(rule.when, contact)) {
      score += rule.points;
      matched.push({ rule: rule.name, points: rule.points, reason: explainMatch(rule.when, contact) });
    } else if (rule.required) {
      failedRequired.push(`${rule.name}: needs ${describeCondition(rule.when)}`);
    }
  }
  const excludedBy = exclusion ? `${exclusion.name} (${explainMatch(exclusion.when, contact)})` : undefined;
  const passed = !excludedBy && !failedRequired.length && score >= criteria.fit.threshold;
  return { passed, score, threshold: criteria.fit.threshold, matched, failedRequired, ...(excludedBy ? { excludedBy } : {}) };
}

export interface Contribution {
  key: string;
  at: string;
  what: string;
  /** Points as scored, before decay. */
  points: number;
  /** Points left at the moment of evaluation, after decay (rounded to 0.01). */
  worth: number;
}

export interface Evaluation {
  qualified: boolean;
  fit: FitEvaluation;
  engagement: { score: number; threshold: number; contributions: Contribution[] };
  /** Qualified through the hand-raiser fast track (on fit alone). */
  handRaiser: boolean;
  /** The activity at whose moment the contact qualified; its campaign is the lead's attribution. */
  trigger?: Activity;
  qualifiedAt?: string;
  /** Plain-words reasons for the sales email and the lead record. */
  reasons: string[];
}

export function describeActivity(a: Activity): string {
  if (a.kind === 'click') return `clicked ${a.linkUrl ?? 'a link'}${a.intent ? ` (intent ${a.intent})` : ''}`;
  if (a.kind === 'open') return `opened the email of campaign ${a.campaignId ?? '(unknown)'}`;
  return `${a.eventType} (engagement event${a.campaignId ? ` for campaign ${a.campaignId}` : ''})`;
}

export function activityPoints(criteria: CriteriaDocument, a: Activity): number {
  if (a.machine) return 0;
  const e = criteria.engagement;
  if (a.kind === 'click') return e.humanClick + (a.intent ? (e.intents[a.intent] ?? 0) : 0);
  if (a.kind === 'open') return e.humanOpen;
  return e.events[a.eventType ?? ''] ?? 0;
}

function isHandRaising(criteria: CriteriaDocument, contact: Contact, a: Activity): boolean {
  if (a.machine) return false;
  const h = criteria.handRaiser;
  if (a.kind === 'click' && a.intent && h.intents.includes(a.intent)) return true;
  if (a.kind === 'event' && a.eventType && h.events.includes(a.eventType)) return true;
  return h.contactMe && contact.contactMe === true;
}

const DAY_MS = 86_400_000;
const round = (n: number) => Math.round(n * 100) / 100;
const byTime = (a: Activity, b: Activity) => a.at.localeCompare(b.at) || a.key.localeCompare(b.key);

/**
 * Evaluates a contact against criteria. The contact qualifies at the first activity moment at which
 * fit passes and either the engagement score (each activity's points, decayed to that moment)
 * reaches the threshold or the activity is a hand-raise. Machine activity never scores. The result
 * depends only on the set of activities, not on the order they were recorded in.
 *
 * `since`: only activities from then on count (a lifecycle after a rejection);
 * `notBefore`: the moment must be at or after it (the end of a cool-down).
 */
export function evaluate(
  criteria: CriteriaDocument,
  contact: Contact,
  activities: Activity[],
  options: { since?: string; notBefore?: string } = {},
): Evaluation {
  const fit = evaluateFit(criteria, contact);
  const counted = activities.filter((a) => !a.machine && (!options.since || a.at >= options.since)).sort(byTime);
  const halfLife = criteria.engagement.decay ? criteria.engagement.decay.halfLifeDays * DAY_MS : undefined;
  const decayTo = (from: string, to: string) => (halfLife ? 0.5 ** ((Date.parse(to) - Date.parse(from)) / halfLife) : 1);
  const threshold = criteria.engagement.threshold;

  let score = 0;
  let last: string | undefined;
  let trigger: Activity | undefined;
  let handRaiser = false;
  const seen: Activity[] = [];
  for (const a of counted) {
    if (last) score *= decayTo(last, a.at);
    score += activityPoints(criteria, a);
    last = a.at;
    seen.push(a);
    if (!fit.passed || (options.notBefore && a.at < options.notBefore)) continue;
    if (isHandRaising(criteria, contact, a)) {
      trigger = a;
      handRaiser = true;
      break;
    }
    if (score >= threshold - 1e-9) {
      trigger = a;
      break;
    }
  }
  const moment = trigger?.at ?? last;
  const contributions: Contribution[] = seen
    .map((a) => {
      const pts = activityPoints(criteria, a);
      return { key: a.key, at: a.at, what: describeActivity(a), points: pts, worth: round(moment ? pts * decayTo(a.at, moment) : pts) };
    })
    .filter((c) => c.points > 0 || c.key === trigger?.key);
  const engagement = { score: round(score), threshold, contributions };

  const reasons: string[] = [];
  if (fit.excludedBy) reasons.push(`Excluded: ${fit.excludedBy}`);
  for (const m of fit.matched) reasons.push(`Fit: ${m.reason}${m.points ? ` (${m.points > 0 ? '+' : ''}${m.points})` : ''}`);
  for (const f of fit.failedRequired) reasons.push(`Not a fit: ${f}`);
  if (criteria.fit.threshold || fit.matched.some((m) => m.points)) reasons.push(`Fit score ${fit.score} (threshold ${fit.threshold})`);
  if (handRaiser && trigger) reasons.push(`Hand-raiser: ${describeActivity(trigger)} at ${trigger.at}`);
  for (const c of contributions) reasons.push(`Engagement: ${c.what} at ${c.at} (+${c.worth})`);
  if (!handRaiser) reasons.push(`Engagement score ${round(score)} (threshold ${threshold})`);

  return trigger
    ? { qualified: true, fit, engagement, handRaiser, trigger, qualifiedAt: trigger.at, reasons }
    : { qualified: false, fit, engagement, handRaiser: false, reasons };
}
