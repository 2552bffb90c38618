import type { Contact } from '../contacts/contact';
import type { CriteriaDocument } from '../qualification/criteria';
import { reachedSal } from '../qualification/lead';
import { decided, type ReviewedLead, type ReviewGroup } from './model';
import { evidenceHolds, liftOf, MIN_SAMPLE, wilson } from './statistics';

/** Fit attributes the review groups leads by (what the criteria language tests and sales judges). */
export const fitDimensions = ['industry', 'companySize', 'seniority', 'country', 'region'] as const satisfies readonly (keyof Contact)[];

/** A lead "just over the line": its engagement score below this multiple of the threshold (hand-raisers aside). */
export const NEAR_THRESHOLD = 1.5;
export const nearThresholdLabel = `score below ${NEAR_THRESHOLD}× the threshold`;

/** The activity kinds of a lead: each intent clicked, each event type, hand-raiser, and a score just over the threshold. */
export function activityKeys(r: ReviewedLead): string[] {
  const keys = new Set<string>();
  for (const a of r.activities) {
    if (a.machine) continue;
    if (a.kind === 'click' && a.intent) keys.add(`intent\u0000${a.intent}`);
    if (a.kind === 'event' && a.eventType) keys.add(`event\u0000${a.eventType}`);
  }
  if (r.lead.handRaiser) keys.add('hand-raiser\u0000hand-raiser');
  const e = r.lead.engagement;
  if (!r.lead.handRaiser && e && e.score < e.threshold * NEAR_THRESHOLD) keys.add(`score\u0000${nearThresholdLabel}`);
  return [...keys];
}

function fitKeys(contact: Contact | undefined): string[] {
  if (!contact) return [];
  return fitDimensions.map((d) => `${d}\u0000${contact[d] ?? '(none)'}`);
}

type Tally = { kind: 'fit' | 'activity'; leads: number; decided: number; accepted: number };

/**
 * Per fit attribute value and per activity kind: leads, acceptance rate with its Wilson interval,
 * lift over the version's acceptance rate with its interval, and whether the evidence holds.
 * Sorted by dimension, then by n.
 */
export function groupsOf(leads: ReviewedLead[], baseline: number | null, minSample = MIN_SAMPLE): ReviewGroup[] {
  const tallies = new Map<string, Tally>();
  for (const r of leads) {
    const keys = [...fitKeys(r.contact).map((k) => ['fit', k] as const), ...activityKeys(r).map((k) => ['activity', k] as const)];
    for (const [kind, key] of keys) {
      const t = tallies.get(key) ?? { kind, leads: 0, decided: 0, accepted: 0 };
      tallies.set(key, t);
      t.leads++;
      if (!decided(r.lead)) continue;
      t.decided++;
      if (reachedSal(r.lead)) t.accepted++;
    }
  }
  return [...tallies]
    .map(([key, t]) => {
      const [dimension, value] = key.split('\u0000') as [string, string];
      const lift = liftOf(t.accepted, t.decided, baseline);
      return {
        kind: t.kind,
        dimension,
        value,
        leads: t.leads,
        decided: t.decided,
        accepted: t.accepted,
        acceptanceRate: t.decided ? t.accepted / t.decided : null,
        interval: wilson(t.accepted, t.decided),
        lift: lift.value,
        liftInterval: lift.interval,
        evidence: evidenceHolds(t.decided, lift, minSample),
      };
    })
    .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'fit' ? -1 : 1) || a.dimension.localeCompare(b.dimension) || b.decided - a.decided);
}

/** Points the document gives an intent or event type today (0 when unweighted). */
export function weightOf(document: CriteriaDocument, dimension: 'intent' | 'event', name: string): number {
  return (dimension === 'intent' ? document.engagement.intents[name] : document.engagement.events[name]) ?? 0;
}
