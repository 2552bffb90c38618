import { describe, expect, it } from 'vitest';
import {
  audienceSchema,
  describeExclusions,
  exclusionReason,
  inAudience,
  MAX_LIST_SIZE,
  normaliseAudience,
} from '../../lib/sending/audience';
import type { Contact } from '../../lib/contacts/contact';
import { contactIds } from '../../lib/common/ids';

const ids = contactIds('a-test-secret-of-at-least-32-characters');

const contact = (over: Partial<Contact> = {}): Contact => ({
  contactId: 'ct_1',
  email: 'dana@Northwind.example',
  consent: true,
  createdAt: '',
  updatedAt: '',
  industry: 'Software',
  country: 'DE',
  interests: ['Analytics', 'security'],
  ...over,
});
const segment = (input: unknown) => normaliseAudience(audienceSchema.parse(input));

describe('campaign audiences', () => {
  it('matches segment conditions case-insensitively, with all or any of them', () => {
    const both = segment({
      kind: 'segment',
      conditions: [
        { attribute: 'industry', in: ['software'] },
        { attribute: 'country', in: ['FR'] },
      ],
    });
    expect(inAudience(contact(), both)).toBe(false);
    expect(inAudience(contact(), { ...both, match: 'any' } as typeof both)).toBe(true);
    expect(inAudience(contact(), segment({ kind: 'segment', conditions: [{ attribute: 'emailDomain', in: ['northwind.example'] }] }))).toBe(
      true,
    );
  });

  it('tests list attributes by any element, and presence with exists', () => {
    expect(inAudience(contact(), segment({ kind: 'segment', conditions: [{ attribute: 'interests', in: ['SECURITY'] }] }))).toBe(true);
    expect(inAudience(contact(), segment({ kind: 'segment', conditions: [{ attribute: 'interests', notIn: ['security'] }] }))).toBe(false);
    expect(inAudience(contact(), segment({ kind: 'segment', conditions: [{ attribute: 'region', exists: false }] }))).toBe(true);
    expect(inAudience(contact({ region: 'EMEA' }), segment({ kind: 'segment', conditions: [{ attribute: 'region', exists: true }] }))).toBe(
      true,
    );
  });

  it('turns a list of emails and ids into unique contact ids, in order', () => {
    const idOf = new Map([['dana@northwind.example', ids.idFor('dana@northwind.example')]]);
    const list = audienceSchema.parse({ kind: 'list', contactIds: ['ct_a', 'ct_a'], emails: ['Dana@Northwind.example'] });
    expect(normaliseAudience(list, idOf)).toEqual({ kind: 'list', contactIds: ['ct_a', ids.idFor('dana@northwind.example')] });
  });

  it('refuses an empty list, a list too long, an unknown attribute and an unknown field, saying which', () => {
    const issues = (input: unknown) => audienceSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ kind: 'list' })).toEqual([': a list audience names at least one contact id or email']);
    expect(issues({ kind: 'list', contactIds: Array.from({ length: MAX_LIST_SIZE + 1 }, (_, i) => `ct_${i}`) })?.[0]).toMatch(
      /^contactIds: /,
    );
    expect(issues({ kind: 'segment', conditions: [{ attribute: 'shoeSize', in: ['9'] }] })?.[0]).toMatch(/^conditions\.0/);
    expect(issues({ kind: 'all', extra: 1 })?.[0]).toMatch(/Unrecognized key/);
  });

  it('names why a contact is not mailed: suppression first, then consent, then a missing contact', () => {
    expect(exclusionReason(contact())).toBeUndefined();
    expect(exclusionReason(contact({ consent: false, suppressed: 'complained' }))).toBe('complained');
    expect(exclusionReason(contact({ consent: false }))).toBe('no-consent');
    expect(exclusionReason(undefined)).toBe('not-found');
    expect(describeExclusions({ bounced: 41, unsubscribed: 312 })).toBe('312 unsubscribed, 41 bounced');
  });
});
