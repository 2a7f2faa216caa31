import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  describeNotification, DraftOrder, Ids, ManageCatalog, Money, Order, ORDER_STATUSES, ORDER_TRANSITIONS, ReleaseExpiredHolds, stockEffect, TransitionOrder,
  type OrderStatus,
} from '../src/index.js';
import { createInMemoryRepositories, FakeClock, SequentialIds } from '../in-memory/index.js';
import { make, unwrap, uuid } from '../testing/index.js';

const T0 = new Date('2026-03-01T12:00:00Z');
const WS = Ids.workspace(uuid(1, 'aaaaaaaa'));

describe('order totals', () => {
  it('total = Σ unit price × quantity + shipping − discount, exactly, or a clean error (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ price: fc.integer({ min: 0, max: 10_000_000 }), qty: fc.integer({ min: 1, max: 1000 }) }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 1_000_000 }),
      (lines, shipping, discount) => {
        const r = Order.draft({
          id: Ids.order(uuid(9)), workspaceId: WS, source: 'api', actor: { kind: 'api' }, now: T0, shipping: Money.unsafe(shipping, 'EUR'), discount: Money.unsafe(discount, 'EUR'),
          lines: lines.map((l, i) => ({ variantId: Ids.variant(uuid(100 + i)), sku: `S${i}`, name: `S${i}`, unitPrice: Money.unsafe(l.price, 'EUR'), quantity: l.qty })),
        });
        const subtotal = lines.reduce((a, l) => a + l.price * l.qty, 0);
        if (subtotal + shipping - discount < 0) { expect(r).toEqual({ ok: false, error: { kind: 'NegativeTotal' } }); return; }
        const o = unwrap(r);
        expect({ subtotal: o.subtotal.amountMinor, total: o.total.amountMinor }).toEqual({ subtotal, total: subtotal + shipping - discount });
      }));
  });
});

describe('the state machine', () => {
  it('accepts exactly the table, names the allowed moves when it refuses, and records every move (property)', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...ORDER_STATUSES), { maxLength: 12 }), (targets) => {
      const o = make.order(uuid(9), WS, [{ variantId: Ids.variant(uuid(5)), sku: 'A', priceMinor: 100, quantity: 1 }], T0);
      let moves = 1;
      for (const to of targets) {
        const from = o.status;
        const r = o.transition(to, { kind: 'api' }, T0);
        if (ORDER_TRANSITIONS[from].includes(to)) { expect(r.ok).toBe(true); moves += 1; expect(o.status).toBe(to); }
        else { expect(r).toEqual({ ok: false, error: { kind: 'IllegalTransition', from, to, allowed: ORDER_TRANSITIONS[from] } }); expect(o.status).toBe(from); }
      }
      expect(o.history).toHaveLength(moves);
    }));
  });

  it('along any legal path, stock is reserved at most once and released or consumed only while reserved (property)', () => {
    const legalPath = fc.array(fc.nat(), { maxLength: 8 }).map((picks) => {
      const path: OrderStatus[] = ['draft'];
      for (const p of picks) {
        const next = ORDER_TRANSITIONS[path[path.length - 1]!];
        if (next.length === 0) break;
        path.push(next[p % next.length]!);
      }
      return path;
    });
    fc.assert(fc.property(legalPath, fc.boolean(), (path, held) => {
      let reserved = held ? 1 : 0;
      let shipped = 0;
      for (let i = 1; i < path.length; i++) {
        const effect = stockEffect(path[i - 1]!, path[i]!, i === 1 && held);
        if (effect === 'reserve') { expect(reserved).toBe(0); reserved = 1; }
        if (effect === 'release') { expect(reserved).toBe(1); reserved = 0; }
        if (effect === 'consume') { expect(reserved).toBe(1); reserved = 0; shipped += 1; }
      }
      const last = path[path.length - 1]!;
      expect(reserved).toBe(last === 'confirmed' || last === 'paid' || (last === 'draft' && held) ? 1 : 0);
      expect(shipped).toBe(path.includes('shipped') ? 1 : 0);
    }));
  });
});

