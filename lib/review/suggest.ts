import type { CriteriaAttribute, CriteriaDocument } from '../qualification/criteria';
import { outcomesOf, recordedEngagement, type BacktestDeps } from '../qualification/backtest';
import { reachedSal } from '../qualification/lead';
import type { ReportPeriod } from '../reports/period';
import type { Campaign } from '../sending/campaign';
import { nearThresholdLabel, weightOf } from './groups';
import { decided, type ReviewedLead, type ReviewGroup, type ReviewVersion } from './model';
import type { Interval } from './statistics';

/** A concrete edit of a criteria document. */
export type CriteriaEdit =
  | { kind: 'exclude'; attribute: CriteriaAttribute; value: string }
  /** With `threshold`, the threshold moves by as much as the weight rises: those who did it qualify as before, others need more. */
  | { kind: 'weight'; on: 'intent' | 'event'; name: string; from: number; to: number; threshold?: { from: number; to: number } }
  | { kind: 'threshold'; from: number; to: number };

export interface SuggestionBacktest {
  before: { mqls: number; mqlsPerMonth: number; acceptanceRate: number | null };
  after: { mqls: number; mqlsPerMonth: number; acceptanceRate: number | null };
  /** Past leads sales accepted that the edited criteria still make MQLs. */
  acceptedKept: { count: number; of: number; share: number | null };
  /** Past leads sales rejected (or recycled without accepting) that the edited criteria no longer make MQLs. */
  rejectedDropped: { count: number; of: number; share: number | null };
}

export interface Suggestion {
  /** 1-based: `mql criteria suggest ICP --draft N`. */
  n: number;
  title: string;
  edit: CriteriaEdit;
  evidence: {
    dimension: string;
    value: string;
    n: number;
    acceptanceRate: number | null;
    lift: number | null;
    liftInterval: Interval | null;
  };
  backtest: SuggestionBacktest;
}

/** A group whose acceptance rate is below this share of the version's is excluded outright (a weaker one only reported). */
export const EXCLUDE_BELOW_LIFT = 0.5;

/** Applies an edit to a document (a copy): the draft `--draft N` makes, and what the backtest evaluates. */
export function applyEdit(document: CriteriaDocument, edit: CriteriaEdit): CriteriaDocument {
  const d = structuredClone(document);
  if (edit.kind === 'exclude') {
    const name = `review: exclude ${edit.attribute} ${edit.value}`.slice(0, 100);
    d.exclusions.push({ name, when: { attribute: edit.attribute, op: 'equals', value: edit.value } });
  } else if (edit.kind === 'weight') {
    (edit.on === 'intent' ? d.engagement.intents : d.engagement.events)[edit.name] = edit.to;
    if (edit.threshold) d.engagement.threshold = edit.threshold.to;
  } else {
    d.engagement.threshold = edit.to;
  }
  return d;
}

const isAttribute = (d: string): d is CriteriaAttribute => ['industry', 'companySize', 'seniority', 'country', 'region'].includes(d);

/** The edit a group's evidence supports, if any (the group's evidence must hold already). */
function editFor(g: ReviewGroup, document: CriteriaDocument): { edit: CriteriaEdit; title: string } | null {
  const lift = `lift ${g.lift?.toFixed(2)}, 95 % interval ${g.liftInterval?.low.toFixed(2)}–${g.liftInterval?.high.toFixed(2)}, n = ${g.decided}`;
  if (g.kind === 'fit' && isAttribute(g.dimension) && g.value !== '(none)') {
    if (g.evidence !== 'lower' || (g.liftInterval?.high ?? 1) >= EXCLUDE_BELOW_LIFT) return null;
    return { edit: { kind: 'exclude', attribute: g.dimension, value: g.value }, title: `Exclude ${g.dimension} ${g.value} (${lift})` };
  }
  if (g.dimension === 'intent' || g.dimension === 'event') return weightEdit(g, document, lift);
  if (g.dimension === 'score' && g.value === nearThresholdLabel && g.evidence === 'lower') {
    const from = document.engagement.threshold;
    const to = Math.ceil(from * 1.5);
    return {
      edit: { kind: 'threshold', from, to },
      title: `Move the engagement threshold from ${from} to ${to}: leads just over it are accepted less (${lift})`,
    };
  }
  return null;
}

/**
 * An activity sales accepts more gains points, and the threshold rises by as much (so the edit
 * narrows, not widens, who qualifies: those who did it qualify as before, others need more
 * engagement); one sales accepts less loses half its points.
 */
