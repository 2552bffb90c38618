import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import type { Contact, ContactFilter, ContactPatch, SuppressionReason } from '../../lib/contacts/contact';
import { ConcurrentUpdateError, InvalidCursorError } from '../../lib/common/errors';
import type { ContactStore, ContactUpsert, UpsertResult } from '../../lib/contacts/ports';
import { suppressEmail, toContact, updateContact, upsertContact } from './contact-writes';
import type { Page } from '../../lib/common/ports';
import { mapWithConcurrency } from '../../lib/common/concurrency';
import {
  CONTACT_SHARDS,
  decodePageCursor,
  encodePageCursor,
  indexKeyNames,
  isConditionFailure,
  isKeyOf,
  keys,
  listQuery,
  lists,
  tableKeyNames,
} from './keys';
import { tableKeys } from './table-schema';
import { batchGetItems } from './batch-get';

const { gsi1 } = tableKeys;

/** Contacts an import writes at once; each is a conditional UpdateItem (see upsertMany). */
const UPSERT_CONCURRENCY = 32;
/** A filtered page reads at most this many index entries, so its cost is bounded whatever matches. */
export const FILTER_READ_BUDGET = 2_000;

interface ListPosition {
  /** Shard being read. */
  s: number;
  /** Last index entry returned in it (ExclusiveStartKey). */
  k?: Record<string, string>;
  /** Fingerprint of the filter the cursor was issued for. */
  f: string;
}

const fingerprint = (filter: ContactFilter) =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(filter).sort()))
    .digest('base64url')
    .slice(0, 12);

/** The filter as a DynamoDB FilterExpression (the same rules as `matchesFilter` in the domain). */
function filterExpression(filter: ContactFilter) {
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const field of ['industry', 'country', 'companySize', 'seniority', 'region', 'owner'] as const) {
    if (filter[field] === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = filter[field];
    parts.push(`#${field} = :${field}`);
  }
  if (filter.interest !== undefined) {
    names['#interests'] = 'interests';
    values[':interest'] = filter.interest;
    parts.push('contains(#interests, :interest)');
  }
  if (filter.status) {
    names['#suppressed'] = 'suppressed';
    if (filter.status === 'mailable' || filter.status === 'no-consent') {
      names['#consent'] = 'consent';
      values[':consent'] = filter.status === 'mailable';
      parts.push('#consent = :consent AND attribute_not_exists(#suppressed)');
    } else if (filter.status === 'suppressed') parts.push('attribute_exists(#suppressed)');
    else {
      values[':reason'] = filter.status;
      parts.push('#suppressed = :reason');
    }
  }
  return parts.length
    ? { FilterExpression: parts.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values }
    : undefined;
}

