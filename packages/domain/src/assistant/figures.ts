import { fold } from './text.js';

/** A number quoted in a reply, with what kind of figure the words around it make it. */
export interface Figure {
  readonly raw: string;
  readonly kind: 'money' | 'percent' | 'stock' | 'number';
  /** Every reading of the digits (1.234 may be 1234 or 1.234), in hundredths, as exact integers. */
  readonly readings: readonly number[];
  /** ISO code when a symbol or code is attached ("€12", "12 EUR"). */
  readonly currency: string | null;
}

const SYMBOLS: Readonly<Record<string, string>> = { '€': 'EUR', '$': 'USD', '£': 'GBP', '¥': 'JPY', 'r$': 'BRL', 's/': 'PEN' };
const CURRENCY_WORDS: Readonly<Record<string, string | null>> = {
  euro: 'EUR', euros: 'EUR', eur: 'EUR', usd: 'USD', dollar: 'USD', dollars: 'USD', dolar: 'USD', dolares: 'USD',
  gbp: 'GBP', pound: 'GBP', pounds: 'GBP', libras: 'GBP', mxn: 'MXN', pesos: null, peso: null, cop: 'COP', ars: 'ARS', clp: 'CLP', brl: 'BRL', pen: 'PEN',
};
const STOCK_WORDS = /\b(left|in stock|available|units?|pieces?|pcs|disponibles?|unidades?|quedan?|en stock|existencias|restantes?)\b/;

// Grouped thousands (1,234.56 / 1.234,56 / 1 234,56) or plain digits with an optional decimal part.
const NUMBER = /(?<![\p{L}\p{N}_])(\d{1,3}(?:[.,\u00a0 ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,3})?)(?![\p{L}\p{N}_])/gu;

/** Candidate values of a locale-formatted number, in hundredths (exact, integers). */
export function readings(raw: string): number[] {
  const s = raw.replace(/[\u00a0 ]/g, '');
  const out = new Set<number>();
  const asDecimal = (intPart: string, frac: string) => {
    const f = (frac + '00').slice(0, 2);
    if (frac.length > 2) return; // three decimals are not a price reading
    const v = Number(intPart) * 100 + Number(f);
    if (Number.isSafeInteger(v)) out.add(v);
  };
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  const sepAt = Math.max(lastDot, lastComma);
  // Reading 1: every separator is a thousands separator.
  const digitsOnly = s.replace(/[.,]/g, '');
  if (Number.isSafeInteger(Number(digitsOnly) * 100)) out.add(Number(digitsOnly) * 100);
  // Reading 2: the last separator is the decimal point, the others group thousands.
  if (sepAt >= 0) asDecimal(s.slice(0, sepAt).replace(/[.,]/g, ''), s.slice(sepAt + 1));
  return [...out];
}

/** Finds the figures in a text: money (symbol/code nearby), percentages, stock counts, other numbers. */
export function extractFigures(text: string): Figure[] {
  const figures: Figure[] = [];
  const lower = text.toLowerCase();
  for (const m of text.matchAll(NUMBER)) {
    const raw = m[1]!;
    const start = m.index!;
    const end = start + raw.length;
    const before = lower.slice(Math.max(0, start - 6), start);
    const after = lower.slice(end, end + 12);
    let currency: string | null | undefined;
    for (const [sym, code] of Object.entries(SYMBOLS)) {
      if (before.trimEnd().endsWith(sym) || after.trimStart().startsWith(sym)) { currency = code; break; }
    }
    if (currency === undefined) {
      const wordAfter = fold(after).match(/^\s*([a-z]{3,8})\b/)?.[1];
      const wordBefore = fold(before).match(/\b([a-z]{3})\s*$/)?.[1];
      for (const w of [wordAfter, wordBefore]) {
        if (w !== undefined && w in CURRENCY_WORDS) { currency = CURRENCY_WORDS[w] ?? null; break; }
      }
    }
    let kind: Figure['kind'] = 'number';
    if (currency !== undefined) kind = 'money';
    else if (/^\s*%/.test(after) || /^\s*(percent|por ciento)/.test(fold(after))) kind = 'percent';
    else if (STOCK_WORDS.test(fold(after)) || /\b(only|solo|quedan|hay)\s*$/.test(fold(before))) kind = 'stock';
    figures.push({ raw, kind, readings: readings(raw), currency: currency ?? null });
  }
  return figures;
}

