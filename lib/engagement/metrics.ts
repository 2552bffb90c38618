import type { Counters } from './recipient';

/**
 * The figures marketers act on, computed from summed recipient counters (definitions: docs/engagement.md).
 * Rates are fractions (0.25 = 25 %), `null` when the denominator is zero.
 */
export interface CampaignMetrics {
  sent: number;
  delivered: number;
  bounced: number;
  bouncedPermanent: number;
  complained: number;
  unsubscribed: number;
  rejected: number;
  uniqueOpens: number;
  uniqueClicks: number;
  totalOpens: number;
  totalClicks: number;
  human: { uniqueOpens: number; uniqueClicks: number; totalOpens: number; totalClicks: number };
  rates: {
    openRate: number | null;
    clickRate: number | null;
    clickToOpenRate: number | null;
    bounceRate: number | null;
    complaintRate: number | null;
    unsubscribeRate: number | null;
    human: { openRate: number | null; clickRate: number | null; clickToOpenRate: number | null };
  };
  machineFlags: Record<string, number>;
  links: { linkId: string; url?: string; uniqueClicks: number; totalClicks: number; humanUniqueClicks: number; humanClicks: number }[];
  hourly: { hour: string; opens: number; humanOpens: number; clicks: number; humanClicks: number }[];
}

const ratio = (n: number, d: number) => (d > 0 ? n / d : null);

export function computeMetrics(c: Counters, linkUrls: Record<string, string> = {}): CampaignMetrics {
  const n = (k: string) => c[k] ?? 0;
  const delivered = n('delivered');
  const machineFlags: Record<string, number> = {};
  const links = new Map<string, CampaignMetrics['links'][number]>();
  const hours = new Map<string, CampaignMetrics['hourly'][number]>();
  for (const [key, value] of Object.entries(c)) {
    const [kind, id, field] = key.split(':');
    if (kind === 'flag' && id) machineFlags[id] = value;
    if (kind === 'link' && id && field) {
      const l = links.get(id) ?? { linkId: id, url: linkUrls[id], uniqueClicks: 0, totalClicks: 0, humanUniqueClicks: 0, humanClicks: 0 };
      if (field === 'clicked') l.uniqueClicks = value;
      if (field === 'clicks') l.totalClicks = value;
      if (field === 'humanClicked') l.humanUniqueClicks = value;
      if (field === 'humanClicks') l.humanClicks = value;
      links.set(id, l);
    }
    if (kind === 'hour' && id && field) {
      const h = hours.get(id) ?? { hour: id, opens: 0, humanOpens: 0, clicks: 0, humanClicks: 0 };
      if (field === 'opens' || field === 'humanOpens' || field === 'clicks' || field === 'humanClicks') h[field] = value;
      hours.set(id, h);
    }
  }
  const human = {
    uniqueOpens: n('humanOpened'),
    uniqueClicks: n('humanClicked'),
    totalOpens: n('humanOpens'),
    totalClicks: n('humanClicks'),
  };
  return {
    sent: n('sent'),
    delivered,
    bounced: n('bounced'),
    bouncedPermanent: n('bouncedPermanent'),
    complained: n('complained'),
    unsubscribed: n('unsubscribed'),
    rejected: n('rejected'),
    uniqueOpens: n('opened'),
    uniqueClicks: n('clicked'),
    totalOpens: n('opens'),
    totalClicks: n('clicks'),
    human,
    rates: {
      openRate: ratio(n('opened'), delivered),
      clickRate: ratio(n('clicked'), delivered),
      clickToOpenRate: ratio(n('clicked'), n('opened')),
      bounceRate: ratio(n('bounced'), n('sent')),
      complaintRate: ratio(n('complained'), delivered),
      unsubscribeRate: ratio(n('unsubscribed'), delivered),
      human: {
        openRate: ratio(human.uniqueOpens, delivered),
        clickRate: ratio(human.uniqueClicks, delivered),
        clickToOpenRate: ratio(human.uniqueClicks, human.uniqueOpens),
      },
    },
    machineFlags,
    links: [...links.values()].sort((a, b) => b.uniqueClicks - a.uniqueClicks || a.linkId.localeCompare(b.linkId)),
    hourly: [...hours.values()].sort((a, b) => a.hour.localeCompare(b.hour)),
  };
}
