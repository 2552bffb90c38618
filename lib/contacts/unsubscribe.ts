import type { EngagementEvent } from '../engagement/ses-event';
import { TransientDependencyError, ValidationError } from '../common/errors';
import { shortHash } from '../common/ids';
import type { Clock } from '../common/ports';
import type { ContactStore } from './ports';
import { verifyUnsubscribeToken } from './unsubscribe-token';

export interface UnsubscribeDeps {
  contacts: ContactStore;
  clock: Clock;
  secret: string;
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
 * One-click unsubscribe (RFC 8058): suppresses the contact at once and counts it for the campaign.
 * Idempotent; a forged or tampered token changes nothing.
 */
export async function unsubscribe(deps: UnsubscribeDeps, token: string) {
  const subject = subjectOf(token, deps.secret);
  const at = deps.clock.now().toISOString();
  await deps.contacts.suppress(subject.contactId, 'unsubscribed', at);
  const { counted } = await deps.record({
    key: shortHash(`unsubscribe-link|${subject.campaignId}|${subject.contactId}`, 16),
    type: 'subscription',
    campaignId: subject.campaignId,
    contactId: subject.contactId,
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
export async function unsubscribeStatus(deps: Pick<UnsubscribeDeps, 'contacts' | 'secret'>, token: string) {
  const subject = subjectOf(token, deps.secret);
  const contact = await deps.contacts.get(subject.contactId);
  return { ...subject, unsubscribed: contact?.suppressed !== undefined };
}
