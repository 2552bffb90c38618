import { stringify } from 'csv-stringify/sync';
import type { MachineRules } from '../engagement/machine-activity';
import { classifyClicks, type RecipientEngagement } from '../engagement/recipient';
import type { Lead } from '../lead';

/**
 * CSV for spreadsheets: UTF-8 with a BOM (so Excel reads accents correctly), RFC 4180 quoting, and
 * cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) prefixed with `'`.
 */
export const BOM = '\uFEFF';

export function neutralise(value: unknown): string {
  const s = value === undefined || value === null ? '' : String(value);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

export const recipientColumns = [
  'contactId', 'email', 'delivered', 'bounced', 'complained', 'unsubscribed', 'opened', 'humanOpened',
  'clicked', 'humanClicked', 'opens', 'clicks', 'machineFlags', 'mql', 'stage',
] as const;

export function recipientRow(state: RecipientEngagement, email: string | undefined, lead: Lead | undefined, rules: MachineRules): string[] {
  const clickFlags = classifyClicks(state.clicks, rules);
  const humanClicks = clickFlags.filter((f) => !f).length;
  const humanOpens = state.opens.filter(([, f]) => !f).length;
  const flags = [...new Set([...state.opens.map(([, f]) => f), ...clickFlags].filter(Boolean))].sort().join(' ');
  const yes = (b: unknown) => (b ? 'yes' : 'no');
  return [
    state.contactId,
    email ?? '',
    yes(state.deliveredAt),
    state.bounceType ?? '',
    yes(state.complainedAt),
    yes(state.unsubscribedAt),
    yes(state.opens.length || state.clicks.length),
    yes(humanOpens || humanClicks),
    yes(state.clicks.length),
    yes(humanClicks),
    String(state.opens.length),
    String(state.clicks.length),
    flags,
    yes(lead),
    lead?.stage ?? '',
  ].map(neutralise);
}

export function csv(header: readonly string[], rows: string[][]): string {
  return BOM + stringify([header as string[], ...rows], { quoted_match: /[",\r\n]/ });
}

export function leadsCsv(leads: Lead[]): string {
  const rows = [...leads]
    .sort((a, b) => a.qualifiedAt.localeCompare(b.qualifiedAt))
    .map((l) => [l.contactId, l.campaignId, l.qualifiedAt, l.stage, l.owner, `${l.profileId} v${l.profileVersion}`, l.trigger.linkUrl ?? '', l.reasons.join('; ')].map(neutralise));
  return csv(['contactId', 'campaignId', 'qualifiedAt', 'stage', 'owner', 'criteria', 'clickedLink', 'reasons'], rows);
}
