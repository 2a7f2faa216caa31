/** Instagram counts the Send API text limit in UTF-8 bytes, not characters. */
export const MAX_PART_BYTES = 1000;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const isSpace = (ch: string | undefined): boolean => ch !== undefined && /\s/u.test(ch);

/** UTF-8 length without Buffer (the domain has no Node APIs). */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/**
 * Splits a reply into the parts Instagram will accept (each ≤ `maxBytes` UTF-8 bytes), at the
 * last whitespace that fits, else at a grapheme boundary so no emoji is torn. Each part becomes its
 * own recorded message and its own send: a retry then never repeats a part that was delivered.
 */
export function splitIntoParts(text: string, maxBytes = MAX_PART_BYTES): string[] {
  const parts: string[] = [];
  let rest = text;
  while (utf8Bytes(rest) > maxBytes) {
    let bytes = 0;
    let fit = 0;
    for (const { segment, index } of graphemes.segment(rest)) {
      const size = utf8Bytes(segment);
      if (bytes + size > maxBytes) break;
      bytes += size;
      fit = index + segment.length;
    }
    if (fit === 0) {
      // One grapheme over the limit: fall back to code points so the loop advances.
      for (const ch of rest) {
        if (bytes + utf8Bytes(ch) > maxBytes) break;
        bytes += utf8Bytes(ch);
        fit += ch.length;
      }
    }
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
