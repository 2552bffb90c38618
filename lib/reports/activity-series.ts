import type { CampaignMetrics } from '../engagement/metrics';
import type { ActivityPoint, Report } from './report';

/** The most a series can span: a campaign's event window (90 days by default) with room to spare. */
export const MAX_SERIES_DAYS = 400;

/**
 * Hours with activity, gaps filled, or days when the activity spans more than four days. Only hours
 * inside `bounds` (ISO times: the campaigns' sends to their event window's end, and never after the
 * report) are drawn, and never more than MAX_SERIES_DAYS, whatever is stored: one event dated
 * 9999-12-31 must not make millions of buckets.
 */
export function activitySeries(all: CampaignMetrics['hourly'], bounds?: { from: string; to: string }): Report['activity'] {
  const from = bounds ? bounds.from.slice(0, 13) : '';
  const to = bounds ? bounds.to.slice(0, 13) : '\uffff';
  const inside = all.filter((h) => h.hour >= from && h.hour <= to);
  const hourly = inside.length
    ? inside.filter((h) => Date.parse(`${h.hour}:00:00Z`) - Date.parse(`${inside[0]!.hour}:00:00Z`) <= MAX_SERIES_DAYS * 86_400_000)
    : [];
  if (!hourly.length) return { unit: 'hour', points: [] };
  const first = Date.parse(`${hourly[0]!.hour}:00:00Z`);
  const last = Date.parse(`${hourly[hourly.length - 1]!.hour}:00:00Z`);
  const unit = last - first > 96 * 3_600_000 ? 'day' : 'hour';
  const width = unit === 'day' ? 10 : 13;
  const step = unit === 'day' ? 86_400_000 : 3_600_000;
  const buckets = new Map<string, ActivityPoint>();
  const start = Date.parse(unit === 'day' ? `${hourly[0]!.hour.slice(0, 10)}T00:00:00Z` : `${hourly[0]!.hour}:00:00Z`);
  for (let t = start; t <= last; t += step) {
    const at = new Date(t).toISOString().slice(0, width);
    buckets.set(at, { at, opens: 0, humanOpens: 0, clicks: 0, humanClicks: 0 });
  }
  for (const h of hourly) {
    const p = buckets.get(h.hour.slice(0, width))!;
    p.opens += h.opens;
    p.humanOpens += h.humanOpens;
    p.clicks += h.clicks;
    p.humanClicks += h.humanClicks;
  }
  return { unit, points: [...buckets.values()] };
}
