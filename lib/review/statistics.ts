/**
 * The statistics of the criteria review, in one place (docs/qualification.md, "The quarterly
 * review", explains them in plain words).
 */

/** z for a two-sided 95 % interval. */
export const Z95 = 1.959964;

/** Fewest leads sales decided on in a group before the review suggests anything from it. @default 30 */
export const MIN_SAMPLE = 30;

export interface Interval {
  low: number;
  high: number;
}

/**
 * The Wilson score interval of a proportion: `k` successes in `n` trials. Unlike "rate ± 1.96 ×
 * standard error" it stays inside [0, 1] and stays honest at rates near 0 or 1 and small `n`
 * (Wilson 1927; Brown, Cai and DasGupta 2001 recommend it). Null when n is 0.
 */
export function wilson(k: number, n: number, z = Z95): Interval | null {
  if (n <= 0) return null;
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface Lift {
  /** The group's acceptance rate ÷ the version's: 1 is "no different from average". */
  value: number | null;
  /** The group rate's Wilson interval divided by the version's rate. */
  interval: Interval | null;
}

/**
 * A group's lift over its version's average acceptance rate, with a 95 % interval: the Wilson
 * interval of the group's rate scaled by the average. The average is treated as known (it is
 * measured on every decided lead of the version, far more than any group).
 */
export function liftOf(accepted: number, decided: number, baseline: number | null): Lift {
  if (!decided || !baseline) return { value: null, interval: null };
  const w = wilson(accepted, decided)!;
  return { value: accepted / decided / baseline, interval: { low: w.low / baseline, high: w.high / baseline } };
}

/** Whether the evidence holds: enough leads, and an interval that excludes 1 ("no effect"). */
export function evidenceHolds(decided: number, lift: Lift, minSample = MIN_SAMPLE): 'higher' | 'lower' | null {
  if (decided < minSample || !lift.interval) return null;
  if (lift.interval.low > 1) return 'higher';
  if (lift.interval.high < 1) return 'lower';
  return null;
}
