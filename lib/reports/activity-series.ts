import type { CampaignMetrics } from '../engagement/metrics';
import type { ActivityPoint, Report } from './report';

/** Hours with activity, gaps filled, or days when the activity spans more than four days. */
export function activitySeries(hourly: CampaignMetrics['hourly']): Report['activity'] {
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
