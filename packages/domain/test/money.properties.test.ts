import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Money, minorUnitExponent, parseCurrency, sumMoney, type Currency } from '../src/index.js';
import { unwrap } from '../testing/index.js';

const MAX = Number.MAX_SAFE_INTEGER;
const MIN = Number.MIN_SAFE_INTEGER;
const MAXn = BigInt(MAX);
const MINn = BigInt(MIN);

/** Safe integers with the edges (±MAX, 0, ±1) and small values over-represented. */
const safeInt = fc.oneof(
  { arbitrary: fc.integer({ min: MIN, max: MAX }), weight: 4 },
  { arbitrary: fc.constantFrom(MAX, MIN, MAX - 1, MIN + 1, 0, 1, -1, 2 ** 52, -(2 ** 52)), weight: 2 },
  { arbitrary: fc.integer({ min: -1000, max: 1000 }), weight: 2 },
);
/** Values whose pairwise and triple sums never leave the safe range. */
const smallInt = fc.integer({ min: -(2 ** 50), max: 2 ** 50 });

const eur = (n: number) => Money.unsafe(n, 'EUR');
const fits = (v: bigint) => v >= MINn && v <= MAXn;

/** The expected outcome of an exact integer operation: the number, or AmountOverflow. */
function expectExact(r: ReturnType<Money['add']>, exact: bigint, currency = 'EUR'): void {
  if (fits(exact)) {
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(BigInt(r.value.amountMinor)).toBe(exact);
      expect(Number.isSafeInteger(r.value.amountMinor)).toBe(true);
      expect(r.value.currency).toBe(currency);
    }
  } else {
    expect(r).toEqual({ ok: false, error: { kind: 'AmountOverflow' } });
  }
}

describe('Money construction', () => {
  it('accepts every safe integer and refuses anything else', () => {
    fc.assert(fc.property(safeInt, (n) => { expect(unwrap(Money.of(n, 'EUR')).amountMinor).toBe(n); }));
    const notSafe = fc.oneof(
      fc.double({ noNaN: true }).filter((d) => !Number.isSafeInteger(d)),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, MAX + 1, MIN - 1, 0.1, 12.5, 2 ** 60),
    );
    fc.assert(fc.property(notSafe, (n) => { expect(Money.of(n, 'EUR')).toEqual({ ok: false, error: { kind: 'InvalidAmount', amount: n } }); }));
    expect(() => Money.unsafe(1.5, 'EUR')).toThrow();
  });

  it('refuses an invalid currency before looking at the amount', () => {
    expect(Money.of(100, 'eur')).toEqual({ ok: false, error: { kind: 'InvalidCurrency', currency: 'eur' } });
    expect(Money.of(1.5, 'EURO')).toEqual({ ok: false, error: { kind: 'InvalidCurrency', currency: 'EURO' } });
  });
});

