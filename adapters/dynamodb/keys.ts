import { createHash } from 'node:crypto';
import { InvalidCursorError } from '../../lib/common/errors';
import { tableKeys } from './table-schema';

/**
 * Key layout of the single table (docs/architecture.md, "Data model"). Every access path is a
 * GetItem or a Query on a known partition; nothing on a request path scans.
 */
export const CONTACT_SHARDS = 16;

/** The lists of the listing index (gsi1): the partitions a listing Queries. */
export const lists = {
  campaigns: 'CAMPAIGNS',
  criteria: 'CRITERIA',
  leadsOf: (campaignId: string) => `MQLS#${campaignId}`,
  /** Contacts are listed through 16 index partitions so imports do not heat one partition. */
  contacts: (shard: number) => `CONTACTS#${shard}`,
};

export const keys = {
  contact: (contactId: string) => ({ pk: `CONTACT#${contactId}`, sk: 'PROFILE' }),
  /** The contact list shard a contact is listed in. */
  contactShard: (contactId: string) =>
    lists.contacts(parseInt(createHash('sha256').update(contactId).digest('hex').slice(0, 6), 16) % CONTACT_SHARDS),
  lead: (contactId: string) => ({ pk: `CONTACT#${contactId}`, sk: 'LEAD' }),
  profile: (profileId: string, version: number) => ({ pk: `PROFILE#${profileId}`, sk: `V#${String(version).padStart(6, '0')}` }),
  campaign: (campaignId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: 'META' }),
  send: (campaignId: string, contactId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: `SEND#${contactId}` }),
  /** A send job's claim (lease): one sender at a time per job. */
  sendJob: (campaignId: string, jobId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: `SENDJOB#${jobId}` }),
  /** A resolved page of the audience, recorded once (zero-padded so pages sort in order). */
  audiencePage: (campaignId: string, page: number) => ({ pk: `CAMPAIGN#${campaignId}`, sk: `AUDIENCE#${String(page).padStart(6, '0')}` }),
  /** A send job's outcome, recorded once per job id. */
  jobOutcome: (campaignId: string, jobId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: `JOB#${jobId}` }),
  /** The finished-job counter and the job total (small, apart from the campaign item and its templates). */
  sendProgress: (campaignId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: 'SENDPROGRESS' }),
  /** The account's send schedule shared by every sender (pacing). */
  sendRate: () => ({ pk: 'SENDRATE', sk: 'SES' }),
  recipient: (campaignId: string, contactId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: `RCPT#${contactId}` }),
  delta: (campaignId: string, deltaId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: `DELTA#${deltaId}` }),
  /** A closed lead of an earlier lifecycle, kept when the contact re-qualifies. */
  archivedLead: (contactId: string, lifecycle: number) => ({
    pk: `CONTACT#${contactId}`,
    sk: `LEAD#${String(lifecycle).padStart(4, '0')}`,
  }),
  /**
   * Where a legacy contact went when the re-keying migration moved it, keyed by
   * `ids.idForLegacy(legacyId)` (so a guessed address does not find it): unsubscribe links mailed
   * before the migration name the legacy id.
   */
  rekeyed: (forwardingKey: string) => ({ pk: `CONTACT#${forwardingKey}`, sk: 'REKEYED' }),
  /** One scored activity in the contact's ledger. */
  activity: (contactId: string, key: string) => ({ pk: `CONTACT#${contactId}`, sk: `ACT#${key}` }),
  criteriaDraft: (criteriaId: string) => ({ pk: `CRITERIA#${criteriaId}`, sk: 'DRAFT' }),
  criteriaVersion: (criteriaId: string, version: number) => ({ pk: `CRITERIA#${criteriaId}`, sk: `V#${String(version).padStart(6, '0')}` }),
  criteriaDefault: () => ({ pk: 'CRITERIA', sk: 'DEFAULT' }),
  routing: () => ({ pk: 'ROUTING', sk: 'RULES' }),
  routingTurn: (team: string) => ({ pk: 'ROUTING', sk: `TURN#${team}` }),
  /** The sum of every delta up to `through`, so stats reads do not grow with the campaign's age. */
  checkpoint: (campaignId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: 'CHECKPOINT' }),
};

