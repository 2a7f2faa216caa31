/** Instagram counts the Send API text limit in UTF-8 bytes, not characters. */
export const MAX_TEXT_BYTES = 1000;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const isSpace = (ch: string | undefined): boolean => ch !== undefined && /\s/u.test(ch);

/**
 * Splits `text` into parts of at most `maxBytes` UTF-8 bytes, breaking at the last whitespace run
 * that fits and dropping that run; text without a usable space (Japanese, one long URL) is cut at a
 * grapheme boundary so no emoji or combined character is torn in two. Text that fits is returned
 * untouched, whitespace included.
 */
export function splitTextByBytes(text: string, maxBytes: number = MAX_TEXT_BYTES): string[] {
  if (maxBytes < 4) throw new RangeError('maxBytes must fit one UTF-8 code point (4 bytes)');
  const parts: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest, 'utf8') > maxBytes) {
    let bytes = 0;
    let fit = 0;
    for (const { segment, index } of graphemes.segment(rest)) {
      const size = Buffer.byteLength(segment, 'utf8');
      if (bytes + size > maxBytes) break;
      bytes += size;
      fit = index + segment.length;
    }
    // A single grapheme over the limit (a long chain of combining marks) still has to go somewhere:
    // fall back to code points so the loop always advances.
    if (fit === 0) fit = codePointPrefix(rest, maxBytes);
    let cut = -1;
    for (let p = fit; p > 0; p--) {
      if (isSpace(rest[p]) && !isSpace(rest[p - 1])) { cut = p; break; }
    }
    if (cut > 0) {
      parts.push(rest.slice(0, cut));
      let next = cut;
      while (next < rest.length && isSpace(rest[next])) next++;
      rest = rest.slice(next);
    } else {
      parts.push(rest.slice(0, fit));
      rest = rest.slice(fit);
    }
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

function codePointPrefix(s: string, maxBytes: number): number {
  let bytes = 0;
  let i = 0;
  for (const cp of s) {
    const size = Buffer.byteLength(cp, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += cp.length;
  }
  return i;
}

/** Quick-reply titles and template strings are limited in characters; never cut a surrogate pair. */
export function truncateChars(s: string, max: number, ellipsis = ''): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  return chars.slice(0, Math.max(0, max - Array.from(ellipsis).length)).join('') + ellipsis;
}