function weightEdit(g: ReviewGroup, document: CriteriaDocument, lift: string): { edit: CriteriaEdit; title: string } | null {
  const on = g.dimension as 'intent' | 'event';
  const from = weightOf(document, on, g.value);
  const what = on === 'intent' ? `a click tagged intent:${g.value}` : `the ${g.value} event`;
  if (g.evidence === 'lower') {
    const to = Math.floor(from / 2);
    if (to === from) return null;
    return { edit: { kind: 'weight', on, name: g.value, from, to }, title: `Lower the points for ${what} from ${from} to ${to} (${lift})` };
  }
  const t = document.engagement.threshold;
  const delta = Math.max(1, Math.round(t));
  const to = Math.min(1000, from + delta);
  const threshold = { from: t, to: Math.min(100_000, t + (to - from)) };
  return {
    edit: { kind: 'weight', on, name: g.value, from, to, threshold },
    title: `Raise the points for ${what} from ${from} to ${to} and the threshold from ${threshold.from} to ${threshold.to}: those who did it qualify as before, others need more engagement (${lift})`,
  };
}

type Context = { version: ReviewVersion; document: CriteriaDocument; campaigns: Campaign[]; period: ReportPeriod; items: ReviewedLead[] };

const DAYS_PER_MONTH = 30.4375;

/**
 * Suggested edits of the latest version in use: one per group whose evidence holds (n at least the
 * minimum, an interval that excludes 1), each backtested on the period's campaigns against the
 * version as it is. Nothing is applied: `--draft N` makes a draft, publishing stays a person's act.
 */
export async function suggestionsFor(deps: BacktestDeps, context: Context): Promise<Suggestion[]> {
  const candidates = context.version.groups
    .filter((g) => g.evidence)
    .flatMap((g) => {
      const e = editFor(g, context.document);
      return e ? [{ ...e, group: g }] : [];
    });
  if (!candidates.length) return [];
  const recorded = await recordedEngagement(deps, context.campaigns);
  const months = ((Date.parse(context.period.to) - Date.parse(context.period.from)) / 86_400_000 + 1) / DAYS_PER_MONTH;
  const judged = new Map(context.items.filter((r) => decided(r.lead)).map((r) => [r.lead.contactId, reachedSal(r.lead)]));
  const measure = async (document: CriteriaDocument) => {
    const qualified = new Set((await outcomesOf(deps, document, recorded.perContact)).keys());
    const decidedIn = [...judged].filter(([id]) => qualified.has(id));
    const accepted = decidedIn.filter(([, ok]) => ok).length;
    return {
      qualified,
      mqls: qualified.size,
      mqlsPerMonth: round(qualified.size / months),
      acceptanceRate: decidedIn.length ? accepted / decidedIn.length : null,
    };
  };
  const before = await measure(context.document);
  const out: Suggestion[] = [];
  for (const [i, c] of candidates.entries()) {
    const after = await measure(applyEdit(context.document, c.edit));
    out.push({ n: i + 1, title: c.title, edit: c.edit, evidence: evidenceOf(c.group), backtest: compare(before, after, judged) });
  }
  return out;
}

const round = (x: number) => Math.round(x * 10) / 10;
const share = (count: number, of: number) => ({ count, of, share: of ? count / of : null });
const evidenceOf = (g: ReviewGroup): Suggestion['evidence'] => ({
  dimension: g.dimension,
  value: g.value,
  n: g.decided,
  acceptanceRate: g.acceptanceRate,
  lift: g.lift,
  liftInterval: g.liftInterval,
});

type Measured = { qualified: Set<string>; mqls: number; mqlsPerMonth: number; acceptanceRate: number | null };

function compare(before: Measured, after: Measured, judged: Map<string, boolean>): SuggestionBacktest {
  const accepted = [...judged].filter(([id, ok]) => ok && before.qualified.has(id)).map(([id]) => id);
  const rejected = [...judged].filter(([id, ok]) => !ok && before.qualified.has(id)).map(([id]) => id);
  const strip = ({ qualified: _q, ...m }: Measured) => m;
  return {
    before: strip(before),
    after: strip(after),
    acceptedKept: share(accepted.filter((id) => after.qualified.has(id)).length, accepted.length),
    rejectedDropped: share(rejected.filter((id) => !after.qualified.has(id)).length, rejected.length),
  };
}