const { partitionKey, sortKey, gsi1 } = tableKeys;

/** Attribute names of a key of the table, and of a key of the listing index (gsi1, which holds the table's too). */
export const tableKeyNames: string[] = [partitionKey, sortKey];
export const indexKeyNames: string[] = [partitionKey, sortKey, gsi1.partitionKey, gsi1.sortKey];

/** An item's entry in the listing index: the list it is in and its place in that list (the order listed). */
const listEntry = (list: string, place: string) => ({ [gsi1.partitionKey]: list, [gsi1.sortKey]: place });

/** Entries of the listing index, placed in time order: campaigns and criteria sets by creation, a campaign's MQLs by qualification. */
export const listEntries = {
  campaign: (c: { campaignId: string; createdAt: string }) => listEntry(lists.campaigns, `${c.createdAt}#${c.campaignId}`),
  criteria: (d: { criteriaId: string; createdAt: string }) => listEntry(lists.criteria, `${d.createdAt}#${d.criteriaId}`),
  lead: (campaignId: string, l: { contactId: string; qualifiedAt: string }) =>
    listEntry(lists.leadsOf(campaignId), `${l.qualifiedAt}#${l.contactId}`),
};

/** Query input for one list of the listing index, its places limited to [from, to] when given. */
export function listQuery(list: string, between?: { from: string; to: string }) {
  return {
    IndexName: gsi1.indexName,
    KeyConditionExpression: `${gsi1.partitionKey} = :list${between ? ` AND ${gsi1.sortKey} BETWEEN :from AND :to` : ''}`,
    ExpressionAttributeValues: { ':list': list, ...(between && { ':from': between.from, ':to': between.to }) } as Record<string, unknown>,
  };
}

/** The record an item stores: the item without its table and index keys, and without `also`. */
export function recordOf(item: Record<string, unknown>, ...also: string[]): Record<string, unknown> {
  const drop = new Set([...indexKeyNames, ...also]);
  return Object.fromEntries(Object.entries(item).filter(([name]) => !drop.has(name)));
}

export const isConditionFailure = (error: unknown) => (error as { name?: string })?.name === 'ConditionalCheckFailedException';

/**
 * Page cursors handed to API clients: the position (a DynamoDB key, plus what the caller adds) as
 * base64url JSON, checked on the way back in so that a cursor this code did not issue is refused
 * with a clear error instead of restarting the list or reaching into another partition.
 */
export function encodePageCursor(position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodePageCursor<T>(
  cursor: string | undefined,
  valid: (value: Record<string, unknown>) => value is Record<string, unknown> & T,
): T | undefined {
  if (cursor === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value) || !valid(value as Record<string, unknown>)) {
    throw new InvalidCursorError('the cursor is not one this API issued; start the listing again without a cursor');
  }
  return value as T;
}

/** The cursor of a Query page: its LastEvaluatedKey, or none when nothing follows. */
export const cursorAfter = (lastKey: Record<string, unknown> | undefined) => (lastKey ? encodePageCursor(lastKey) : undefined);

/**
 * The ExclusiveStartKey a `cursorAfter` cursor stands for: a key of the listing index in `list`, or
 * (`partition`) a key of the table in that partition whose sort key starts with `sortPrefix`.
 */
export function startKeyOf(cursor: string | undefined, where: { list: string } | { partition: string; sortPrefix: string }) {
  return decodePageCursor(cursor, (k): k is Record<string, string> =>
    'list' in where
      ? isKeyOf(k, indexKeyNames) && k[gsi1.partitionKey] === where.list
      : isKeyOf(k, tableKeyNames) && k[partitionKey] === where.partition && k[sortKey]!.startsWith(where.sortPrefix),
  );
}

/** True when `key` is a table key of string attributes whose names are exactly `names`. */
export function isKeyOf(key: unknown, names: string[]): key is Record<string, string> {
  if (!key || typeof key !== 'object' || Array.isArray(key)) return false;
  const entries = Object.entries(key);
  return entries.length === names.length && entries.every(([k, v]) => names.includes(k) && typeof v === 'string' && v.length < 2048);
}