describe('Money arithmetic', () => {
  it('add is exact or AmountOverflow, never a wrong number', () => {
    fc.assert(fc.property(safeInt, safeInt, (a, b) => { expectExact(eur(a).add(eur(b)), BigInt(a) + BigInt(b)); }), { numRuns: 300 });
  });

  it('subtract is exact or AmountOverflow, never a wrong number', () => {
    fc.assert(fc.property(safeInt, safeInt, (a, b) => { expectExact(eur(a).subtract(eur(b)), BigInt(a) - BigInt(b)); }), { numRuns: 300 });
  });

  it('multiply is exact or AmountOverflow; a non-integer factor is InvalidAmount', () => {
    fc.assert(fc.property(safeInt, fc.oneof(fc.integer({ min: -1_000_000, max: 1_000_000 }), safeInt), (a, q) => {
      expectExact(eur(a).multiply(q), BigInt(a) * BigInt(q));
    }), { numRuns: 300 });
    expect(eur(10).multiply(1.5)).toEqual({ ok: false, error: { kind: 'InvalidAmount', amount: 1.5 } });
    expect(eur(10).multiply(Number.NaN)).toMatchObject({ ok: false, error: { kind: 'InvalidAmount' } });
  });

  it('add is commutative over the whole safe range (same sum or both overflow)', () => {
    fc.assert(fc.property(safeInt, safeInt, (a, b) => {
      expect(eur(a).add(eur(b))).toEqual(eur(b).add(eur(a)));
    }), { numRuns: 300 });
  });

  it('add is associative when no intermediate overflows', () => {
    fc.assert(fc.property(smallInt, smallInt, smallInt, (a, b, c) => {
      const left = unwrap(unwrap(eur(a).add(eur(b))).add(eur(c)));
      const right = unwrap(eur(a).add(unwrap(eur(b).add(eur(c)))));
      expect(left.equals(right)).toBe(true);
      expect(BigInt(left.amountMinor)).toBe(BigInt(a) + BigInt(b) + BigInt(c));
    }), { numRuns: 300 });
  });

  it('whenever both groupings succeed over the full range they agree', () => {
    fc.assert(fc.property(safeInt, safeInt, safeInt, (a, b, c) => {
      const ab = eur(a).add(eur(b));
      const bc = eur(b).add(eur(c));
      const left = ab.ok ? ab.value.add(eur(c)) : ab;
      const right = bc.ok ? eur(a).add(bc.value) : bc;
      if (left.ok && right.ok) expect(left.value.amountMinor).toBe(right.value.amountMinor);
      if (left.ok) expect(BigInt(left.value.amountMinor)).toBe(BigInt(a) + BigInt(b) + BigInt(c));
      if (right.ok) expect(BigInt(right.value.amountMinor)).toBe(BigInt(a) + BigInt(b) + BigInt(c));
    }), { numRuns: 300 });
  });

  it('subtract undoes add, and zero is neutral', () => {
    fc.assert(fc.property(smallInt, smallInt, (a, b) => {
      expect(unwrap(unwrap(eur(a).add(eur(b))).subtract(eur(b))).amountMinor).toBe(a);
      expect(unwrap(eur(a).add(Money.zero('EUR' as Currency))).amountMinor).toBe(a);
      expect(unwrap(eur(a).subtract(eur(a))).amountMinor).toBe(0);
    }));
  });

  it('overflows exactly at the safe-integer edges', () => {
    expect(eur(MAX).add(eur(1))).toEqual({ ok: false, error: { kind: 'AmountOverflow' } });
    expect(eur(MAX).add(eur(0))).toMatchObject({ ok: true, value: { amountMinor: MAX } });
    expect(eur(MIN).subtract(eur(1))).toEqual({ ok: false, error: { kind: 'AmountOverflow' } });
    expect(eur(MIN).add(eur(MAX))).toMatchObject({ ok: true, value: { amountMinor: 0 } });
    expect(eur(MAX).add(eur(2))).toEqual({ ok: false, error: { kind: 'AmountOverflow' } }); // 2^53+1 would round to 2^53
    expect(eur(2 ** 26 - 1).multiply(2 ** 27)).toMatchObject({ ok: true, value: { amountMinor: 2 ** 53 - 2 ** 27 } });
    expect(eur(MAX).multiply(-1)).toMatchObject({ ok: true, value: { amountMinor: -MAX } });
    expect(eur(2 ** 27).multiply(2 ** 26)).toEqual({ ok: false, error: { kind: 'AmountOverflow' } });
  });

  it('refuses mixing currencies in add, subtract and sumMoney', () => {
    fc.assert(fc.property(safeInt, safeInt, fc.constantFrom('USD', 'JPY', 'KWD', 'MXN'), (a, b, other) => {
      const x = eur(a);
      const y = Money.unsafe(b, other);
      expect(x.add(y)).toEqual({ ok: false, error: { kind: 'CurrencyMismatch', expected: 'EUR', actual: other } });
      expect(x.subtract(y)).toEqual({ ok: false, error: { kind: 'CurrencyMismatch', expected: 'EUR', actual: other } });
      expect(y.add(x)).toEqual({ ok: false, error: { kind: 'CurrencyMismatch', expected: other, actual: 'EUR' } });
      expect(sumMoney('EUR' as Currency, [eur(1), y])).toMatchObject({ ok: false, error: { kind: 'CurrencyMismatch' } });
      expect(x.equals(Money.unsafe(a, other))).toBe(false);
    }));
  });

  it('sumMoney is the exact sum or AmountOverflow; the empty sum is zero in the currency', () => {
    fc.assert(fc.property(fc.array(safeInt, { maxLength: 6 }), (amounts) => {
      const r = sumMoney('EUR' as Currency, amounts.map(eur));
      let running = 0n;
      let overflow = false;
      for (const a of amounts) { running += BigInt(a); if (!fits(running)) overflow = true; }
      if (overflow) expect(r).toEqual({ ok: false, error: { kind: 'AmountOverflow' } });
      else expect(BigInt(unwrap(r).amountMinor)).toBe(running);
    }), { numRuns: 300 });
    expect(unwrap(sumMoney('JPY' as Currency, [])).toJSON()).toEqual({ amountMinor: 0, currency: 'JPY' });
  });
});

