import { acceptedAt, type FollowUp, type Lead } from './lead';
import { median } from './lead-rates';

const HOUR_MS = 3_600_000;

/** When a lead entered MQL: its first history entry (the moment it was made), else its qualifying moment. */
export const mqlEnteredAt = (lead: Pick<Lead, 'stageHistory' | 'qualifiedAt'>) =>
  lead.stageHistory?.find((s) => s.stage === 'mql')?.at ?? lead.qualifiedAt;

/** The follow-up target of a lead: its own (set when made), else the default target after it became an MQL. */
export const followUpDueAt = (lead: Lead, defaultTargetHours: number) =>
  lead.followUp?.dueAt ?? new Date(Date.parse(mqlEnteredAt(lead)) + defaultTargetHours * HOUR_MS).toISOString();

/**
 * Speed-to-lead per owner, over the MQLs that alerted someone (historical MQLs are not waited on):
 * the share accepted within the follow-up target, and the median hours from MQL to accepted. An
 * escalated lead counts for the owner it was first routed to (`followUp.firstOwner`, else `owner`).
 */
export function speedToLeadByOwner(leads: Lead[], defaultTargetHours = 24) {
  const byOwner = new Map<string, { mqls: number; within: number; hours: number[] }>();
  for (const lead of leads) {
    if (lead.historical) continue;
    const owner = lead.followUp?.firstOwner ?? lead.owner;
    const row = byOwner.get(owner) ?? { mqls: 0, within: 0, hours: [] };
    byOwner.set(owner, row);
    row.mqls++;
    const at = acceptedAt(lead);
    if (!at) continue;
    if (at <= followUpDueAt(lead, defaultTargetHours)) row.within++;
    row.hours.push(Math.max(0, Date.parse(at) - Date.parse(mqlEnteredAt(lead))) / HOUR_MS);
  }
  return [...byOwner]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([owner, r]) => ({
      owner,
      mqls: r.mqls,
      acceptedWithinTarget: r.within,
      shareWithinTarget: r.mqls ? r.within / r.mqls : null,
      medianHoursToAccept: median(r.hours),
    }));
}

type BusinessHours = { startHour: number; endHour: number };

/** Moves `t` to the next moment inside business hours (Monday–Friday, UTC), or leaves it when inside. */
function nextWorkingMoment(t: Date, bh: BusinessHours): Date {
  const d = new Date(t);
  for (let i = 0; i < 8; i++) {
    const day = d.getUTCDay();
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), bh.startHour);
    const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), bh.endHour);
    if (day !== 0 && day !== 6 && d.getTime() < end) return new Date(Math.max(d.getTime(), start));
    d.setTime(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1, 0));
  }
  return d;
}

/** `start` plus `hours`, counting only business hours when they are given (clock hours otherwise). */
export function addFollowUpHours(start: Date, hours: number, bh?: BusinessHours): Date {
  if (!bh) return new Date(start.getTime() + hours * HOUR_MS);
  let t = nextWorkingMoment(start, bh);
  let left = hours * HOUR_MS;
  while (left > 0) {
    const end = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), bh.endHour);
    const step = Math.min(left, end - t.getTime());
    t = new Date(t.getTime() + step);
    left -= step;
    if (left > 0) t = nextWorkingMoment(t, bh);
  }
  return t;
}

/** The follow-up clock of a lead made at `madeAt`: the reminder at the rule's first mark, the escalation at its target. */
export function followUpFor(
  madeAt: Date,
  decision: { owner: string; escalateTo: string; targetHours: number },
  rule: { reminderAt: number; businessHours?: BusinessHours },
): FollowUp {
  return {
    remindAt: addFollowUpHours(madeAt, decision.targetHours * rule.reminderAt, rule.businessHours).toISOString(),
    dueAt: addFollowUpHours(madeAt, decision.targetHours, rule.businessHours).toISOString(),
    escalateTo: decision.escalateTo,
    firstOwner: decision.owner,
  };
}