export class DynamoContactStore implements ContactStore {
  constructor(
    readonly db: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  /**
   * One conditional UpdateItem per contact, many at once (contact-writes.ts). Not BatchWriteItem: it
   * can only replace whole items, which would clear a suppression or a withdrawal written meanwhile;
   * an update sets only the fields given and keeps the rest, and its condition refuses an erased contact.
   */
  async upsertMany(contacts: ContactUpsert[]): Promise<UpsertResult> {
    const result: UpsertResult = { created: 0, updated: 0, erased: [], consentWithdrawn: [], consentNotRestored: [] };
    await mapWithConcurrency(contacts, UPSERT_CONCURRENCY, async (c) => {
      const o = await upsertContact(this, c);
      if (o.erased) return void result.erased.push(c.contactId);
      if (o.created) result.created++;
      else result.updated++;
      if (o.consentWithdrawn) result.consentWithdrawn.push(c.contactId);
      if (o.consentNotRestored) result.consentNotRestored.push(c.contactId);
    });
    return result;
  }

  update(contactId: string, patch: ContactPatch, at: string) {
    return updateContact(this, contactId, patch, at);
  }

  suppressEmail(contactId: string, email: string, reason: SuppressionReason, at: string) {
    return suppressEmail(this, contactId, email, reason, at);
  }

  async get(contactId: string) {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.contact(contactId) }));
    return result.Item ? toContact(result.Item) : undefined;
  }

  async getMany(contactIds: string[], options: { consistent?: boolean } = {}) {
    const unique = [...new Set(contactIds)];
    const out: Contact[] = [];
    for await (const item of batchGetItems(
      this.db,
      this.table,
      unique.map((id) => keys.contact(id)),
      options.consistent ? { ConsistentRead: true } : {},
    ))
      out.push(toContact(item));
    return out;
  }

  async emailsOf(contactIds: string[]) {
    const out = new Map<string, string>();
    const itemKeys = [...new Set(contactIds)].map((id) => keys.contact(id));
    // Two attributes instead of the whole contact: a large report reads one per recipient.
    for await (const item of batchGetItems(this.db, this.table, itemKeys, {
      ProjectionExpression: 'pk, #email',
      ExpressionAttributeNames: { '#email': 'email' },
    }))
      if (typeof item.email === 'string') out.set(String(item.pk).slice('CONTACT#'.length), item.email);
    return out;
  }

  /**
   * Pages through the 16 index shards in order; the cursor names the shard, the last entry returned
   * in it, and the filter it was issued for. With a filter, DynamoDB applies it to the entries a
   * Query reads; at most FILTER_READ_BUDGET entries are read per page.
   */
  async list(cursor?: string, limit = 500, filter: ContactFilter = {}): Promise<Page<Contact>> {
    const f = fingerprint(filter);
    const position = decodePageCursor<ListPosition>(
      cursor,
      (v): v is Record<string, unknown> & ListPosition =>
        Number.isInteger(v.s) &&
        (v.s as number) >= 0 &&
        (v.s as number) < CONTACT_SHARDS &&
        typeof v.f === 'string' &&
        (v.k === undefined || (isKeyOf(v.k, indexKeyNames) && v.k[gsi1.partitionKey] === lists.contacts(v.s as number))),
    );
    if (position && position.f !== f)
      throw new InvalidCursorError('this cursor was issued for other filters; list again with the same filters, or without a cursor');
    const expression = filterExpression(filter);
    let shard = position?.s ?? 0;
    let startKey: Record<string, unknown> | undefined = position?.k;
    let read = 0;
    const items: Contact[] = [];
    while (shard < CONTACT_SHARDS && items.length < limit && (!expression || read < FILTER_READ_BUDGET)) {
      const list = listQuery(lists.contacts(shard));
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          ...list,
          ...expression,
          ExpressionAttributeValues: { ...list.ExpressionAttributeValues, ...expression?.ExpressionAttributeValues },
          ExclusiveStartKey: startKey,
          Limit: expression ? Math.min(FILTER_READ_BUDGET - read, 1_000) : limit - items.length,
        }),
      );
      read += result.ScannedCount ?? 0;
      const found = result.Items ?? [];
      const room = limit - items.length;
      for (const item of found.slice(0, room)) items.push(toContact(item));
      if (found.length > room) {
        // The page is full mid-way through what DynamoDB returned: resume after the last one kept.
        const last = found[room - 1]!;
        startKey = Object.fromEntries(indexKeyNames.map((n) => [n, last[n]]));
        break;
      }
      if (result.LastEvaluatedKey) startKey = result.LastEvaluatedKey;
      else {
        shard++;
        startKey = undefined;
      }
    }
    const done = shard >= CONTACT_SHARDS;
    return { items, cursor: done ? undefined : encodePageCursor({ s: shard, k: startKey, f }) };
  }

  async erase(contactId: string, at: string) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = (await this.db.send(new GetCommand({ TableName: this.table, Key: keys.contact(contactId), ConsistentRead: true })))
        .Item;
      if (!current) return 'not-found' as const;
      if (current.erasedAt) return 'already-erased' as const;
      // Everything but the key, the creation date and the suppression goes, index entries included,
      // so the tombstone is neither listed nor mailed, and an import of the same address is refused.
      const keep = new Set([...tableKeyNames, 'contactId', 'createdAt', 'updatedAt', 'consent', 'suppressed', 'suppressedAt']);
      const remove = Object.keys(current).filter((name) => !keep.has(name));
      const names: Record<string, string> = Object.fromEntries(remove.map((n, i) => [`#r${i}`, n]));
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: keys.contact(contactId),
            UpdateExpression: `SET erasedAt = :at, updatedAt = :at, suppressed = :erased, suppressedAt = :at, consent = :false${remove.length ? ` REMOVE ${Object.keys(names).join(', ')}` : ''}`,
            // Unchanged since the read, so no attribute written meanwhile survives the erasure.
            ConditionExpression: current.updatedAt === undefined ? 'attribute_not_exists(updatedAt)' : 'updatedAt = :seen',
            ExpressionAttributeNames: remove.length ? names : undefined,
            ExpressionAttributeValues: {
              ':at': at,
              ':erased': 'erased',
              ':false': false,
              ...(current.updatedAt === undefined ? {} : { ':seen': current.updatedAt }),
            },
          }),
        );
        return 'erased' as const;
      } catch (error) {
        if (!isConditionFailure(error)) throw error; // changed meanwhile: read again
      }
    }
    throw new ConcurrentUpdateError(`contact ${contactId} kept changing during its erasure; retry`);
  }

  async recordTransientBounce(contactId: string, messageId: string) {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.contact(contactId),
          // A string set of message ids: adding the same bounce twice changes nothing.
          UpdateExpression: 'ADD softBounces :m',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':m': new Set([messageId]) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return (result.Attributes?.softBounces as Set<string> | undefined)?.size ?? 0;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return 0; // unknown contact
      throw error;
    }
  }

  async rekeyedTo(forwardingKey: string) {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.rekeyed(forwardingKey) }));
    return typeof Item?.contactId === 'string' ? Item.contactId : undefined;
  }

  async suppress(contactId: string, reason: SuppressionReason, at: string) {
    // The first reason wins and is never overwritten: an unsubscribed contact who later bounces
    // stays "unsubscribed" (both stop sends; the first is what the person did).
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.contact(contactId),
          UpdateExpression: 'SET suppressed = :r, suppressedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(suppressed)',
          ExpressionAttributeValues: { ':r': reason, ':at': at },
        }),
      )
      .catch((error) => {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      });
  }
}
