import { leadQualifiedDetailType } from '../qualification/lead';
import type { ContactStore } from '../contacts/ports';
import { isRetryable } from '../shared/errors';
import type { EngagementListener, RecipientChange } from './record-engagement';

/** Transient bounces of this many different messages suppress a contact (as Mailchimp's soft-bounce rule). */
export const TRANSIENT_BOUNCE_LIMIT = 3;

/**
 * Suppression: a permanent bounce, a complaint or an unsubscribe stops future sends to the contact.
 * A transient bounce (mailbox full, greylisting) is counted, and suppresses only once messages of
 * `transientBounceLimit` different sends have bounced transiently.
 */
export function suppressionListener(deps: { contacts: ContactStore; transientBounceLimit?: number }): EngagementListener {
  const limit = deps.transientBounceLimit ?? TRANSIENT_BOUNCE_LIMIT;
  return {
    async recipientsChanged(changes) {
      const retry: RecipientChange[] = [];
      for (const change of changes) {
        const { newEvents, after } = change;
        try {
          for (const e of newEvents) {
            if (e.type === 'bounce' && e.bounceType !== 'Permanent') {
              if ((await deps.contacts.recordTransientBounce(e.contactId, e.messageId)) >= limit) await deps.contacts.suppress(e.contactId, 'bounced', e.at);
            }
            if (e.type === 'bounce' && after.bounceType === 'Permanent') await deps.contacts.suppress(e.contactId, 'bounced', e.at);
            if (e.type === 'complaint') await deps.contacts.suppress(e.contactId, 'complained', e.at);
            if (e.type === 'subscription' && e.unsubscribeAll) await deps.contacts.suppress(e.contactId, 'unsubscribed', e.at);
          }
        } catch (error) {
          if (!isRetryable(error)) throw error;
          retry.push(change); // idempotent steps: heard again, they redo only what is missing
        }
      }
      return { retry };
    },
  };
}

/** Every listener hears every change; a change any of them could not finish comes back. */
export function composeListeners(...listeners: EngagementListener[]): EngagementListener {
  return {
    async recipientsChanged(changes) {
      const retry = new Set<RecipientChange>();
      for (const l of listeners) for (const change of (await l.recipientsChanged(changes))?.retry ?? []) retry.add(change);
      return { retry: [...retry] };
    },
  };
}

export { leadQualifiedDetailType };
/** Qualification lives in ./qualify; re-exported for existing imports. */
export { qualificationListener } from '../qualification/qualify';
