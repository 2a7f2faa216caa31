import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkFigures, extractFigures } from '../../src/index.js';

const product = { products: [{ variants: [{ price: '1234.50', currency: 'EUR', available: 3 }] }] };

describe('figures guardrail', () => {
  it.each(['It is 1234.50 EUR', 'Cuesta 1.234,50 €', 'It costs €1,234.50', 'only 3 left', 'quedan 3 unidades'])('accepts a grounded figure: %s', (reply) => {
    expect(checkFigures({ reply, toolResults: [product], otherSources: [] }).passed).toBe(true);
  });
  it.each(['It is 1200 EUR', 'only 4 left', 'It is 1234.50 USD', 'with 10% off', 'Cuesta 999,00 €'])('rejects an invented figure: %s', (reply) => {
    expect(checkFigures({ reply, toolResults: [product], otherSources: [] }).passed).toBe(false);
  });
  it('a price the customer typed is not a source', () => {
    expect(checkFigures({ reply: 'Yes, 5.00 EUR', toolResults: [product], otherSources: ['is it 5.00 EUR?'] }).passed).toBe(false);
  });
  it('any money amount not returned by a tool is rejected (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000_000 }), (cents) => {
      fc.pre(cents !== 123450);
      const reply = `The price is ${(cents / 100).toFixed(2)} EUR`;
      expect(checkFigures({ reply, toolResults: [product], otherSources: [] }).passed).toBe(false);
      expect(checkFigures({ reply, toolResults: [{ price: (cents / 100).toFixed(2), currency: 'EUR' }], otherSources: [] }).passed).toBe(true);
    }));
  });
  it('reads currency codes and symbols', () => {
    expect(extractFigures('€12 or 12 EUR or 15%').map((f) => [f.kind, f.currency])).toEqual([['money', 'EUR'], ['money', 'EUR'], ['percent', null]]);
  });
});
