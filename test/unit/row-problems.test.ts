import { describe, expect, it } from 'vitest';
import { contactInputSchema } from '../../lib/contacts/contact';
import { rowFromCsvRecord } from '../../lib/contacts/contact-import';
import { rowProblems } from '../../lib/contacts/row-problems';

const problemsOf = (fields: Record<string, unknown>) => {
  const parsed = contactInputSchema.safeParse(fields);
  return parsed.success ? [] : rowProblems(7, fields, parsed.error.issues);
};

describe('import row problems, in plain words', () => {
  it('says a missing email is missing, not "expected string, received undefined"', () => {
    expect(problemsOf({ firstName: 'Ana' })).toEqual([{ row: 7, field: 'email', reason: 'email is missing' }]);
  });

  it('names every problem of a row', () => {
    const reasons = problemsOf({ email: 'nope', companySize: 'huge', country: 'DEU', consent: 'maybe', shoeSize: 44 }).map((p) => p.reason);
    expect(reasons).toEqual([
      'email is not a valid email address',
      'companySize must be one of 1-10, 11-50, 51-200, 201-1000, 1001-5000, 5001+',
      'country must have exactly 2 characters',
      'consent must be yes or no (true/false, 1/0)',
      'unknown field: shoeSize',
    ]);
  });

  it('a CSV row with a bad yes/no still names its other problems', () => {
    const row = rowFromCsvRecord(['email', 'companySize', 'consent'], ['', 'huge', 'maybe'], 3);
    expect('errors' in row && row.errors.map((e) => e.reason)).toEqual([
      'consent must be yes or no (true/false, 1/0)',
      'email is missing',
      'companySize must be one of 1-10, 11-50, 51-200, 201-1000, 1001-5000, 5001+',
    ]);
  });
});
