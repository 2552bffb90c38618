/**
 * What hears recorded engagement: the listener contract, suppression, and their composition
 * (qualification's listener is `qualificationListener` in lib/qualification/qualify.ts).
 */
import type { ContactStore } from '../contacts/ports';
import { isRetryable } from '../common/errors';
import type { RecipientEngagement } from './recipient';
import type { EngagementEvent } from './ses-event';

/**
 * What a recorded batch changed for one recipient, handed to qualification and suppression
 * *before* the change is written, so a crash anywhere means the whole step runs again; listeners
 * are therefore idempotent.
 */
export interface RecipientChange {
  before: RecipientEngagement;
  after: RecipientEngagement;
  newEvents: EngagementEvent[];
}
export interface EngagementListener {
  /**
   * Hears a batch's planned changes. Changes it could not finish for a passing reason (throttling)
   * are returned in `retry`: those recipients are not written and their messages come back, while
   * the rest of the batch goes on. Throwing fails the whole batch.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a listener with nothing to hold back returns nothing
  recipientsChanged(changes: RecipientChange[]): Promise<ListenerOutcome | void>;
}
export interface ListenerOutcome {
  retry: RecipientChange[];
}

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
              if ((await deps.contacts.recordTransientBounce(e.contactId, e.messageId)) >= limit)
                await deps.contacts.suppress(e.contactId, 'bounced', e.at);
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
