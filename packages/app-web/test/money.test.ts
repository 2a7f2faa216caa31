import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { minorDigits, toMinor } from '../src/pages/catalog.js';

describe('prices typed in the dashboard become minor units exactly', () => {
  it('round-trips every amount written with the currency\'s decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000_000 }), fc.constantFrom('EUR', 'JPY', 'BHD'), (minor, currency) => {
        const digits = minorDigits(currency);
        const major = digits === 0 ? String(minor) : `${Math.floor(minor / 10 ** digits)}.${String(minor % 10 ** digits).padStart(digits, '0')}`;
        expect(toMinor(major, digits)).toBe(minor);
      }),
    );
  });

  it('reads a comma as the decimal separator and pads short decimals, and refuses what is not a price', () => {
    expect(toMinor('18,5', 2)).toBe(1850);
    expect(toMinor('18', 2)).toBe(1800);
    expect(toMinor(' 0.07 ', 2)).toBe(7);
    expect(toMinor('1.234', 2)).toBeNull();
    expect(toMinor('-1', 2)).toBeNull();
    expect(toMinor('12 EUR', 2)).toBeNull();
    expect(toMinor('', 2)).toBeNull();
    expect([minorDigits('EUR'), minorDigits('JPY'), minorDigits('BHD')]).toEqual([2, 0, 3]);
  });
});
