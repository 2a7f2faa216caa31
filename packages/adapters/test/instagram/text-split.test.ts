import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitTextByBytes, truncateChars } from '../../src/instagram/index.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const graphemes = (s: string) => Array.from(new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s), (g) => g.segment);

/** True when `original` is the parts in order with only whitespace (possibly none) between them. */
function reassembles(original: string, parts: string[]): boolean {
  let at = 0;
  for (const [i, part] of parts.entries()) {
    // Between parts only whitespace may have been dropped (none after a hard cut).
    if (i > 0) while (!original.startsWith(part, at) && /\s/u.test(original[at] ?? '')) at++;
    if (!original.startsWith(part, at)) return false;
    at += part.length;
  }
  return at === original.length;
}

// Tokens that stress the byte counting: 1-, 2-, 3- and 4-byte code points, ZWJ emoji, flags, combining marks.
const token = fc.constantFrom('a', 'word', 'é', 'ß', '日本語', 'こんにちは', 'カタカナ', '😀', '👩‍👩‍👧‍👦', '🇯🇵', 'e\u0301', '🏳️‍🌈', 'https://example.com/p?id=123456789');
const sep = fc.constantFrom(' ', '  ', '\n', '\u3000', '', '', '');
const text = fc.array(fc.tuple(token, sep), { minLength: 0, maxLength: 900 }).map((xs) => xs.map(([t, s]) => t + s).join(''));

describe('splitTextByBytes', () => {
  it('keeps text that fits exactly as it is, whitespace included', () => {
    expect(splitTextByBytes('  hello  ')).toEqual(['  hello  ']);
    const exact = 'é'.repeat(500);
    expect(bytes(exact)).toBe(1000);
    expect(splitTextByBytes(exact)).toEqual([exact]);
  });

  it('breaks English at the last space that fits and drops that space', () => {
    const words = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const parts = splitTextByBytes(words);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(bytes(p)).toBeLessThanOrEqual(1000);
      expect(p).toMatch(/^word\d+( word\d+)*$/);
    }
    expect(parts.join(' ')).toBe(words);
  });

  it('cuts spaceless Japanese at character boundaries (3 bytes each, so 333 per part)', () => {
    const ja = 'あ'.repeat(1000);
    const parts = splitTextByBytes(ja);
    expect(parts.map((p) => p.length)).toEqual([333, 333, 333, 1]);
    expect(parts.join('')).toBe(ja);
  });

  it('never tears a ZWJ family emoji or a flag apart', () => {
    const family = '👩‍👩‍👧‍👦';
    const s = family.repeat(60);
    const parts = splitTextByBytes(s);
    for (const p of parts) {
      expect(bytes(p)).toBeLessThanOrEqual(1000);
      expect(graphemes(p).every((g) => g === family)).toBe(true);
    }
    expect(parts.join('')).toBe(s);
  });

  it('property: every part ≤ 1000 bytes, non-empty, and the parts rebuild the text modulo the split whitespace', () => {
    fc.assert(fc.property(text, (s) => {
      const parts = splitTextByBytes(s);
      for (const p of parts) {
        expect(bytes(p)).toBeLessThanOrEqual(1000);
        expect(p.length).toBeGreaterThan(0);
      }
      expect(reassembles(s, parts)).toBe(true);
      // Nothing but whitespace is dropped.
      expect(parts.join('').replace(/\s/gu, '')).toBe(s.replace(/\s/gu, ''));
      // Cuts fall on grapheme boundaries: every grapheme of every part is a grapheme of the text.
      const all = new Set(graphemes(s));
      for (const p of parts) for (const g of graphemes(p)) expect(all.has(g)).toBe(true);
    }), { numRuns: 150 });
  });

  it('property: a small limit still holds for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 4, max: 64 }), (s, max) => {
      const parts = splitTextByBytes(s, max);
      for (const p of parts) expect(bytes(p)).toBeLessThanOrEqual(max);
      expect(parts.join('').replace(/\s/gu, '')).toBe(s.replace(/\s/gu, ''));
    }), { numRuns: 200 });
  });

  it('truncates by characters without splitting surrogate pairs', () => {
    expect(truncateChars('😀'.repeat(25), 20)).toBe('😀'.repeat(20));
    expect(truncateChars('short', 20)).toBe('short');
    expect(Array.from(truncateChars('x'.repeat(100), 80, '…'))).toHaveLength(80);
  });
});
