import { displayName } from '../contact';
import { escapeHtml } from '../html';
import type { CampaignStore, Clock, ContactStore, LeadStore, MailSender } from '../ports';
import { NotFoundError } from '../errors';

export interface NotifySalesDeps {
  leads: LeadStore;
  contacts: ContactStore;
  campaigns: CampaignStore;
  mail: MailSender;
  clock: Clock;
  from: string;
  /** A claim older than this belongs to a notifier that died; it may be taken over. @default 300000 */
  claimLeaseMs?: number;
}

/**
 * Sends sales one email per MQL. The claim is taken before SES is called and the lead marked
 * notified after, so duplicates and retries do not send twice; the one window left (SES accepted
 * the message, then the function died before marking) re-sends only after the lease expires.
 */
export async function notifySales(deps: NotifySalesDeps, contactId: string): Promise<'sent' | 'already-notified'> {
  const lead = await deps.leads.get(contactId);
  if (!lead) throw new NotFoundError(`no lead for contact ${contactId}`);
  if (lead.notifiedAt) return 'already-notified';
  const [contact, campaign] = await Promise.all([deps.contacts.get(contactId), deps.campaigns.get(lead.campaignId)]);
  if (!contact) throw new NotFoundError(`lead ${lead.leadId} names a missing contact`);

  const now = deps.clock.now();
  if (!(await deps.leads.claimNotification(contactId, now, deps.claimLeaseMs ?? 300_000))) return 'already-notified';
  const who = displayName(contact);
  const facts: [string, string | undefined][] = [
    ['Name', who],
    ['Email', contact.email],
    ['Role', [contact.role, contact.seniority && `(${contact.seniority})`].filter(Boolean).join(' ') || undefined],
    ['Company', contact.company],
    ['Company size', contact.companySize],
    ['Industry', contact.industry],
    ['Country', contact.country],
    ['Campaign', campaign ? `${campaign.name} (${campaign.campaignId})` : lead.campaignId],
    ['Clicked', lead.trigger.linkUrl ? `${lead.trigger.linkUrl} at ${lead.trigger.clickedAt}` : lead.trigger.clickedAt],
    ['Criteria', `${lead.profileId} v${lead.profileVersion}`],
  ];
  const present = facts.filter((f): f is [string, string] => Boolean(f[1]));
  const feedback = `Reply with "accept" or "reject: <reason>", or run: mql leads feedback ${contactId} --accept`;
  const text = [
    `New marketing-qualified lead: ${who}${contact.company ? ` at ${contact.company}` : ''}`,
    '',
    ...present.map(([k, v]) => `${k}: ${v}`),
    '',
    'Why:',
    ...lead.reasons.map((r) => `- ${r}`),
    '',
    feedback,
  ].join('\n');
  const html = [
    `<h2>New marketing-qualified lead: ${escapeHtml(who)}</h2>`,
    '<table>',
    ...present.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
    '<h3>Why</h3><ul>',
    ...lead.reasons.map((r) => `<li>${escapeHtml(r)}</li>`),
    '</ul>',
    `<p>${escapeHtml(feedback)}</p>`,
  ].join('\n');
  try {
    const { messageId } = await deps.mail.send({
      from: deps.from,
      to: lead.owner,
      subject: `New MQL: ${who}${contact.company ? ` (${contact.company})` : ''}`.replace(/[\r\n]+/g, ' '),
      html,
      text,
      headers: {},
      tags: { campaignId: lead.campaignId, contactId, kind: 'mql-notification' },
    });
    await deps.leads.markNotified(contactId, messageId, deps.clock.now().toISOString());
    return 'sent';
  } catch (error) {
    await deps.leads.releaseNotification(contactId);
    throw error;
  }
}
