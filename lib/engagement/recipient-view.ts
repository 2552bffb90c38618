import type { ContactStore } from '../contacts/ports';
import type { SendLedger } from '../sending/ports';
import { NotFoundError } from '../common/errors';
import type { Page } from '../common/ports';
import type { CampaignStore } from '../sending/ports';
import { classifyClicks, type MachineRules } from './machine-activity';
import type { EngagementStore } from './ports';
import type { RecipientEngagement } from './recipient';

/**
 * The per-recipient drill-down of a campaign (`GET /campaigns/{id}/recipients`): what happened to
 * each person, from the same recipient items the counts are sums of, so anyone can check the counts
 * from outside. The status is the furthest a recipient got: unsubscribed, complained, bounced,
 * delivered, then sent.
 */
export const recipientStatuses = ['sent', 'delivered', 'bounced', 'complained', 'unsubscribed'] as const;
export type RecipientStatus = (typeof recipientStatuses)[number];

export interface RecipientRow {
  contactId: string;
  /** Absent once the contact was erased. */
  email?: string;
  status: RecipientStatus;
  /** SES's message id as the sender recorded it. */
  messageId?: string;
  opened: boolean;
  humanOpened: boolean;
  clicked: boolean;
  humanClicked: boolean;
  opens: number;
  clicks: number;
  /** Why some of its opens or clicks were judged a machine's (docs/engagement.md, "Machine activity"). */
  machineReasons: string[];
}

export interface RecipientViewDeps {
  campaigns: CampaignStore;
  engagement: EngagementStore;
  ledger: SendLedger;
  contacts: ContactStore;
  rules: MachineRules;
}

export async function listCampaignRecipients(deps: RecipientViewDeps, campaignId: string, cursor?: string): Promise<Page<RecipientRow>> {
  if (!(await deps.campaigns.get(campaignId))) throw new NotFoundError(`campaign ${campaignId} does not exist`);
  const page = await deps.engagement.listRecipients(campaignId, cursor);
  const ids = page.items.map((r) => r.contactId);
  const [outcomes, contacts] = await Promise.all([deps.ledger.outcomes(campaignId, ids), ids.length ? deps.contacts.getMany(ids) : []]);
  const emails = new Map(contacts.map((c) => [c.contactId, c.email]));
  const items = page.items.map((r) => {
    const outcome = outcomes.get(r.contactId);
    const row = rowOf(r, deps.rules);
    const email = emails.get(r.contactId);
    return { ...row, ...(email ? { email } : {}), ...(outcome?.state === 'sent' ? { messageId: outcome.messageId } : {}) };
  });
  return { items, ...(page.cursor ? { cursor: page.cursor } : {}) };
}

function statusOf(r: RecipientEngagement): RecipientStatus {
  if (r.unsubscribedAt) return 'unsubscribed';
  if (r.complainedAt) return 'complained';
  if (r.bounceType) return 'bounced';
  if (r.deliveredAt) return 'delivered';
  return 'sent';
}

/** The same rules as the counters (lib/engagement/recipient.ts `project`): a click implies an open. */
function rowOf(r: RecipientEngagement, rules: MachineRules): Omit<RecipientRow, 'email' | 'messageId'> {
  const clickFlags = classifyClicks(r.clicks, rules);
  const humanOpens = r.opens.filter(([, flag]) => !flag).length;
  const humanClicks = clickFlags.filter((flag) => !flag).length;
  const reasons = new Set([...r.opens.map(([, flag]) => flag), ...clickFlags].filter(Boolean));
  return {
    contactId: r.contactId,
    status: statusOf(r),
    opened: r.opens.length > 0 || r.clicks.length > 0,
    humanOpened: humanOpens > 0 || humanClicks > 0,
    clicked: r.clicks.length > 0,
    humanClicked: humanClicks > 0,
    opens: r.opens.length,
    clicks: r.clicks.length,
    machineReasons: [...reasons].sort(),
  };
}
