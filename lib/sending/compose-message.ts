import type { Campaign } from './campaign';
import type { Contact } from '../contacts/contact';
import { signUnsubscribeToken, unsubscribeHeaders } from '../contacts/unsubscribe-token';
import { pipelineLinks } from '../common/own-links';
import type { OutgoingMessage } from './ports';
import { renderMessage } from './render';

/** One recipient's message: the campaign rendered for the contact, with a signed unsubscribe link and the one-click unsubscribe headers. */
export function composeMessage(
  unsubscribe: { baseUrl: string; mailto: string; secret: string },
  campaign: Campaign,
  contact: Contact,
): OutgoingMessage {
  const { campaignId } = campaign;
  const { contactId } = contact;
  const unsubscribeUrl = `${unsubscribe.baseUrl}/${signUnsubscribeToken({ campaignId, contactId }, unsubscribe.secret)}`;
  const rendered = renderMessage(
    { subject: campaign.subject, html: campaign.htmlTemplate, text: campaign.textTemplate },
    contact,
    { unsubscribeUrl },
    campaign.fallbacks,
  );
  return {
    from: campaign.fromAddress,
    to: contact.email,
    ...rendered,
    html: untrackLinks(rendered.html, pipelineLinks(unsubscribe.baseUrl)),
    headers: unsubscribeHeaders(unsubscribeUrl, unsubscribe.mailto),
    // SES echoes the tags in its events: they tie engagement back to the campaign and the contact.
    tags: { campaignId, contactId },
  };
}

/**
 * Adds `ses:no-track` to every anchor whose link is one of `ours` (the unsubscribe and preference
 * pages): SES rewrites every other link of the HTML part for click tracking, and a click on the way
 * out is not interest. The ingest ignores such clicks too, should SES ever report one.
 */
export function untrackLinks(html: string, ours: (url: string) => boolean): string {
  return html.replace(/<a\b[^>]*>/gi, (tag) => {
    const href = /\shref\s*=\s*(["'])(.*?)\1/i.exec(tag);
    if (!href || /\sses:no-track\b/i.test(tag) || !ours(href[2]!.replace(/&amp;/g, '&'))) return tag;
    return tag.replace(/^<a\b/i, '<a ses:no-track');
  });
}
