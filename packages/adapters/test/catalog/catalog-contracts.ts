import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CatalogQueries, DraftOrder, Ids, ImportCatalog, ManageCatalog, NotifyOrderCustomer, OrderQueries, ReleaseExpiredHolds, TransitionOrder, ok, searchTerms,
  type OutboundMessageQueue, type Repositories, type VariantId, type WorkspaceId,
} from '@palette/domain';
import { FakeClock, SequentialIds } from '@palette/domain/in-memory';
import { make, unwrap, uuid, type ContractHarness } from '@palette/domain/testing';

const T0 = new Date('2026-03-01T12:00:00.000Z');
const WS = Ids.workspace(uuid(1, 'aaaaaaaa'));
const WS2 = Ids.workspace(uuid(2, 'aaaaaaaa'));
const USER = { kind: 'user', id: uuid(9, 'aaaaaaaa') } as const;

let idSeq = 0;
/** A fresh id prefix per use-case instance, so parallel sessions never mint the same id. */
const freshIds = () => new SequentialIds(`cccc${(++idSeq).toString(16).padStart(4, '0')}`);

function useCases(s: Repositories, clock: FakeClock, outbound?: OutboundMessageQueue) {
  const ids = freshIds();
  const notifications = outbound ? new NotifyOrderCustomer({ ...s, outbound, clock }) : undefined;
  return {
    catalog: new ManageCatalog({ ...s, clock, ids }),
    queries: new CatalogQueries(s),
    draft: new DraftOrder({ ...s, clock, ids }),
    transition: new TransitionOrder({ ...s, clock, ids, notifications }),
    holds: new ReleaseExpiredHolds({ ...s, clock, ids }),
    orders: new OrderQueries(s),
    imports: new ImportCatalog({ ...s, clock, ids }),
  };
}

/**
 * Catalog, inventory and order behaviour through the use cases, held equal on every adapter:
 * search ranking, listing, holds and their expiry, the ledger invariant and no oversell.
 */
