import type { Campaign } from './campaign';
import type { Contact } from '../contacts/contact';
import { signUnsubscribeToken, unsubscribeHeaders } from '../contacts/unsubscribe-token';
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
    headers: unsubscribeHeaders(unsubscribeUrl, unsubscribe.mailto),
    // SES echoes the tags in its events: they tie engagement back to the campaign and the contact.
    tags: { campaignId, contactId },
  };
}
