import { displayName } from '../contacts/contact';
import { escapeHtml } from '../shared/html';
import type { CampaignStore, MailSender } from '../sending/ports';
import type { Clock } from '../shared/ports';
import type { ContactStore } from '../contacts/ports';
import type { LeadStore } from './ports';
import { NotFoundError } from '../shared/errors';

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
 * Sends the lead's owner one email per MQL. The claim is taken before SES is called and the lead
 * marked notified after, so duplicates and retries do not send twice; the one window left (SES
 * accepted the message, then the function died before marking) re-sends only after the lease
 * expires. With `leadId`, an event about an earlier lifecycle of the contact sends nothing.
 * `sent-unrecorded`: SES took the email but marking the lead failed even after retries.
 */
export async function notifySales(deps: NotifySalesDeps, contactId: string, leadId?: string): Promise<'sent' | 'sent-unrecorded' | 'already-notified' | 'superseded'> {
  const lead = await deps.leads.get(contactId);
  if (!lead) throw new NotFoundError(`no lead for contact ${contactId}`);
  if (leadId && lead.leadId !== leadId) return 'superseded';
  if (lead.notifiedAt) return 'already-notified';
  const [contact, campaign] = await Promise.all([deps.contacts.get(contactId), lead.campaignId ? deps.campaigns.get(lead.campaignId) : undefined]);
  if (!contact) throw new NotFoundError(`lead ${lead.leadId} names a missing contact`);

  const now = deps.clock.now();
  if (!(await deps.leads.claimNotification(contactId, now, deps.claimLeaseMs ?? 300_000))) return 'already-notified';
  const who = displayName(contact);
  const t = lead.trigger;
  const what =
    t.kind === 'click' ? `clicked ${t.linkUrl ?? 'a link'}${t.intent ? ` (intent ${t.intent})` : ''}` : t.kind === 'open' ? 'opened the email' : `${t.eventType}`;
  const facts: [string, string | undefined][] = [
    ['Name', who],
    ['Email', contact.email],
    ['Role', [contact.role, contact.seniority && `(${contact.seniority})`].filter(Boolean).join(' ') || undefined],
    ['Company', contact.company],
    ['Company size', contact.companySize],
    ['Industry', contact.industry],
    ['Country', [contact.country, contact.region].filter(Boolean).join(' / ') || undefined],
    ['Campaign', campaign ? `${campaign.name} (${campaign.campaignId})` : lead.campaignId ?? 'none (engagement posted through the API)'],
    [t.kind === 'click' ? 'Clicked' : 'Trigger', `${what} at ${t.at ?? t.clickedAt}`],
    ['Scores', `fit ${lead.fit?.score ?? 0} (threshold ${lead.fit?.threshold ?? 0}), engagement ${lead.engagement?.score ?? 0} (threshold ${lead.engagement?.threshold ?? 0})`],
    ['Criteria', `${lead.criteriaId ?? lead.profileId} v${lead.criteriaVersion ?? lead.profileVersion}`],
    ['Routed', lead.routedBy === 'contact-owner' ? 'to you as the contact owner' : lead.territory ? `territory ${lead.territory}` : lead.routedBy],
    ['Lead', lead.leadId],
  ];
  const present = facts.filter((f): f is [string, string] => Boolean(f[1]));
  const feedback = [
    'Tell us what you make of it:',
    `  accept:  mql lead accept ${contactId}`,
    `  reject:  mql lead reject ${contactId} --reason <not-a-fit|no-budget|no-authority|no-need|bad-timing|…>`,
    `  later:   mql lead stage ${contactId} meeting|proposal|won|lost`,
    `  (API: POST /leads/${contactId}/feedback)`,
  ];
  const title = `${lead.handRaiser ? 'Hand-raiser' : 'New marketing-qualified lead'}: ${who}${contact.company ? ` at ${contact.company}` : ''}`;
  const text = [title, '', ...present.map(([k, v]) => `${k}: ${v}`), '', 'Why:', ...lead.reasons.map((r) => `- ${r}`), '', ...feedback].join('\n');
  const html = [
    `<h2>${escapeHtml(title)}</h2>`,
    '<table>',
    ...present.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
    '<h3>Why</h3><ul>',
    ...lead.reasons.map((r) => `<li>${escapeHtml(r)}</li>`),
    '</ul>',
    `<pre>${escapeHtml(feedback.join('\n'))}</pre>`,
  ].join('\n');
  let messageId: string;
  try {
    ({ messageId } = await deps.mail.send({
      from: deps.from,
      to: lead.owner,
      subject: `${lead.handRaiser ? 'Hand-raiser' : 'New MQL'}: ${who}${contact.company ? ` (${contact.company})` : ''}`.replace(/[\r\n]+/g, ' '),
      html,
      text,
      headers: {},
      tags: { ...(lead.campaignId ? { campaignId: lead.campaignId } : {}), contactId, kind: 'mql-notification' },
    }));
  } catch (error) {
    // SES did not take the message: free the claim so that the retry sends it.
    await deps.leads.releaseNotification(contactId);
    throw error;
  }
  // SES took it: from here nothing may lead to a second email. A failure to record it is retried
  // here and never handed back to the caller, whose retry would find the claim expired in time and
  // send again; the claim stays, so a duplicate event finds the lead claimed.
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.leads.markNotified(contactId, messageId, deps.clock.now().toISOString());
      return 'sent';
    } catch {
      // Sent, but the lead keeps its claim instead of `notifiedAt`: the caller reports it.
      if (attempt >= MARK_NOTIFIED_ATTEMPTS) return 'sent-unrecorded';
      await new Promise((resolve) => setTimeout(resolve, 50 * 4 ** attempt));
    }
  }
}

/** Attempts to record a sent notification (each with the SDK's own retries) before giving up. */
const MARK_NOTIFIED_ATTEMPTS = 4;
