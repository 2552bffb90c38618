import { z } from 'zod';
import { ValidationError } from '../common/errors';

/** Longest period one report covers: a year (a leap year's worth of days). */
export const MAX_PERIOD_DAYS = 366;

/**
 * A reporting period: whole UTC days, `to` included ("1 to 7 January" is seven days). A campaign
 * belongs to the period in which it was sent (its send request), not created.
 */
export interface ReportPeriod {
  from: string;
  to: string;
}

const day = z.iso.date({ message: 'must be a date as YYYY-MM-DD' });
export const periodRequestSchema = z.object({ from: day, to: day }).strict();

const DAY_MS = 86_400_000;

/** Parses `{ from, to }` or throws a ValidationError that names the problem. */
export function parsePeriod(input: unknown): ReportPeriod {
  const parsed = periodRequestSchema.safeParse(input);
  if (!parsed.success)
    throw new ValidationError('invalid period: expected { "from": "YYYY-MM-DD", "to": "YYYY-MM-DD" }', parsed.error.issues);
  const { from, to } = parsed.data;
  if (to < from)
    throw new ValidationError(`invalid period: "to" (${to}) is before "from" (${from})`, [
      { path: ['to'], message: 'must not be before from' },
    ]);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days > MAX_PERIOD_DAYS) {
    throw new ValidationError(`invalid period: ${days} days; at most ${MAX_PERIOD_DAYS}`, [
      { path: ['to'], message: `the period may span at most ${MAX_PERIOD_DAYS} days` },
    ]);
  }
  return { from, to };
}

/** The period's bounds as instants: [start of `from`, start of the day after `to`). */
export function periodBounds(p: ReportPeriod): { start: string; end: string } {
  return { start: `${p.from}T00:00:00.000Z`, end: new Date(Date.parse(p.to) + DAY_MS).toISOString() };
}

/** The `days` whole UTC days before `now`'s day: the daily report's rolling window. */
export function previousDays(now: Date, days: number): ReportPeriod {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { from: new Date(today - days * DAY_MS).toISOString().slice(0, 10), to: new Date(today - DAY_MS).toISOString().slice(0, 10) };
}
