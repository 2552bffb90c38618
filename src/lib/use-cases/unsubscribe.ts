import type { Clock, ContactStore } from '../ports';
import { ValidationError } from '../errors';
import { verifyUnsubscribeToken } from '../unsubscribe-token';

/** One-click unsubscribe (RFC 8058): idempotent; a forged or tampered token changes nothing. */
export async function unsubscribe(deps: { contacts: ContactStore; clock: Clock; secret: string }, token: string) {
  const subject = verifyUnsubscribeToken(token, deps.secret);
  if (!subject) throw new ValidationError('invalid unsubscribe link');
  await deps.contacts.suppress(subject.contactId, 'unsubscribed', deps.clock.now().toISOString());
  return subject;
}
