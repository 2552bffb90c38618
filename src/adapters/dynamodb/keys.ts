import { createHash } from 'node:crypto';

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
  recipient: (campaignId: string, contactId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: `RCPT#${contactId}` }),
  delta: (campaignId: string, deltaId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: `DELTA#${deltaId}` }),
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
