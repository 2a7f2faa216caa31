import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ids, lowStockCrossings, Money, parseCatalogRecord, parseMajorUnits, parseStockRecord, StockLevel } from '../src/index.js';
import { make, uuid } from '../testing/index.js';

const T0 = new Date('2026-03-01T12:00:00Z');
const WS = Ids.workspace(uuid(1, 'aaaaaaaa'));

describe('CSV cells to catalog values', () => {
  it('parses major units exactly: toDecimalString then parseMajorUnits is the identity (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom('EUR', 'JPY', 'KWD', 'USD'), (minor, currency) => {
      const text = Money.unsafe(minor, currency).toDecimalString();
      expect(parseMajorUnits(text, currency)).toEqual({ ok: true, value: minor });
    }));
  });

  it('refuses what it would have to guess', () => {
    for (const [text, currency] of [['12.345', 'EUR'], ['1.5', 'JPY'], ['-1', 'EUR'], ['1,000', 'EUR'], ['1e3', 'EUR'], ['', 'EUR'], ['99999999999999999', 'EUR']] as const) {
      expect(parseMajorUnits(text, currency).ok, `${text} ${currency}`).toBe(false);
    }
    expect(parseMajorUnits(' 7 ', 'EUR')).toEqual({ ok: true, value: 700 });
  });

  it('reports every bad cell of a record with its column', () => {
    const r = parseCatalogRecord({ product_sku: 'ok', product_name: '', variant_sku: 'no spaces!', price: '1.234', currency: 'EUR', status: 'gone', stock: '-1', low_stock_threshold: 'x', image_urls: 'ftp://x' }, 7);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.map((i) => i.column).sort()).toEqual(['image_urls', 'low_stock_threshold', 'price', 'product_name', 'status', 'stock', 'variant_sku']);
    expect(r.error.every((i) => i.line === 7 && i.reason.length > 0)).toBe(true);
    const good = parseCatalogRecord({ product_sku: 'TEE', product_name: 'Tee', variant_sku: 'TEE-S', price: '19.9', currency: 'eur', image_urls: 'https://a/x.jpg | https://a/y.jpg' }, 2);
    expect(good).toMatchObject({ ok: true, value: { priceMinor: 1990, currency: 'EUR', imageUrls: ['https://a/x.jpg', 'https://a/y.jpg'], status: 'active', variantTitle: 'Default', stock: null } });
    expect(parseStockRecord({ sku: 'TEE-S', on_hand: '' }, 3)).toEqual({ ok: false, error: [{ line: 3, column: 'on_hand', reason: 'is required' }] });
  });
});

describe('low-stock crossings', () => {
  it('an event exactly when available goes from above the threshold to at or below it (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 30 }), fc.array(fc.integer({ min: -6, max: 6 }), { maxLength: 15 }), (threshold, start, deltas) => {
      const product = make.product(uuid(40), WS, 'TEE', T0);
      const variant = make.variant(uuid(41), WS, product.id, 'TEE', 100, T0);
      variant.setLowStockThreshold(threshold, T0);
      const level = StockLevel.empty(variant.id, WS, T0);
      level.setOnHand(start, null, { kind: 'system' }, T0);
      let events = 0;
      let expected = 0;
      for (const d of deltas) {
        const before = new Map([[variant.id, level.available]]);
        if (!level.adjust({ delta: d, reason: null, actor: { kind: 'system' }, at: T0 }).ok) continue;
        if (before.get(variant.id)! > threshold && level.available <= threshold) expected += 1;
        events += lowStockCrossings({ before, levels: [level], variants: [variant], at: T0, nextId: () => 'x' }).length;
      }
      expect(events).toBe(expected);
    }));
  });
});
