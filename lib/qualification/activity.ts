import type { RecipientEngagement } from '../engagement/recipient';
import { classifyClicks, type MachineRules } from '../engagement/machine-activity';
import type { Activity } from './evaluate';

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

/**
 * The scored activities in one recipient's engagement with a campaign: its first human open, and the
 * first human click of each link (clicking the same link again says nothing new). Machine opens and
 * clicks (privacy proxies, scanners, link bursts) are not activities.
 */
export function activitiesOfRecipient(state: RecipientEngagement, rules: MachineRules, linkUrls: Record<string, string> = {}): Activity[] {
  const out: Activity[] = [];
  const { campaignId, contactId } = state;
  const open = state.opens.find(([, flag]) => !flag);
  if (open) out.push({ key: `${campaignId}:open`, contactId, kind: 'open', at: iso(open[0]), campaignId });
  const flags = classifyClicks(state.clicks, rules);
  const firstByLink = new Map<string, Activity>();
  state.clicks.forEach(([at, linkId, , intent], i) => {
    if (flags[i] || firstByLink.has(linkId)) return;
    const a: Activity = { key: `${campaignId}:click:${linkId}`, contactId, kind: 'click', at: iso(at), campaignId, linkId };
    if (linkUrls[linkId]) a.linkUrl = linkUrls[linkId];
    if (intent) a.intent = intent;
    firstByLink.set(linkId, a);
  });
  return [...out, ...firstByLink.values()];
}

const same = (a: Activity, b: Activity) => a.at === b.at && a.intent === b.intent && !a.machine === !b.machine && a.linkUrl === b.linkUrl;

/**
 * What the activity ledger must learn from a recipient's change: new or changed activities, and
 * former ones the new state no longer counts as human (a click that turned out to be part of a
 * scanner's burst), kept with `machine: true` so they stop scoring.
 */
export function ledgerChanges(before: Activity[], after: Activity[]): Activity[] {
  const was = new Map(before.map((a) => [a.key, a]));
  const now = new Map(after.map((a) => [a.key, a]));
  const changes = after.filter((a) => !was.has(a.key) || !same(was.get(a.key)!, a));
  for (const [key, a] of was) if (!now.has(key)) changes.push({ ...a, machine: true });
  return changes;
}
