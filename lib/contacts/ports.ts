/**
 * What the contacts feature needs from storage. Each port speaks the domain; its AWS adapter lives in
 * adapters/, and the local runtime uses the same adapter pointed at the embedded stand-ins.
 */
import type { Contact, ContactFilter, SuppressionReason } from './contact';
import type { IdealCustomerProfile } from '../qualification/profile';
import type { Page } from '../common/ports';

export interface ContactStore {
  /**
   * Upsert by contact id; never clears `suppressed`, consent given earlier, or a value the input
   * leaves out. Erased contacts are not written: their ids come back in `erased`.
   */
  upsertMany(contacts: Contact[]): Promise<{ created: number; updated: number; erased: string[] }>;
  get(contactId: string): Promise<Contact | undefined>;
  getMany(contactIds: string[]): Promise<Contact[]>;
  /**
   * Contacts matching `filter` (every contact when absent), a page at a time, in a stable order,
   * from a sharded index (no table scan). Erased contacts are never listed. A page may hold fewer
   * than `limit` items and still have a cursor (a filter reads a bounded window per page).
   * Throws InvalidCursorError for a cursor it did not issue for this filter.
   */
  list(cursor?: string, limit?: number, filter?: ContactFilter): Promise<Page<Contact>>;
  /**
   * Right to erasure: removes every attribute of the person, leaving a tombstone (id, `erasedAt`,
   * suppressed `erased`) so that nothing mails, imports or counts them again.
   */
  erase(contactId: string, at: string): Promise<'erased' | 'already-erased' | 'not-found'>;
  suppress(contactId: string, reason: SuppressionReason, at: string): Promise<void>;
  /**
   * Records a transient bounce of one message (idempotent per message id) and answers how many
   * distinct messages have bounced transiently for this contact so far.
   */
  recordTransientBounce(contactId: string, messageId: string): Promise<number>;
}

export interface ProfileStore {
  put(profile: IdealCustomerProfile): Promise<void>;
  get(profileId: string, version?: number): Promise<IdealCustomerProfile | undefined>;
}