/** Numeric facts a tool returned: every number and numeric string, and every currency code. */
export function collectFacts(values: readonly unknown[]): { numbers: Set<number>; amounts: Set<number>; currencies: Set<string>; embedded: Set<number> } {
  const numbers = new Set<number>();
  // Only ever plain numbers: a digit inside a product name is not a price or a stock count.
  const embedded = new Set<number>();
  // Amounts are the decimal strings tools use for prices and totals; a stock count of 3 is not "3.00 EUR".
  const amounts = new Set<number>();
  const currencies = new Set<string>();
  const visit = (v: unknown, key: string | null): void => {
    if (v === null || v === undefined) return;
    if (typeof v === 'number' && Number.isFinite(v)) { const h = Math.round(v * 100); if (Number.isSafeInteger(h)) numbers.add(h); return; }
    if (typeof v === 'string') {
      if (key === 'currency' && /^[A-Z]{3}$/.test(v)) { currencies.add(v); return; }
      if (/^-?\d+(\.\d+)?$/.test(v)) for (const r of readings(v.replace('-', ''))) { numbers.add(r); amounts.add(r); }
      // Digits inside names, SKUs and references ("TOTE-1", "iPhone 15"): a reply repeating the name is grounded.
      else for (const f of extractFigures(v)) for (const r of f.readings) embedded.add(r);
      return;
    }
    if (Array.isArray(v)) { for (const x of v) visit(x, key); return; }
    if (typeof v === 'object') for (const [k, x] of Object.entries(v as Record<string, unknown>)) visit(x, k);
  };
  for (const v of values) visit(v, null);
  return { numbers, amounts, currencies, embedded };
}

export interface FigureCheck {
  readonly passed: boolean;
  /** The figures that no tool result of the turn supports, for the regeneration prompt and the audit. */
  readonly unsupported: readonly string[];
}

/**
 * The grounding guardrail: a price, stock count, percentage or amount in a reply must equal a value
 * some tool returned in this turn (and its currency must be one the tools used). Other plain numbers
 * (quantities the customer asked for, opening hours) may also come from the customer's words or the
 * business profile, which are not prices.
 */
export function checkFigures(input: { reply: string; toolResults: readonly unknown[]; otherSources: readonly string[]; trustedTexts?: readonly string[] }): FigureCheck {
  const facts = collectFacts(input.toolResults);
  // The merchant's own business profile (shipping fee, return days) is as authoritative as a tool.
  for (const text of input.trustedTexts ?? []) {
    for (const f of extractFigures(text)) {
      for (const r of f.readings) { facts.numbers.add(r); if (f.kind === 'money') facts.amounts.add(r); }
      if (f.currency) facts.currencies.add(f.currency);
    }
  }
  const loose = new Set<number>([...facts.numbers, ...facts.embedded]);
  for (const text of input.otherSources) for (const f of extractFigures(text)) for (const r of f.readings) loose.add(r);
  const unsupported: string[] = [];
  for (const f of extractFigures(input.reply)) {
    const pool = f.kind === 'number' ? loose : f.kind === 'money' ? facts.amounts : facts.numbers;
    const grounded = f.readings.some((r) => pool.has(r));
    const currencyOk = f.currency === null || facts.currencies.has(f.currency);
    if (!grounded || !currencyOk) unsupported.push(f.currency ? `${f.raw} ${f.currency}` : f.raw);
  }
  return { passed: unsupported.length === 0, unsupported };
}
