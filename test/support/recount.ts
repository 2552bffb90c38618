import { flagActivity, type MachineRules } from '../../lib/engagement/machine-activity';
import type { EngagementEvent } from '../../lib/engagement/ses-event';
import type { EngagementStore } from '../../lib/engagement/ports';
import { computeMetrics, type CampaignMetrics } from '../../lib/engagement/metrics';

export interface Recount {
  sent: number;
  delivered: number;
  bounced: number;
  complained: number;
  unsubscribed: number;
  uniqueOpens: number;
  uniqueClicks: number;
  totalOpens: number;
  totalClicks: number;
  humanUniqueOpens: number;
  humanUniqueClicks: number;
  humanTotalClicks: number;
}

/**
 * An independent recount of a campaign's figures straight from an event log: dedupe by key,
 * then count per recipient. Written separately from the pipeline's projection so that a shared bug
 * does not hide itself.
 */
export function recount(
  events: EngagementEvent[],
  campaignId: string,
  rules: MachineRules,
  unsubscribeBaseUrl = 'https://acme.example/u',
): Recount {
  const unique = new Map(events.filter((e) => e.campaignId === campaignId).map((e) => [e.key, e]));
  const byRecipient = new Map<string, EngagementEvent[]>();
  for (const e of unique.values()) byRecipient.set(e.contactId, [...(byRecipient.get(e.contactId) ?? []), e]);
  const r: Recount = {
    sent: 0,
    delivered: 0,
    bounced: 0,
    complained: 0,
    unsubscribed: 0,
    uniqueOpens: 0,
    uniqueClicks: 0,
    totalOpens: 0,
    totalClicks: 0,
    humanUniqueOpens: 0,
    humanUniqueClicks: 0,
    humanTotalClicks: 0,
  };
  for (const list of byRecipient.values()) {
    const has = (t: EngagementEvent['type']) => list.some((e) => e.type === t);
    if (has('send')) r.sent++;
    if (has('delivery')) r.delivered++;
    if (has('bounce')) r.bounced++;
    if (has('complaint')) r.complained++;
    if (list.some((e) => e.type === 'subscription' && e.unsubscribeAll)) r.unsubscribed++;
    const opens = list.filter((e) => e.type === 'open');
    // The way out is no click: a link tagged so, or any link under the unsubscribe base URL.
    const clicks = list.filter(
      (e) =>
        e.type === 'click' &&
        !['unsubscribe', 'preferences'].includes(e.linkTags?.intent?.[0] ?? '') &&
        !(e.link ?? '').startsWith(`${unsubscribeBaseUrl}/`),
    );
    const humanClicks = clicks.filter((c) => {
      if (flagActivity('click', c, rules)) return false;
      const second = Math.floor(Date.parse(c.at) / 1000);
      const near = new Set(
        clicks.filter((o) => Math.abs(Math.floor(Date.parse(o.at) / 1000) - second) <= rules.burstWindowSeconds).map((o) => o.link),
      );
      return near.size < rules.burstLinks;
    });
    const humanOpens = opens.filter((o) => !flagActivity('open', o, rules));
    r.totalOpens += opens.length || (clicks.length ? 1 : 0); // a click implies an open, in totals as in uniques
    r.totalClicks += clicks.length;
    r.humanTotalClicks += humanClicks.length;
    if (opens.length || clicks.length) r.uniqueOpens++;
    if (clicks.length) r.uniqueClicks++;
    if (humanOpens.length || humanClicks.length) r.humanUniqueOpens++;
    if (humanClicks.length) r.humanUniqueClicks++;
  }
  return r;
}

/** A campaign's metrics in the recount's terms, field for field. */
export function asRecount(m: CampaignMetrics): Recount {
  return {
    sent: m.sent,
    delivered: m.delivered,
    bounced: m.bounced,
    complained: m.complained,
    unsubscribed: m.unsubscribed,
    uniqueOpens: m.uniqueOpens,
    uniqueClicks: m.uniqueClicks,
    totalOpens: m.totalOpens,
    totalClicks: m.totalClicks,
    humanUniqueOpens: m.human.uniqueOpens,
    humanUniqueClicks: m.human.uniqueClicks,
    humanTotalClicks: m.human.totalClicks,
  };
}

/** The named fields of a recount, to compare part of one with another. */
export function fieldsOf<K extends keyof Recount>(r: Recount, names: readonly K[]): Pick<Recount, K> {
  return Object.fromEntries(names.map((k) => [k, r[k]])) as Pick<Recount, K>;
}

/** What the pipeline stored for a campaign, in the recount's terms, to compare with it. */
export async function figures(store: EngagementStore, campaignId: string): Promise<Recount> {
  return asRecount(computeMetrics((await store.campaignCounters(campaignId)).counters));
}
