import { MAX_PART_BYTES, splitIntoParts } from '@palette/domain';

/** Instagram counts the Send API text limit in UTF-8 bytes, not characters. */
export const MAX_TEXT_BYTES = MAX_PART_BYTES;

/**
 * Splits `text` into parts of at most `maxBytes` UTF-8 bytes, breaking at the last whitespace run
 * that fits and dropping that run; text without a usable space (Japanese, one long URL) is cut at a
 * grapheme boundary so no emoji or combined character is torn in two. Text that fits is returned
 * untouched, whitespace included. The rule itself is the domain's (the outbound queue records one
 * message per part); the client applies the same one to anything handed to it whole.
 */
export function splitTextByBytes(text: string, maxBytes: number = MAX_TEXT_BYTES): string[] {
  if (maxBytes < 4) throw new RangeError('maxBytes must fit one UTF-8 code point (4 bytes)');
  return splitIntoParts(text, maxBytes);
}

/** Quick-reply titles and template strings are limited in characters; never cut a surrogate pair. */
export function truncateChars(s: string, max: number, ellipsis = ''): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  return chars.slice(0, Math.max(0, max - Array.from(ellipsis).length)).join('') + ellipsis;
}
