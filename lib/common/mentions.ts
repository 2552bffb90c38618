/**
 * Finding a person in free text (sales notes, set-aside event bodies, stored answers) for the right
 * to erasure: their email address, and their full name as it is written ("Dana Weiss", any case,
 * any run of spaces between the words). A first or last name alone is not matched: "Dana" in a
 * note about another Dana is not this person, and redacting it would damage other people's records.
 */
export interface Person {
  email?: string;
  firstName?: string;
  lastName?: string;
}

/** What a mention is replaced with. */
export const ERASED_MENTION = '[erased]';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A case-insensitive pattern for the person's email and full name; undefined when there is neither. */
export function mentionPattern(person: Person): RegExp | undefined {
  const alternatives: string[] = [];
  if (person.email?.trim()) alternatives.push(escapeRegExp(person.email.trim()));
  const words = [person.firstName, person.lastName].flatMap((w) => w?.trim().split(/\s+/) ?? []).filter(Boolean);
  if (words.length >= 2) alternatives.push(words.map(escapeRegExp).join('\\s+'));
  return alternatives.length ? new RegExp(alternatives.join('|'), 'giu') : undefined;
}

/** The text with every mention replaced; undefined when it had none. */
export function redactMentions(text: string, pattern: RegExp): string | undefined {
  const redacted = text.replace(pattern, ERASED_MENTION);
  return redacted === text ? undefined : redacted;
}