export function catalogContracts(adapterName: string, setup: () => Promise<ContractHarness>): void {
  describe(`catalog and orders contracts: ${adapterName}`, () => {
    let h: ContractHarness;
    let clock: FakeClock;
    beforeAll(async () => { h = await setup(); });
    afterAll(async () => { await h?.teardown(); });
    beforeEach(async () => {
      await h.reset();
      clock = new FakeClock(T0);
      const s = h.session();
      await s.uow.run(async () => { await s.workspaces.save(make.workspace(WS, T0)); await s.workspaces.save(make.workspace(WS2, T0)); });
    });

    const uc = (outbound?: OutboundMessageQueue) => useCases(h.session(), clock, outbound);

    async function product(sku: string, name: string, opts: { description?: string; stock?: number; threshold?: number; ws?: WorkspaceId; variants?: Array<{ sku: string; title: string; initialStock?: number }> } = {}) {
      clock.advance(1000);
      return unwrap(await uc().catalog.createProduct({
        workspaceId: opts.ws ?? WS, sku, name, description: opts.description, priceMinor: 2500, currency: 'EUR', initialStock: opts.stock ?? 10,
        lowStockThreshold: opts.threshold, variants: opts.variants, actor: USER,
      }));
    }

    async function ledgerMatches(variantId: VariantId) {
      const s = h.session();
      const level = (await s.stock.get(WS, variantId))!;
      const ledger = await s.stock.listMovements(WS, variantId);
      const sum = ledger.reduce((a, m) => ({ onHand: a.onHand + m.onHandDelta, reserved: a.reserved + m.reservedDelta }), { onHand: 0, reserved: 0 });
      expect({ onHand: level.onHand, reserved: level.reserved }).toEqual(sum);
      expect(level.reserved).toBeGreaterThanOrEqual(0);
      expect(level.reserved).toBeLessThanOrEqual(level.onHand);
      return level;
    }

    describe('search', () => {
      it('ranks an exact SKU first, needs every term, skips archived products unless asked, and stays in its workspace', async () => {
        await product('MUG-RED', 'Red mug', { description: 'Ceramic mug, 350 ml' });
        const tee = await product('TEE', 'Linen shirt', { description: 'A red linen shirt', variants: [{ sku: 'TEE-RED-M', title: 'Red M' }, { sku: 'TEE-BLU-M', title: 'Blue M' }] });
        const old = await product('CAP', 'Red cap', { description: 'Old model' });
        await product('MUG-X', 'Red mug other shop', { ws: WS2 });
        unwrap(await uc().catalog.setProductStatus({ workspaceId: WS, productId: old.product.id, status: 'archived' }));
        const q = uc().queries;

        const red = await q.searchProducts(WS, 'red');
        expect(red.map((r) => r.product.sku).sort()).toEqual(['MUG-RED', 'TEE']);
        expect((await q.searchProducts(WS, 'red', { includeArchived: true })).map((r) => r.product.sku).sort()).toEqual(['CAP', 'MUG-RED', 'TEE']);
        expect((await q.searchProducts(WS, 'red mug')).map((r) => r.product.sku)).toEqual(['MUG-RED']);
        const bySku = await q.searchProducts(WS, 'TEE-RED-M');
        expect(bySku[0]!.product.id).toBe(tee.product.id);
        expect((await q.searchProducts(WS, 'tee-b')).map((r) => r.product.sku)).toEqual(['TEE']);
        expect(await q.searchProducts(WS, 'nothing-like-this')).toEqual([]);
        expect(await q.searchProducts(WS, "'; drop table products; --")).toEqual([]);
        expect(await q.searchProducts(WS, '   ')).toEqual([]);
        const withStock = bySku[0]!;
        expect(withStock.variants.map((v) => [v.variant.sku, v.available])).toEqual([['TEE-RED-M', 0], ['TEE-BLU-M', 0]]);
        expect(bySku.every((r, i) => i === 0 || r.score <= bySku[i - 1]!.score)).toBe(true);
      });

      it('ranks a name match above a description-only match', async () => {
        await product('A1', 'Plain bag', { description: 'goes with the velvet scarf' });
        await product('B1', 'Velvet scarf', { description: 'soft' });
        const hits = await uc().queries.searchProducts(WS, 'velvet');
        expect(hits.map((x) => x.product.sku)).toEqual(['B1', 'A1']);
      });

      it('finds a product named in the singular from a customer asking in the plural, and the reverse (the assistant\'s search terms)', async () => {
        await product('T1', 'Blue canvas tote');
        await product('D1', 'Linen dresses');
        await product('S1', 'Running shoe');
        const find = async (text: string) => (await uc().queries.searchProducts(WS, searchTerms(text))).map((x) => x.product.sku);
        expect(await find('How much are the blue canvas totes?')).toEqual(['T1']);
        expect(await find('How much is the linen dress?')).toEqual(['D1']);
        expect(await find('do you have running shoes')).toEqual(['S1']);
      });
    });

    describe('listing', () => {
      it('pages products oldest first by keyset and filters by status', async () => {
        const made = [];
        for (let i = 0; i < 5; i++) made.push(await product(`P${i}`, `Product ${i}`));
        unwrap(await uc().catalog.setProductStatus({ workspaceId: WS, productId: made[1]!.product.id, status: 'archived' }));
        const q = uc().queries;
        const first = await q.listProducts(WS, { limit: 2 });
        expect(first.map((p) => p.product.sku)).toEqual(['P0', 'P1']);
        const last = first[1]!.product;
        const next = await q.listProducts(WS, { limit: 10, after: { sortKey: last.createdAt.getTime(), id: last.id } });
        expect(next.map((p) => p.product.sku)).toEqual(['P2', 'P3', 'P4']);
        expect((await q.listProducts(WS, { limit: 10, status: 'archived' })).map((p) => p.product.sku)).toEqual(['P1']);
      });

      it('lists orders newest first with status, date and contact filters', async () => {
        const { variants } = await product('TEE', 'Tee', { stock: 100 });
        const v = variants[0]!.id;
        const made = [];
        for (let i = 0; i < 4; i++) {
          clock.advance(60_000);
          made.push(unwrap(await uc().draft.execute({ workspaceId: WS, source: 'api', lines: [{ variantId: v, quantity: 1 }], actor: USER })));
        }
        unwrap(await uc().transition.execute({ workspaceId: WS, orderId: made[2]!.id, to: 'confirmed', actor: USER }));
        const q = uc().orders;
        expect((await q.list(WS, { limit: 10 })).map((o) => o.id)).toEqual(made.map((o) => o.id).reverse());
        expect((await q.list(WS, { limit: 10, status: 'confirmed' })).map((o) => o.id)).toEqual([made[2]!.id]);
        expect((await q.list(WS, { limit: 10, from: made[1]!.createdAt, to: made[3]!.createdAt })).map((o) => o.id)).toEqual([made[2]!.id, made[1]!.id]);
        const page = await q.list(WS, { limit: 2 });
        const after = { sortKey: page[1]!.createdAt.getTime(), id: page[1]!.id };
        expect((await q.list(WS, { limit: 10, after })).map((o) => o.id)).toEqual([made[1]!.id, made[0]!.id]);
        expect(await q.list(WS, { limit: 10, contactId: Ids.contact(uuid(77)) })).toEqual([]);
        expect(await q.list(WS2, { limit: 10 })).toEqual([]);
      });
    });

    describe('holds', () => {
      it('a chat draft holds stock; confirming keeps the hold, cancelling a held draft releases it', async () => {
        const { variants } = await product('TEE', 'Tee', { stock: 3 });
        const v = variants[0]!.id;
        const held = unwrap(await uc().draft.execute({ workspaceId: WS, source: 'chat', lines: [{ variantId: v, quantity: 2 }], holdStock: true, actor: { kind: 'assistant' } }));
        expect(held.holdExpiresAt!.getTime()).toBe(clock.now().getTime() + 30 * 60_000);
        expect((await ledgerMatches(v)).available).toBe(1);
        const second = await uc().draft.execute({ workspaceId: WS, source: 'chat', lines: [{ variantId: v, quantity: 2 }], holdStock: true, actor: { kind: 'assistant' } });
        expect(second.ok ? 'ok' : second.error.kind).toBe('InsufficientStock');
        unwrap(await uc().transition.execute({ workspaceId: WS, orderId: held.id, to: 'confirmed', actor: USER }));
        expect(await ledgerMatches(v)).toMatchObject({ onHand: 3, reserved: 2 });
        const other = unwrap(await uc().draft.execute({ workspaceId: WS, source: 'chat', lines: [{ variantId: v, quantity: 1 }], holdStock: true, actor: { kind: 'assistant' } }));
        unwrap(await uc().transition.execute({ workspaceId: WS, orderId: other.id, to: 'cancelled', actor: USER }));
        expect(await ledgerMatches(v)).toMatchObject({ onHand: 3, reserved: 2 });
        const ledger = await h.session().stock.listMovementsByOrder(WS, other.id);
        expect(ledger.map((m) => [m.kind, m.reservedDelta])).toEqual([['reservation', 1], ['release', -1]]);
      });

      it('the expiry sweep releases only expired holds, once', async () => {
        const { variants } = await product('TEE', 'Tee', { stock: 5 });
        const v = variants[0]!.id;
        const short = unwrap(await uc().draft.execute({ workspaceId: WS, source: 'chat', lines: [{ variantId: v, quantity: 2 }], holdStock: true, holdMinutes: 5, actor: { kind: 'assistant' } }));
        const long = unwrap(await uc().draft.execute({ workspaceId: WS, source: 'chat', lines: [{ variantId: v, quantity: 1 }], holdStock: true, actor: { kind: 'assistant' } }));
        clock.advance(5 * 60_000 - 1);
        expect(await uc().holds.sweep()).toEqual({ released: 0, failed: 0 });
        clock.advance(1);
        expect(await uc().holds.sweep()).toEqual({ released: 1, failed: 0 });
        expect(await uc().holds.sweep()).toEqual({ released: 0, failed: 0 });
        expect((await ledgerMatches(v)).reserved).toBe(1);
        const reloaded = (await h.session().orders.get(WS, short.id))!;
        expect({ status: reloaded.status, hold: reloaded.holdExpiresAt }).toEqual({ status: 'draft', hold: null });
        // Confirming the expired draft now reserves afresh.
        unwrap(await uc().transition.execute({ workspaceId: WS, orderId: short.id, to: 'confirmed', actor: USER }));
        clock.advance(30 * 60_000);
        expect(await uc().holds.sweep()).toEqual({ released: 1, failed: 0 });
        expect(await ledgerMatches(v)).toMatchObject({ onHand: 5, reserved: 2 });
        expect((await h.session().orders.get(WS, long.id))!.holdExpiresAt).toBeNull();
      });
    });

    describe('ledger', () => {
      it('stock levels equal the sum of their ledger after any sequence of catalog and order operations (property)', async () => {
        const op = fc.oneof(
          fc.record({ t: fc.constant('adjust' as const), n: fc.integer({ min: -4, max: 6 }) }),
          fc.record({ t: fc.constant('take' as const), n: fc.integer({ min: 0, max: 8 }) }),
          fc.record({ t: fc.constant('draft' as const), n: fc.integer({ min: 1, max: 3 }), hold: fc.boolean() }),
          fc.record({ t: fc.constant('move' as const), i: fc.nat(), to: fc.constantFrom('confirmed', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded') }),
          fc.record({ t: fc.constant('expire' as const) }),
        );
        await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 10 }), async (ops) => {
          await h.reset();
          const s0 = h.session();
          await s0.uow.run(async () => { await s0.workspaces.save(make.workspace(WS, T0)); });
          const { variants } = await product('TEE', 'Tee', { stock: 4, threshold: 1, variants: [{ sku: 'TEE-A', title: 'A', initialStock: 4 }, { sku: 'TEE-B', title: 'B', initialStock: 2 }] });
          const [a, b] = [variants[0]!.id, variants[1]!.id];
          const orders: string[] = [];
          for (const o of ops) {
            const u = uc();
            if (o.t === 'adjust') await u.catalog.adjustStock({ workspaceId: WS, variantId: a, delta: o.n, reason: 'prop', actor: USER });
            else if (o.t === 'take') await u.catalog.adjustStock({ workspaceId: WS, variantId: b, setOnHand: o.n, reason: 'count', actor: USER });
            else if (o.t === 'draft') {
              const d = await u.draft.execute({ workspaceId: WS, source: 'chat', lines: [{ variantId: a, quantity: o.n }, { variantId: b, quantity: 1 }], holdStock: o.hold, actor: { kind: 'assistant' } });
              if (d.ok) orders.push(d.value.id);
            } else if (o.t === 'move' && orders.length > 0) {
              await u.transition.execute({ workspaceId: WS, orderId: Ids.order(orders[o.i % orders.length]!), to: o.to, actor: USER });
            } else if (o.t === 'expire') {
              clock.advance(31 * 60_000);
              await u.holds.sweep();
            }
          }
          await ledgerMatches(a);
          await ledgerMatches(b);
          // What is reserved is exactly what live orders hold.
          const s = h.session();
          let expected = 0;
          for (const id of orders) {
            const order = (await s.orders.get(WS, Ids.order(id)))!;
            const holds = order.status === 'confirmed' || order.status === 'paid' || order.holdsStock;
            if (holds) expected += order.lines.find((l) => l.variantId === a)!.quantity;
          }
          expect((await s.stock.get(WS, a))!.reserved).toBe(expected);
        }), { numRuns: 12 });
      });

      it('records a low-stock event once per crossing of the threshold', async () => {
        const { variants } = await product('TEE', 'Tee', { stock: 5, threshold: 2 });
        const v = variants[0]!.id;
        const u = uc();
        unwrap(await u.catalog.adjustStock({ workspaceId: WS, variantId: v, delta: -2, reason: 'damaged', actor: USER }));
        expect(await u.queries.listLowStockEvents(WS)).toEqual([]);
        clock.advance(1000);
        const held = unwrap(await uc().draft.execute({ workspaceId: WS, source: 'chat', lines: [{ variantId: v, quantity: 1 }], holdStock: true, actor: { kind: 'assistant' } }));
        const events = await uc().queries.listLowStockEvents(WS);
        expect(events.map((e) => ({ sku: e.sku, available: e.available, threshold: e.threshold }))).toEqual([{ sku: 'TEE', available: 2, threshold: 2 }]);
        unwrap(await uc().transition.execute({ workspaceId: WS, orderId: held.id, to: 'confirmed', actor: USER }));
        unwrap(await uc().catalog.adjustStock({ workspaceId: WS, variantId: v, delta: -1, reason: 'damaged', actor: USER }));
        expect(await uc().queries.listLowStockEvents(WS)).toHaveLength(1);
        unwrap(await uc().catalog.adjustStock({ workspaceId: WS, variantId: v, delta: 10, reason: 'received', actor: USER }));
        clock.advance(1000);
        unwrap(await uc().catalog.adjustStock({ workspaceId: WS, variantId: v, setOnHand: 1, reason: 'count', actor: USER }));
        expect(await uc().queries.listLowStockEvents(WS)).toHaveLength(2);
        expect(await uc().queries.listLowStockEvents(WS2)).toEqual([]);
      });
    });

    describe('no oversell', () => {
      it('12 parallel chat holds for the last 4 units: exactly 4 succeed', async () => {
        const { variants } = await product('TEE', 'Tee', { stock: 4 });
        const v = variants[0]!.id;
        const results = await Promise.all(Array.from({ length: 12 }, () =>
          uc().draft.execute({ workspaceId: WS, source: 'chat', lines: [{ variantId: v, quantity: 1 }], holdStock: true, actor: { kind: 'assistant' } })));
        expect(results.filter((r) => r.ok)).toHaveLength(4);
        expect(new Set(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.error.kind)))).toEqual(new Set(['InsufficientStock']));
        expect(await ledgerMatches(v)).toMatchObject({ onHand: 4, reserved: 4 });
      });
    });

    describe('notifications', () => {
      it('records the gate decision on the order; without a conversation nothing is queued', async () => {
        const { variants } = await product('TEE', 'Tee', { stock: 5 });
        const order = unwrap(await uc().draft.execute({ workspaceId: WS, source: 'api', lines: [{ variantId: variants[0]!.id, quantity: 1 }], actor: USER }));
        const calls: string[] = [];
        const outbound: OutboundMessageQueue = { execute: async (c) => { calls.push(c.text); return ok({ message: { id: uuid(5) }, decision: { outcome: 'hold', reason: 'window_closed' } }); } };
        const confirmed = unwrap(await uc(outbound).transition.execute({ workspaceId: WS, orderId: order.id, to: 'confirmed', actor: USER }));
        expect(calls).toEqual([]);
        expect(confirmed.notification).toMatchObject({ status: 'confirmed', outcome: 'not_sent', reason: 'no_conversation' });
        const detail = unwrap(await uc().orders.get(WS, order.id));
        expect(detail.notificationStatus).toBe('no notification: no conversation');
      });
    });

    describe('import', () => {
      it('upserts by SKU, sets stock as import movements and reports rows that clash with the database', async () => {
        await product('OLD', 'Old', { stock: 3 });
        const u = uc();
        const rows = [
          { line: 2, productSku: 'NEW', productName: 'New thing', description: 'd', imageUrls: [], status: 'active' as const, variantSku: 'NEW-1', variantTitle: 'One', priceMinor: 1000, currency: 'EUR', stock: 7, lowStockThreshold: 1 },
          { line: 3, productSku: 'NEW', productName: 'New thing', description: 'd', imageUrls: [], status: 'active' as const, variantSku: 'NEW-2', variantTitle: 'Two', priceMinor: 1100, currency: 'EUR', stock: null, lowStockThreshold: null },
          { line: 4, productSku: 'OLD', productName: 'Old renamed', description: '', imageUrls: [], status: 'active' as const, variantSku: 'OLD', variantTitle: 'Default', priceMinor: 900, currency: 'EUR', stock: 1, lowStockThreshold: null },
        ];
        expect(await u.imports.checkCatalogBatch(WS, rows)).toEqual([]);
        expect(unwrap(await u.imports.applyCatalogBatch(WS, rows, { kind: 'import' }))).toEqual({ products: 2, variants: 2 });
        expect(unwrap(await uc().imports.applyCatalogBatch(WS, rows, { kind: 'import' }))).toEqual({ products: 2, variants: 0 });
        const s = h.session();
        const newOne = (await s.variants.findBySku(WS, 'NEW-1'))!;
        expect((await ledgerMatches(newOne.id)).onHand).toBe(7);
        const old = (await s.variants.findBySku(WS, 'OLD'))!;
        expect({ price: old.price.amountMinor, onHand: (await ledgerMatches(old.id)).onHand }).toEqual({ price: 900, onHand: 1 });
        expect((await s.products.findBySku(WS, 'OLD'))!.name).toBe('Old renamed');
        expect((await s.stock.listMovements(WS, newOne.id)).map((m) => m.kind)).toEqual(['import']);
        const clash = await uc().imports.checkCatalogBatch(WS, [{ ...rows[0]!, line: 9, productSku: 'OLD', currency: 'USD' }]);
        expect(clash.map((i) => [i.line, i.column])).toEqual([[9, 'variant_sku'], [9, 'currency']]);
        const stock = await uc().imports.checkStockBatch(WS, [{ line: 2, sku: 'NOPE', onHand: 1 }, { line: 3, sku: 'NEW-2', onHand: 4 }]);
        expect(stock).toEqual([{ line: 2, column: 'sku', reason: 'no variant has SKU NOPE' }]);
        expect(unwrap(await uc().imports.applyStockBatch(WS, [{ line: 3, sku: 'NEW-2', onHand: 4 }], { kind: 'import' }))).toEqual({ changed: 1 });
      });
    });
  });
}
