import type { EngagementEvent } from '../engagement/ses-event';
import { TransientDependencyError, ValidationError } from '../common/errors';
import { shortHash, type ContactIds } from '../common/ids';
import type { Clock } from '../common/ports';
import type { ContactStore } from './ports';
import { verifyUnsubscribeToken } from './unsubscribe-token';

export interface UnsubscribeDeps {
  contacts: ContactStore;
  clock: Clock;
  secret: string;
  /** Contact ids: a link mailed before the re-keying migration names a legacy id, followed to the contact's keyed id. */
  ids: ContactIds;
  /**
   * Counts the unsubscribe in the campaign's figures (exactly once: the event's key derives from
   * the token's subject). SES publishes Subscription events only for its own list management, not
   * for our link, so without this the unsubscribe rate would read zero.
   */
  record: (event: EngagementEvent) => Promise<{ counted: boolean }>;
}

function subjectOf(token: string, secret: string) {
  const subject = verifyUnsubscribeToken(token, secret);
  if (!subject) throw new ValidationError('invalid unsubscribe link');
  return subject;
}

/**
 * The id the contact a link names has now. Links mailed before the re-keying migration name a
 * legacy id (`ct_`): once the contact moved, its forwarding record gives the keyed id; an erased
 * one's tombstone moved to `idForLegacy` (already suppressed). Anything else is as named.
 */
async function currentContactId(deps: Pick<UnsubscribeDeps, 'contacts' | 'ids'>, contactId: string) {
  if (!contactId.startsWith('ct_') || (await deps.contacts.get(contactId))) return contactId;
  const forwardingKey = deps.ids.idForLegacy(contactId);
  return (await deps.contacts.rekeyedTo(forwardingKey)) ?? forwardingKey;
}

/**
 * One-click unsubscribe (RFC 8058): suppresses the contact at once and counts it for the campaign.
 * Idempotent; a forged or tampered token changes nothing.
 */
export async function unsubscribe(deps: UnsubscribeDeps, token: string) {
  const subject = subjectOf(token, deps.secret);
  const at = deps.clock.now().toISOString();
  const contactId = await currentContactId(deps, subject.contactId);
  await deps.contacts.suppress(contactId, 'unsubscribed', at);
  const { counted } = await deps.record({
    // The link's own id in the key: a click before the migration and one after are the same event.
    key: shortHash(`unsubscribe-link|${subject.campaignId}|${subject.contactId}`, 16),
    type: 'subscription',
    campaignId: subject.campaignId,
    contactId,
    messageId: 'unsubscribe-link',
    sentAt: at,
    at,
    unsubscribeAll: true,
  });
  // The contact is suppressed already; failing makes the mailbox provider (or the person) retry the count.
  if (!counted) throw new TransientDependencyError('the unsubscribe was recorded but not yet counted; try again');
  return subject;
}

/** What the confirmation page shows for a link: whether this contact is unsubscribed already. */
export async function unsubscribeStatus(deps: Pick<UnsubscribeDeps, 'contacts' | 'secret' | 'ids'>, token: string) {
  const subject = subjectOf(token, deps.secret);
  const contact = await deps.contacts.get(await currentContactId(deps, subject.contactId));
  return { ...subject, unsubscribed: contact?.suppressed !== undefined };
}
