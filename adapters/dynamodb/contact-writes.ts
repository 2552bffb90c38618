import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Contact, ContactPatch, SuppressionReason } from '../../lib/contacts/contact';
import type { ContactUpdate, ContactUpsert, EmailSuppression } from '../../lib/contacts/ports';
import { isConditionFailure, keys, recordOf } from './keys';
import { tableKeys } from './table-schema';

/**
 * The contact writes that change consent or suppression (docs/qualification.md, "Consent"): each is
 * one conditional UpdateItem that sets only the fields given, so a suppression or a withdrawal
 * written meanwhile is never overwritten. Nothing here ever removes `suppressed`.
 */

const { gsi1 } = tableKeys;

/** The attributes an import or a PATCH sets (consent is handled apart). */
export const profileFields = [
  'email',
  'firstName',
  'lastName',
  'company',
  'industry',
  'companySize',
  'country',
  'role',
  'seniority',
  'region',
  'ageBand',
  'incomeBand',
  'interests',
  'contactMe',
  'owner',
] as const;

export const toContact = (item: Record<string, unknown>): Contact => recordOf(item, 'softBounces') as unknown as Contact;

type Db = { db: DynamoDBDocumentClient; table: string };

/** SET clauses, names and values of the attributes given (undefined ones are left as stored). */
function attributeSets(fields: Partial<Record<(typeof profileFields)[number], unknown>>) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  for (const field of profileFields) {
    if (fields[field] === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = fields[field];
    sets.push(`#${field} = :${field}`);
  }
  return { names, values, sets };
}

export interface UpsertOutcome {
  created: boolean;
  erased: boolean;
  consentWithdrawn: boolean;
  consentNotRestored: boolean;
}

/**
 * One contact of an import. `withdraw` first tries the write that clears consent given before
 * (condition: consent is true); `give` first tries the write that sets consent (condition: never
 * withdrawn). When that condition fails, the plain upsert follows, leaving consent as stored.
 */
export async function upsertContact({ db, table }: Db, c: ContactUpsert): Promise<UpsertOutcome> {
  const outcome: UpsertOutcome = { created: false, erased: false, consentWithdrawn: false, consentNotRestored: false };
  const attributes = attributeSets(c);
  const write = async (consent: 'give' | 'withdraw' | 'keep') => {
    const sets = [
      'createdAt = if_not_exists(createdAt, :created)',
      'updatedAt = :now',
      'contactId = :id',
      `${gsi1.partitionKey} = :shard`,
      `${gsi1.sortKey} = :id`,
      ...attributes.sets,
    ];
    const values: Record<string, unknown> = {
      ...attributes.values,
      ':now': c.updatedAt,
      ':created': c.createdAt,
      ':id': c.contactId,
      ':shard': keys.contactShard(c.contactId),
    };
    let condition = 'attribute_not_exists(erasedAt)';
    if (consent === 'give') {
      sets.push('consent = :true');
      values[':true'] = true;
      condition += ' AND attribute_not_exists(consentWithdrawnAt)';
    } else if (consent === 'withdraw') {
      sets.push('consent = :false', 'consentWithdrawnAt = :now');
      values[':false'] = false;
      values[':true'] = true;
      condition += ' AND consent = :true';
    } else {
      sets.push('consent = if_not_exists(consent, :false)');
      values[':false'] = false;
    }
    const result = await db.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.contact(c.contactId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: Object.keys(attributes.names).length ? attributes.names : undefined,
        ExpressionAttributeValues: values,
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    outcome.created = !result.Attributes?.createdAt;
  };
  // Without an explicit change, consent true still gives consent (as before `consentChange` existed).
  const change = c.consentChange ?? (c.consent ? 'give' : undefined);
  try {
    if (change) {
      try {
        await write(change);
        outcome.consentWithdrawn = change === 'withdraw';
        return outcome;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // withdraw: there was no consent to withdraw (or no contact yet); give: consent was withdrawn, or the contact erased.
      }
    }
    await write('keep');
    outcome.consentNotRestored = change === 'give';
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    outcome.erased = true;
  }
  return outcome;
}

/**
 * PATCH: the attributes given, and consent. Consent `false` records the withdrawal (the first
 * moment stays); consent `true` is an explicit opt-in that clears a withdrawal but is refused on a
 * suppressed contact. When the condition fails, a read tells why.
 */
export async function updateContact({ db, table }: Db, contactId: string, patch: ContactPatch, at: string): Promise<ContactUpdate> {
  const attributes = attributeSets(patch);
  const sets = ['updatedAt = :now', ...attributes.sets];
  const values: Record<string, unknown> = { ...attributes.values, ':now': at };
  const removes: string[] = [];
  let condition = 'attribute_exists(pk) AND attribute_not_exists(erasedAt)';
  if (patch.consent === false) {
    sets.push('consent = :false', 'consentWithdrawnAt = if_not_exists(consentWithdrawnAt, :now)');
    values[':false'] = false;
  } else if (patch.consent === true) {
    sets.push('consent = :true', 'consentGivenAt = :now');
    removes.push('consentWithdrawnAt');
    values[':true'] = true;
    condition += ' AND attribute_not_exists(suppressed)';
  }
  try {
    const result = await db.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.contact(contactId),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: Object.keys(attributes.names).length ? attributes.names : undefined,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    const contact = toContact(result.Attributes!);
    return { outcome: 'updated', contact, consentWithdrawn: patch.consent === false && contact.consentWithdrawnAt === at };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  const item = (await db.send(new GetCommand({ TableName: table, Key: keys.contact(contactId), ConsistentRead: true }))).Item;
  if (!item) return { outcome: 'not-found' };
  if (item.erasedAt) return { outcome: 'erased' };
  return { outcome: 'suppressed', contact: toContact(item) };
}

/**
 * A suppression by email. An unknown address gets a contact record (email, no consent, suppressed)
 * listed like any contact, so a later import or list audience finds it suppressed. The first reason
 * stays, as with every suppression (contact-store.ts `suppress`).
 */
export async function suppressEmail(
  { db, table }: Db,
  contactId: string,
  email: string,
  reason: SuppressionReason,
  at: string,
): Promise<EmailSuppression> {
  try {
    const result = await db.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.contact(contactId),
        UpdateExpression: [
          'SET suppressed = if_not_exists(suppressed, :reason)',
          'suppressedAt = if_not_exists(suppressedAt, :at)',
          'email = if_not_exists(email, :email)',
          'consent = if_not_exists(consent, :false)',
          'createdAt = if_not_exists(createdAt, :at)',
          'updatedAt = :at',
          'contactId = :id',
          `${gsi1.partitionKey} = :shard`,
          `${gsi1.sortKey} = :id`,
        ].join(', '),
        ConditionExpression: 'attribute_not_exists(erasedAt)',
        ExpressionAttributeValues: {
          ':reason': reason,
          ':at': at,
          ':email': email,
          ':false': false,
          ':id': contactId,
          ':shard': keys.contactShard(contactId),
        },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    if (!result.Attributes?.createdAt) return 'created';
    return result.Attributes.suppressed ? 'already-suppressed' : 'suppressed';
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return 'erased';
  }
}
