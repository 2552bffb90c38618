/**
 * C0 (U+0000–U+001F), DEL, C1 (U+0080–U+009F) and the Unicode line and paragraph separators: none
 * belongs in a header value (a mail client or terminal may act on them), so header fields refuse them
 * and rendered headers drop them. Built from code points so the source holds no control character.
 */
const ranges: [number, number][] = [
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0x2028, 0x2029],
];
const hex = (n: number) => `\\u${n.toString(16).padStart(4, '0')}`;
const characterClass = `[${ranges.map(([from, to]) => `${hex(from)}-${hex(to)}`).join('')}]`;

/** Matches any one control character (global: use with replace). */
export const controlCharacters = new RegExp(characterClass, 'gu');

export const hasControlCharacter = (s: string): boolean => new RegExp(characterClass, 'u').test(s);

/** The text with each run of control characters (line breaks included) made one space, trimmed. */
export const withoutControlCharacters = (s: string): string => s.replace(new RegExp(`${characterClass}+`, 'gu'), ' ').trim();
