/**
 * Personal data the reply does not need never leaves for an external model: emails, phone numbers,
 * street addresses, @handles and the contact's known names become placeholders ([email_1]…). The
 * mapping stays in the process so the reply can be restored where the merchant allows it.
 */
export interface Minimised {
  readonly texts: string[];
  readonly mapping: ReadonlyMap<string, string>;
  readonly counts: Readonly<Record<string, number>>;
}

const PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  ['email', /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}/gu],
  ['handle', /(?<![\p{L}\p{N}])@[A-Za-z0-9._]{2,30}/gu],
  // A street line: a number next to a street word, in English or Spanish.
  ['address', /\b(?:\d{1,5}\s+(?:[\p{L}.]+\s){0,3}(?:street|st\.?|avenue|ave\.?|road|rd\.?|lane|blvd|drive|dr\.?)|(?:calle|c\/|avenida|av\.?|avda\.?|paseo|plaza|carrera|camino)\s+[\p{L}\s.]{2,40}?,?\s*(?:n[ºo°.]?\s*)?\d{1,5})\b[^\n,.;]*/giu],
  ['phone', /(?<![\p{L}\p{N}])\+?\d[\d\s().-]{7,}\d(?![\p{L}\p{N}])/gu],
];

export function minimise(texts: readonly string[], knownNames: readonly string[]): Minimised {
  const mapping = new Map<string, string>();
  const byValue = new Map<string, string>();
  const counts: Record<string, number> = {};
  const placeholder = (kind: string, value: string): string => {
    const existing = byValue.get(`${kind}:${value}`);
    if (existing) return existing;
    counts[kind] = (counts[kind] ?? 0) + 1;
    const p = `[${kind}_${counts[kind]}]`;
    byValue.set(`${kind}:${value}`, p);
    mapping.set(p, value);
    return p;
  };
  const names = knownNames.map((n) => n.trim()).filter((n) => n.length >= 2).sort((a, b) => b.length - a.length);
  const out = texts.map((text) => {
    let t = text;
    for (const [kind, re] of PATTERNS) t = t.replace(re, (m) => placeholder(kind, m.trim()));
    for (const name of names) {
      const re = new RegExp(`(?<![\\p{L}\\p{N}])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'giu');
      t = t.replace(re, (m) => placeholder('name', m));
    }
    return t;
  });
  return { texts: out, mapping, counts };
}

/** Puts the customer's own details back where allowed; otherwise a neutral phrase, never a raw placeholder. */
export function restore(reply: string, mapping: ReadonlyMap<string, string>, allowed: boolean): string {
  return reply.replace(/\[(email|handle|address|phone|name)_(\d+)\]/g, (p, kind: string) => {
    const value = mapping.get(p);
    if (allowed && value !== undefined) return value;
    return kind === 'name' ? '' : kind === 'email' ? 'your email' : kind === 'phone' ? 'your phone number' : kind === 'address' ? 'your address' : 'you';
  }).replace(/\s{2,}/g, ' ').replace(/\s+([,.!?])/g, '$1').trim();
}
