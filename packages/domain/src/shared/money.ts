import { err, ok, type Result } from './result.js';

/** ISO 4217 minor-unit exponents that differ from 2; everything else we accept uses 2. */
const EXPONENTS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0,
  VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0, BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};

export type Currency = string & { readonly __currency: true };
export type MoneyError =
  | { readonly kind: 'InvalidCurrency'; readonly currency: string }
  | { readonly kind: 'InvalidAmount'; readonly amount: number }
  | { readonly kind: 'CurrencyMismatch'; readonly expected: string; readonly actual: string }
  | { readonly kind: 'AmountOverflow' };

export function parseCurrency(code: string): Result<Currency, MoneyError> {
  return /^[A-Z]{3}$/.test(code) ? ok(code as Currency) : err({ kind: 'InvalidCurrency', currency: code });
}

export function minorUnitExponent(currency: string): number {
  return EXPONENTS[currency] ?? 2;
}

/**
 * Money in integer minor units (cents) with its currency. Never a float: every operation checks
 * that the result stays a safe integer, so an overflow is an error rather than a rounding surprise.
 */
export class Money {
  private constructor(readonly amountMinor: number, readonly currency: Currency) {}

  static of(amountMinor: number, currency: string): Result<Money, MoneyError> {
    const c = parseCurrency(currency);
    if (!c.ok) return c;
    if (!Number.isSafeInteger(amountMinor)) return err({ kind: 'InvalidAmount', amount: amountMinor });
    return ok(new Money(amountMinor, c.value));
  }

  /** For values already validated (persistence, constants); throws on a bug. */
  static unsafe(amountMinor: number, currency: string): Money {
    const m = Money.of(amountMinor, currency);
    if (!m.ok) throw new Error(`Invalid money ${amountMinor} ${currency}: ${m.error.kind}`);
    return m.value;
  }

  static zero(currency: Currency): Money {
    return new Money(0, currency);
  }

  add(other: Money): Result<Money, MoneyError> {
    if (other.currency !== this.currency) return err({ kind: 'CurrencyMismatch', expected: this.currency, actual: other.currency });
    const sum = this.amountMinor + other.amountMinor;
    return Number.isSafeInteger(sum) ? ok(new Money(sum, this.currency)) : err({ kind: 'AmountOverflow' });
  }

  subtract(other: Money): Result<Money, MoneyError> {
    if (other.currency !== this.currency) return err({ kind: 'CurrencyMismatch', expected: this.currency, actual: other.currency });
    const diff = this.amountMinor - other.amountMinor;
    return Number.isSafeInteger(diff) ? ok(new Money(diff, this.currency)) : err({ kind: 'AmountOverflow' });
  }

  multiply(quantity: number): Result<Money, MoneyError> {
    if (!Number.isSafeInteger(quantity)) return err({ kind: 'InvalidAmount', amount: quantity });
    const product = this.amountMinor * quantity;
    return Number.isSafeInteger(product) ? ok(new Money(product, this.currency)) : err({ kind: 'AmountOverflow' });
  }

  isNegative(): boolean {
    return this.amountMinor < 0;
  }

  equals(other: Money): boolean {
    return this.amountMinor === other.amountMinor && this.currency === other.currency;
  }

  /** Decimal string in major units ("12.50"), exact: built from integers, not floats. */
  toDecimalString(): string {
    const exp = minorUnitExponent(this.currency);
    const negative = this.amountMinor < 0;
    const digits = Math.abs(this.amountMinor).toString().padStart(exp + 1, '0');
    const major = exp === 0 ? digits : digits.slice(0, -exp);
    const minor = exp === 0 ? '' : `.${digits.slice(-exp)}`;
    return `${negative ? '-' : ''}${major}${minor}`;
  }

  toJSON(): { amountMinor: number; currency: string } {
    return { amountMinor: this.amountMinor, currency: this.currency };
  }
}

/** Sums amounts that must share one currency; an empty list is zero in `currency`. */
export function sumMoney(currency: Currency, amounts: readonly Money[]): Result<Money, MoneyError> {
  let total = Money.zero(currency);
  for (const a of amounts) {
    const next = total.add(a);
    if (!next.ok) return next;
    total = next.value;
  }
  return ok(total);
}