describe('chat holds and their expiry', () => {
  async function world(stock: number) {
    const repos = createInMemoryRepositories();
    const clock = new FakeClock(T0);
    const ids = new SequentialIds();
    await repos.uow.run(async () => { await repos.workspaces.save(make.workspace(WS, T0)); });
    const { product, variants } = unwrap(await new ManageCatalog({ ...repos, clock, ids }).createProduct({ workspaceId: WS, sku: 'TEE', name: 'Tee', priceMinor: 1000, currency: 'EUR', initialStock: stock, actor: { kind: 'system' } }));
    return { repos, clock, ids, product, variantId: variants[0]!.id, draft: new DraftOrder({ ...repos, clock, ids }), holds: new ReleaseExpiredHolds({ ...repos, clock, ids }) };
  }

  it('after any interleaving of holds and clock moves, reserved = units of the holds not yet expired (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(
      fc.record({ t: fc.constant('hold' as const), minutes: fc.integer({ min: 1, max: 60 }), qty: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ t: fc.constant('wait' as const), minutes: fc.integer({ min: 0, max: 45 }) }),
    ), { maxLength: 12 }), async (ops) => {
      const w = await world(20);
      const live: Array<{ until: number; qty: number }> = [];
      for (const op of ops) {
        if (op.t === 'hold') {
          const r = await w.draft.execute({ workspaceId: WS, source: 'chat', lines: [{ variantId: w.variantId, quantity: op.qty }], holdStock: true, holdMinutes: op.minutes, actor: { kind: 'assistant' } });
          const available = 20 - live.reduce((a, h) => a + h.qty, 0);
          expect(r.ok).toBe(op.qty <= available);
          if (r.ok) live.push({ until: w.clock.now().getTime() + op.minutes * 60_000, qty: op.qty });
        } else {
          w.clock.advance(op.minutes * 60_000);
          await w.holds.sweep();
          for (let i = live.length - 1; i >= 0; i--) if (live[i]!.until <= w.clock.now().getTime()) live.splice(i, 1);
        }
        expect((await w.repos.stock.get(WS, w.variantId))!.reserved).toBe(live.reduce((a, h) => a + h.qty, 0));
      }
    }), { numRuns: 40 });
  });

  it('refuses archived products and inactive variants (the first DraftOrder accepted them), and bad hold lengths', async () => {
    const w = await world(5);
    const line = [{ variantId: w.variantId, quantity: 1 }];
    const mc = new ManageCatalog({ ...w.repos, clock: w.clock, ids: w.ids });
    unwrap(await mc.setProductStatus({ workspaceId: WS, productId: w.product.id, status: 'archived' }));
    expect(await w.draft.execute({ workspaceId: WS, source: 'api', lines: line, actor: { kind: 'api' } })).toEqual({ ok: false, error: { kind: 'VariantUnavailable', sku: 'TEE', reason: 'product_archived' } });
    unwrap(await mc.setProductStatus({ workspaceId: WS, productId: w.product.id, status: 'active' }));
    unwrap(await mc.updateVariant({ workspaceId: WS, variantId: w.variantId, active: false }));
    expect(await w.draft.execute({ workspaceId: WS, source: 'api', lines: line, actor: { kind: 'api' } })).toEqual({ ok: false, error: { kind: 'VariantUnavailable', sku: 'TEE', reason: 'variant_inactive' } });
    unwrap(await mc.updateVariant({ workspaceId: WS, variantId: w.variantId, active: true }));
    for (const minutes of [0, -5, 1.5, 24 * 60 + 1]) {
      expect(await w.draft.execute({ workspaceId: WS, source: 'chat', lines: line, holdStock: true, holdMinutes: minutes, actor: { kind: 'assistant' } })).toEqual({ ok: false, error: { kind: 'InvalidHold', minutes } });
    }
    expect(await w.draft.execute({ workspaceId: WS, source: 'api', lines: line, currency: 'USD', actor: { kind: 'api' } })).toMatchObject({ ok: false, error: { kind: 'CurrencyMismatch' } });
    const order = unwrap(await w.draft.execute({ workspaceId: WS, source: 'chat', lines: line, holdStock: true, actor: { kind: 'assistant' } }));
    const transition = new TransitionOrder({ ...w.repos, clock: w.clock, ids: w.ids });
    unwrap(await transition.execute({ workspaceId: WS, orderId: order.id, to: 'confirmed', actor: { kind: 'contact' } }));
    expect((await w.repos.stock.listMovementsByOrder(WS, order.id)).map((m) => m.kind)).toEqual(['reservation']);
    expect((await w.repos.orders.get(WS, order.id))!.holdExpiresAt).toBeNull();
  });

  it('describes notifications the way the dashboard shows them', () => {
    const at = T0.toISOString();
    expect(describeNotification({ status: 'shipped', messageId: 'm', outcome: 'held', reason: 'window_closed', at })).toBe('notification held: window closed');
    expect(describeNotification({ status: 'shipped', messageId: 'm', outcome: 'queued', reason: null, at })).toBe('notification sent');
    expect(describeNotification({ status: 'shipped', messageId: null, outcome: 'refused', reason: 'contact_restricted', at })).toBe('notification not sent: contact restricted');
  });
});
