import { DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError } from '../../lib/common/errors';
import { replaceLegacyIds } from '../../lib/common/ids';
import type { ContactRekeyStore, LegacyContact, RekeyPass } from '../../lib/contacts/ports';
import { isConditionFailure, keys } from './keys';
import { tableKeys } from './table-schema';

type Item = Record<string, unknown>;
type Mapping = ReadonlyMap<string, string>;

const CONTACT = 'CONTACT#';
const PROFILE = keys.contact('x').sk;
const LEGACY_PROFILE = `${CONTACT}ct_`;
const isProfile = (item: Item) => String(item.pk).startsWith(CONTACT) && item.sk === PROFILE;
const MAX_ATTEMPTS = 8;

/** The value with every mapped legacy id replaced, in strings, map keys, lists and sets, however deep. */
function rekeyValue(value: unknown, mapping: Mapping): unknown {
  if (typeof value === 'string') return replaceLegacyIds(value, mapping) ?? value;
  if (Array.isArray(value)) return value.map((v) => rekeyValue(v, mapping));
  if (value instanceof Set) return new Set([...value].map((v) => rekeyValue(v, mapping)));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [replaceLegacyIds(k, mapping) ?? k, rekeyValue(v, mapping)]));
  }
  return value; // numbers, booleans, null, binary
}

const json = (item: Item) => JSON.stringify(item, (_key, v) => (v instanceof Set ? [...v].sort() : v));

/** The item as it is after re-keying, or undefined when it holds no mapped legacy id. */
function rekeyItem(item: Item, mapping: Mapping): Item | undefined {
  const next = rekeyValue(item, mapping) as Item;
  if (json(next) === json(item)) return undefined;
  // A contact is listed in the index shard its id hashes to (keys.contactShard): the new id's.
  if (isProfile(next) && next[tableKeys.gsi1.partitionKey] !== undefined) {
    next[tableKeys.gsi1.partitionKey] = keys.contactShard(String(next.pk).slice(CONTACT.length));
  }
  return next;
}

/**
 * A condition that holds while the item is as read: every top-level string, number, boolean and set
 * equal, every list and map of the same size. (DynamoDB compares lists and maps with `=` too, the
 * developer guide's "Comparison operators" — dynalite does not, so the check is one both keep; every
 * writer of a list or map here also changes a scalar beside it, a version or a time.)
 */
function unchanged(item: Item) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const terms = Object.entries(item).map(([name, value], i) => {
    names[`#a${i}`] = name;
    const whole = Array.isArray(value) || (value && typeof value === 'object' && !(value instanceof Set) && !(value instanceof Uint8Array));
    values[`:a${i}`] = whole ? (Array.isArray(value) ? value.length : Object.keys(value as object).length) : value;
    return whole ? `size(#a${i}) = :a${i}` : `#a${i} = :a${i}`;
  });
  return { ConditionExpression: terms.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}

/**
 * Re-keying legacy contact ids in the single table (lib/contacts/rekey-contacts.ts): a Scan of the
 * whole table, since legacy ids sit in every kind of item (the contact, its lead, archived leads,
 * activities and follow-ups; recipients and send records in each campaign's partition; audiences,
 * lead-index entries, dead letters, idempotency answers…). A Scan reads each item once: about
 * N × size / 4 KB read units, strongly consistent; a re-keyed item costs a Put and a Delete (an
 * item whose key stays, one Put), each a write unit per KB (docs/deploy.md).
 */
export class DynamoContactRekeyStore implements ContactRekeyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async *legacyContacts(): AsyncGenerator<LegacyContact> {
    for await (const item of this.scan()) {
      if (!String(item.pk).startsWith(LEGACY_PROFILE) || item.sk !== PROFILE) continue;
      yield { contactId: String(item.pk).slice(CONTACT.length), email: typeof item.email === 'string' ? item.email : undefined };
    }
  }

  async rewrite(mapping: Mapping, options: { profiles: boolean; dryRun: boolean }): Promise<RekeyPass> {
    const pass: RekeyPass = { scanned: 0, rewritten: 0, alreadyDone: 0 };
    for await (const item of this.scan()) {
      pass.scanned++;
      if (isProfile(item) !== options.profiles) continue;
      const next = rekeyItem(item, mapping);
      if (!next) continue;
      if (options.dryRun) pass.rewritten++;
      else pass[(await this.move(item, next, mapping)) === 'rewritten' ? 'rewritten' : 'alreadyDone']++;
    }
    return pass;
  }

  async forward(forwardingKey: string, contactId: string) {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...keys.rekeyed(forwardingKey), contactId } }));
  }

  private async *scan(): AsyncGenerator<Item> {
    let start: Item | undefined;
    do {
      const page = await this.db.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: start, ConsistentRead: true }));
      yield* page.Items ?? [];
      start = page.LastEvaluatedKey;
    } while (start);
  }

  /**
   * Writes `next` in place of `old`, if `old` is still as read; else reads it again and retries.
   * Without a transaction (the project keeps to single-item writes: docs/engagement.md; dynalite has
   * none either): the new item is written first, then the old one deleted on condition that it is
   * unchanged. A crash between the two leaves both, the same record under its old and new key, and
   * the next run — which still maps the old id, the contact moving last — finds the new one as it
   * would write it and deletes the old. A concurrent change of the old item fails the delete: it is
   * read again, and the new item rewritten from it. Nothing is lost; nothing stays doubled after a
   * complete run.
   */
  private async move(old: Item, next: Item, mapping: Mapping): Promise<'rewritten' | 'already-done'> {
    const TableName = this.table;
    let ours: Item | undefined;
    let begunBefore = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        if (old.pk === next.pk && old.sk === next.sk) {
          await this.db.send(new PutCommand({ TableName, Item: next, ...unchanged(old) }));
          return 'rewritten';
        }
        begunBefore = (await this.placeNew(old, next, ours)) === 'found' && !ours;
        ours = next;
        await this.db.send(new DeleteCommand({ TableName, Key: { pk: old.pk, sk: old.sk }, ...unchanged(old) }));
        return begunBefore ? 'already-done' : 'rewritten';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const current = (await this.db.send(new GetCommand({ TableName, Key: { pk: old.pk, sk: old.sk }, ConsistentRead: true }))).Item;
      const again = current && rekeyItem(current, mapping);
      if (!current || !again) return 'already-done';
      [old, next] = [current, again];
    }
    throw new ConcurrentUpdateError(`item ${String(old.pk)} / ${String(old.sk)} kept changing; run the migration again`);
  }

  /**
   * Writes the moved item under its new key, never over another record: the key is free, or holds
   * this very item (an earlier run's write, or a lost answer retried), or what this move wrote a
   * moment ago (`ours`, from a version of the old item that has changed since).
   */
  private async placeNew(old: Item, next: Item, ours: Item | undefined): Promise<'written' | 'found'> {
    const TableName = this.table;
    try {
      await this.db.send(new PutCommand({ TableName, Item: next, ConditionExpression: 'attribute_not_exists(pk)' }));
      return 'written';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const key = { pk: next.pk, sk: next.sk };
    const there = (await this.db.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }))).Item;
    if (there && json(there) === json(next)) return 'found';
    if (there && ours && json(there) === json(ours)) {
      await this.db.send(new PutCommand({ TableName, Item: next, ...unchanged(ours) }));
      return 'written';
    }
    throw new Error(
      `${String(next.pk)} / ${String(next.sk)} holds another record than ${String(old.pk)} / ${String(old.sk)} re-keyed: nothing was overwritten; compare the two and delete the one that is wrong, then run the migration again`,
    );
  }
}
