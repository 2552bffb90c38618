/**
 * A recipient's engagement with one campaign: its state, how an event changes it, and the counters
 * it contributes. Whether an open or a click was a machine's is judged in machine-activity.ts; here
 * the flags are kept and counted.
 */
import { shortHash } from '../common/ids';
import type { EngagementEvent } from './ses-event';
import { classifyClicks, flagActivity, type MachineRules } from './machine-activity';

/**
 * What we know of one recipient of one campaign. It is a function of the *set* of events applied,
 * not of their order, so a shuffled or duplicated replay ends in the same state. Campaign figures
 * are sums of `project(state)` over recipients, maintained as deltas (see recordEngagement).
 */
export interface RecipientEngagement {
  campaignId: string;
  contactId: string;
  /** Keys of every event applied: the dedup set. */
  seen: string[];
  sentAt?: string;
  deliveredAt?: string;
  bounceType?: string;
  bounceSubType?: string;
  complainedAt?: string;
  unsubscribedAt?: string;
  rejected?: boolean;
  renderingFailed?: boolean;
  delays?: number;
  /** [epoch seconds, machine flag or ''] per open, sorted. */
  opens: [number, string][];
  /** [epoch seconds, link id, per-event machine flag or '', intent or ''] per click, sorted. */
  clicks: [number, string, string, string][];
  /**
   * Set when the contact's data was erased: the state is then empty, and no later event changes it
   * (what it contributed stays in the campaign's counters; a replayed event cannot count twice).
   */
  erasedAt?: string;
}

/** Link intents that mean "leave me alone", not interest: never a click for rates or qualification. */
const nonClickIntents = new Set(['unsubscribe', 'preferences']);

export function emptyRecipient(campaignId: string, contactId: string): RecipientEngagement {
  return { campaignId, contactId, seen: [], opens: [], clicks: [] };
}

export function linkIdFor(url: string): string {
  return shortHash(url, 8);
}

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const minIso = (a: string | undefined, b: string) => (a === undefined || b < a ? b : a);

function intentOf(event: EngagementEvent): string {
  const tags = event.linkTags ?? {};
  return tags.intent?.[0] ?? '';
}

/**
 * Whether a click is not interest: a link tagged `intent:unsubscribe` or `intent:preferences`, or
 * one of the pipeline's own links (`isOwnLink`, recognised by the unsubscribe base URL whatever its
 * tags). Such a click is remembered as seen and changes nothing else.
 */
export function isNonClick(event: EngagementEvent, isOwnLink?: (url: string) => boolean): boolean {
  return event.type === 'click' && (nonClickIntents.has(intentOf(event)) || (!!event.link && !!isOwnLink?.(event.link)));
}

/**
 * Applies one event. Returns the same object when the event was already applied (duplicate).
 * Pure: the caller persists the result.
 */
export function applyEvent(
  state: RecipientEngagement,
  event: EngagementEvent,
  rules: MachineRules,
  isOwnLink?: (url: string) => boolean,
): RecipientEngagement {
  if (state.erasedAt || state.seen.includes(event.key)) return state;
  const next: RecipientEngagement = {
    ...state,
    seen: [...state.seen, event.key].sort(),
    opens: state.opens,
    clicks: state.clicks,
  };
  switch (event.type) {
    case 'send':
      next.sentAt = minIso(state.sentAt, event.at);
      break;
    case 'delivery':
      next.deliveredAt = minIso(state.deliveredAt, event.at);
      break;
    case 'bounce':
      // A permanent bounce outranks a transient one, whatever order they arrive in.
      if (state.bounceType !== 'Permanent') {
        next.bounceType = event.bounceType;
        next.bounceSubType = event.bounceSubType;
      }
      break;
    case 'complaint':
      next.complainedAt = minIso(state.complainedAt, event.at);
      break;
    case 'subscription':
      if (event.unsubscribeAll) next.unsubscribedAt = minIso(state.unsubscribedAt, event.at);
      break;
    case 'reject':
      next.rejected = true;
      break;
    case 'renderingFailure':
      next.renderingFailed = true;
      break;
    case 'deliveryDelay':
      next.delays = (state.delays ?? 0) + 1;
      break;
    case 'open': {
      const flag = flagActivity('open', event, rules) ?? '';
      next.opens = [...state.opens, [epochSeconds(event.at), flag] as [number, string]].sort(compareTuples);
      break;
    }
    case 'click': {
      // Following the unsubscribe link is not interest; the unsubscription itself is recorded apart.
      if (isNonClick(event, isOwnLink)) break;
      const intent = intentOf(event);
      const flag = flagActivity('click', event, rules) ?? '';
      const entry: [number, string, string, string] = [epochSeconds(event.at), linkIdFor(event.link!), flag, intent];
      next.clicks = [...state.clicks, entry].sort(compareTuples);
      break;
    }
  }
  return next;
}

