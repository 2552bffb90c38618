import { createHash } from 'node:crypto';
import { InvalidCursorError } from '../../lib/shared/errors';

/**
 * Key layout of the single table (docs/architecture.md, "Data model"). Every access path is a
 * GetItem or a Query on a known partition; nothing on a request path scans.
 */
export const CONTACT_SHARDS = 16;

export const keys = {
  contact: (contactId: string) => ({ pk: `CONTACT#${contactId}`, sk: 'PROFILE' }),
  /** Contacts are listed through 16 index partitions so imports do not heat one partition. */
  contactShard: (contactId: string) =>
    `CONTACTS#${parseInt(createHash('sha256').update(contactId).digest('hex').slice(0, 6), 16) % CONTACT_SHARDS}`,
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
  archivedLead: (contactId: string, lifecycle: number) => ({ pk: `CONTACT#${contactId}`, sk: `LEAD#${String(lifecycle).padStart(4, '0')}` }),
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

export function encodeCursor(lastKey: Record<string, unknown> | undefined): string | undefined {
  return lastKey ? Buffer.from(JSON.stringify(lastKey)).toString('base64url') : undefined;
}

export function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

export const isConditionFailure = (error: unknown) =>
  (error as { name?: string })?.name === 'ConditionalCheckFailedException';

/**
 * Page cursors handed to API clients: the position (a DynamoDB key, plus what the caller adds) as
 * base64url JSON, checked on the way back in so that a cursor this code did not issue is refused
 * with a clear error instead of restarting the list or reaching into another partition.
 */
export function encodePageCursor(position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodePageCursor<T>(cursor: string | undefined, valid: (value: Record<string, unknown>) => value is Record<string, unknown> & T): T | undefined {
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

/** True when `key` is a table key of string attributes whose names are exactly `names`. */
export function isKeyOf(key: unknown, names: string[]): key is Record<string, string> {
  if (!key || typeof key !== 'object' || Array.isArray(key)) return false;
  const entries = Object.entries(key);
  return entries.length === names.length && entries.every(([k, v]) => names.includes(k) && typeof v === 'string' && v.length < 2048);
}
