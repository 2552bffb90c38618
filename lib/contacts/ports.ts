/**
 * What the contacts feature needs from storage. Each port speaks the domain; its AWS adapter lives in
 * adapters/, and the local runtime uses the same adapter pointed at the embedded stand-ins.
 */
import type { Contact, ContactFilter, ContactPatch, SuppressionReason } from './contact';
import type { IdealCustomerProfile } from '../qualification/profile';
import type { Page } from '../common/ports';

/**
 * A contact to upsert, with what its row said about consent: `give` (consent true) sets consent
 * unless the person withdrew it earlier; `withdraw` (consent false) clears consent given earlier;
 * none leaves consent as stored (false for a new contact), unless `consent` is true (then as `give`).
 */
export type ContactUpsert = Contact & { consentChange?: 'give' | 'withdraw' };

export interface UpsertResult {
  created: number;
  updated: number;
  /** Contacts erased at the person's request: not written. */
  erased: string[];
  /** Contacts whose consent this upsert withdrew (it was given before). */
  consentWithdrawn: string[];
  /** Contacts a `give` did not re-consent because they withdrew consent earlier (the rest of the row was written). */
  consentNotRestored: string[];
}

/** What a PATCH of a contact found: `suppressed` refuses consent `true` (a suppression is never lifted). */
export type ContactUpdate =
  | { outcome: 'updated'; contact: Contact; consentWithdrawn: boolean }
  | { outcome: 'not-found' | 'erased' }
  | { outcome: 'suppressed'; contact: Contact };

/** What recording a suppression by email did: `created` is a new contact record that exists only to stay unmailed. */
export type EmailSuppression = 'suppressed' | 'created' | 'already-suppressed' | 'erased';

export interface ContactStore {
  /**
   * Upsert by contact id; never clears `suppressed` or a value the input leaves out; consent
   * changes only as `consentChange` says. Erased contacts are not written: their ids come back in `erased`.
   */
  upsertMany(contacts: ContactUpsert[]): Promise<UpsertResult>;
  /** Changes the given attributes and consent of an existing contact, conditionally (never an erased one; consent `true` never on a suppressed one). */
  update(contactId: string, patch: ContactPatch, at: string): Promise<ContactUpdate>;
  /**
   * Suppresses the contact of `email` for `reason`, creating a suppressed record when there is none,
   * so that an address never imported is never mailed either. The first reason stays.
   */
  suppressEmail(contactId: string, email: string, reason: SuppressionReason, at: string): Promise<EmailSuppression>;
  get(contactId: string): Promise<Contact | undefined>;
  /** `consistent`: a strongly consistent read (the send-time check of consent and suppression). */
  getMany(contactIds: string[], options?: { consistent?: boolean }): Promise<Contact[]>;
  /** The email of each of these contacts that has one (an erased contact has none): all a recipients export needs of them. */
  emailsOf(contactIds: string[]): Promise<Map<string, string>>;
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
   * The keyed id a legacy contact was re-keyed to, from the forwarding record the migration left
   * under `forwardingKey` (`ids.idForLegacy(legacyId)`); undefined when there is none.
   */
  rekeyedTo(forwardingKey: string): Promise<string | undefined>;
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

/** A contact stored under a legacy (`ct_`) id: `email` is absent when it was erased before keyed ids. */
export interface LegacyContact {
  contactId: string;
  email?: string;
}

/** What one pass of the re-keying migration did (or, in a dry run, would do). */
export interface RekeyPass {
  /** Items read. */
  scanned: number;
  /** Items written under new ids or with new ids in them (a moved item counts once). */
  rewritten: number;
  /** Items an earlier (crashed) or concurrent run had moved, or begun to, when this one came to them. */
  alreadyDone: number;
}

/**
 * The storage side of re-keying legacy contact ids (lib/contacts/rekey-contacts.ts): every stored
 * record that holds a legacy id, in a key or anywhere in a value, is rewritten with the mapped id.
 */
export interface ContactRekeyStore {
  /** Every contact stored under a legacy id, tombstones included. */
  legacyContacts(): AsyncIterable<LegacyContact>;
  /**
   * Rewrites every record holding a mapped legacy id with the new one. Where the record's key
   * changes, the new record is written, then the old one deleted on condition that it is unchanged
   * since it was read, so a concurrent write is never lost (the record is read again and retried)
   * and a crash leaves at most the record in hand doubled, which the next run finishes. `profiles`:
   * only the contacts' own records (true), or every other record (false).
   */
  rewrite(mapping: ReadonlyMap<string, string>, options: { profiles: boolean; dryRun: boolean }): Promise<RekeyPass>;
  /** Records where a live legacy contact goes (ContactStore.rekeyedTo reads it); idempotent. */
  forward(forwardingKey: string, contactId: string): Promise<void>;
}