function compareTuples(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

/** A recipient's contribution to the campaign's figures. Every field sums across recipients. */
export interface Counters {
  [name: string]: number;
}

/** The hours seen lately, each formatted once: a batch folds thousands of events from a few hours. */
const hourNames = new Map<number, string>();
function hourOf(epoch: number): string {
  const hour = Math.floor(epoch / 3600);
  let name = hourNames.get(hour);
  if (name === undefined) {
    if (hourNames.size >= 10_000) hourNames.clear(); // a bound, not an eviction policy: refilled in a few events
    name = new Date(hour * 3_600_000).toISOString().slice(0, 13);
    hourNames.set(hour, name);
  }
  return name;
}

/**
 * Flattens a recipient into additive counters: `sent`, `delivered`, uniques (`opened`,
 * `humanOpened`, `clicked`, `humanClicked` …) and totals, plus `link:<id>:…`, `hour:<yyyy-mm-ddThh>:…`
 * and `flag:<rule>` keys. A click implies an open, so `opened ≥ clicked` and `opens ≥ opened` always hold.
 */
export function project(state: RecipientEngagement, rules: MachineRules): Counters {
  const c: Counters = {};
  const add = (k: string, n = 1) => {
    if (n) c[k] = (c[k] ?? 0) + n;
  };
  if (state.sentAt) add('sent');
  if (state.deliveredAt) add('delivered');
  if (state.bounceType) add(state.bounceType === 'Permanent' ? 'bouncedPermanent' : 'bouncedTransient');
  if (state.bounceType) add('bounced');
  if (state.complainedAt) add('complained');
  if (state.unsubscribedAt) add('unsubscribed');
  if (state.rejected) add('rejected');
  if (state.renderingFailed) add('renderingFailed');
  if (state.delays) add('delayedRecipients');

  const clickFlags = classifyClicks(state.clicks, rules);
  const humanOpens = state.opens.filter(([, f]) => !f);
  const humanClicks = state.clicks.filter((_, i) => !clickFlags[i]);

  // A click implies an open (images blocked): it counts once in the totals as in the uniques, so a
  // total is never below its unique (docs/engagement.md, "Totals and uniques").
  add('opens', state.opens.length || (state.clicks.length ? 1 : 0));
  add('humanOpens', humanOpens.length || (humanClicks.length ? 1 : 0));
  add('clicks', state.clicks.length);
  add('humanClicks', humanClicks.length);
  add('opened', state.opens.length || state.clicks.length ? 1 : 0);
  add('humanOpened', humanOpens.length || humanClicks.length ? 1 : 0);
  add('clicked', state.clicks.length ? 1 : 0);
  add('humanClicked', humanClicks.length ? 1 : 0);

  for (const [, flag] of state.opens) if (flag) add(`flag:${flag}`);
  for (const flag of clickFlags) if (flag) add(`flag:${flag}`);

  const links = new Map<string, { total: number; human: number }>();
  state.clicks.forEach(([at, link], i) => {
    const entry = links.get(link) ?? { total: 0, human: 0 };
    entry.total++;
    if (!clickFlags[i]) entry.human++;
    links.set(link, entry);
    const hour = hourOf(at);
    add(`hour:${hour}:clicks`);
    if (!clickFlags[i]) add(`hour:${hour}:humanClicks`);
  });
  for (const [link, { total, human }] of links) {
    add(`link:${link}:clicks`, total);
    add(`link:${link}:clicked`);
    add(`link:${link}:humanClicks`, human);
    add(`link:${link}:humanClicked`, human ? 1 : 0);
  }
  for (const [at, flag] of state.opens) {
    const hour = hourOf(at);
    add(`hour:${hour}:opens`);
    if (!flag) add(`hour:${hour}:humanOpens`);
  }
  return c;
}

export function subtractCounters(after: Counters, before: Counters): Counters {
  const out: Counters = {};
  for (const k of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const d = (after[k] ?? 0) - (before[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

export function addCounters(into: Counters, delta: Counters): Counters {
  for (const [k, v] of Object.entries(delta)) {
    const sum = (into[k] ?? 0) + v;
    if (sum) into[k] = sum;
    else delete into[k];
  }
  return into;
}