describe('Money.toDecimalString', () => {
  /** Reference formatting with BigInt: sign, integer part, exactly `exp` fraction digits. */
  function reference(amount: number, exp: number): string {
    const n = BigInt(amount);
    const abs = n < 0n ? -n : n;
    const scale = 10n ** BigInt(exp);
    const major = (abs / scale).toString();
    const minor = exp === 0 ? '' : `.${(abs % scale).toString().padStart(exp, '0')}`;
    return `${n < 0n ? '-' : ''}${major}${minor}`;
  }

  it.each([['JPY', 0], ['EUR', 2], ['KWD', 3], ['BHD', 3], ['CLP', 0], ['USD', 2], ['MXN', 2]])('uses the ISO exponent for %s (%i)', (currency, exp) => {
    expect(minorUnitExponent(currency)).toBe(exp);
  });

  it('is exact for every safe integer in JPY, EUR and KWD, negatives included', () => {
    fc.assert(fc.property(safeInt, fc.constantFrom(['JPY', 0] as const, ['EUR', 2] as const, ['KWD', 3] as const), (amount, [currency, exp]) => {
      const s = Money.unsafe(amount, currency).toDecimalString();
      expect(s).toBe(reference(amount, exp));
      expect(s).toMatch(exp === 0 ? /^-?(0|[1-9]\d*)$/ : new RegExp(`^-?(0|[1-9]\\d*)\\.\\d{${exp}}$`));
      // Round trip through integers: dropping the point gives back the minor amount.
      expect(BigInt(s.replace('.', ''))).toBe(BigInt(amount));
    }), { numRuns: 500 });
  });

  it.each([
    [0, 'JPY', '0'], [-5, 'JPY', '-5'], [1234, 'JPY', '1234'],
    [0, 'EUR', '0.00'], [5, 'EUR', '0.05'], [-5, 'EUR', '-0.05'], [-100, 'EUR', '-1.00'], [1999, 'EUR', '19.99'], [-123456, 'EUR', '-1234.56'],
    [MAX, 'EUR', '90071992547409.91'], [MIN, 'EUR', '-90071992547409.91'],
    [1, 'KWD', '0.001'], [-1, 'KWD', '-0.001'], [-1000, 'KWD', '-1.000'], [1234567, 'KWD', '1234.567'], [-10, 'KWD', '-0.010'],
  ] as const)('formats %i %s as %s', (amount, currency, expected) => {
    expect(Money.unsafe(amount, currency).toDecimalString()).toBe(expected);
  });
});

describe('parseCurrency', () => {
  it('accepts exactly three upper-case ASCII letters', () => {
    fc.assert(fc.property(fc.string({ maxLength: 5 }), (code) => {
      expect(parseCurrency(code).ok).toBe(/^[A-Z]{3}$/.test(code));
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.stringMatching(/^[A-Z]{3}$/), (code) => {
      expect(parseCurrency(code)).toEqual({ ok: true, value: code });
    }));
    for (const bad of ['', 'eur', 'Eur', 'EURO', 'EU', 'E1R', ' EUR', 'EUR ', 'ÉUR']) {
      expect(parseCurrency(bad)).toEqual({ ok: false, error: { kind: 'InvalidCurrency', currency: bad } });
    }
  });
});
