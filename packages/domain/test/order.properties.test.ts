import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Ids, Money, ORDER_STATUSES, ORDER_TRANSITIONS, Order, TERMINAL_OR_COMPLETED,
  type NewLine, type OrderActor, type OrderStatus, type ShippingAddress, type StatusChange,
} from '../src/index.js';
import { unwrap, uuid } from '../testing/index.js';

const T0 = new Date('2026-03-01T12:00:00.000Z');
const WS = Ids.workspace(uuid(1, 'aaaaaaaa'));
const DAY = 86_400_000;
const MAX_QUANTITY = 1_000_000;

const line = (n: number, priceMinor: number, quantity: number, currency = 'EUR'): NewLine => ({
  variantId: Ids.variant(uuid(100 + n)), sku: `SKU-${n}`, name: `Item ${n}`, unitPrice: Money.unsafe(priceMinor, currency), quantity,
});

const draft = (lines: readonly NewLine[], extra: { shipping?: Money; discount?: Money; now?: Date } = {}) =>
  Order.draft({ id: Ids.order(uuid(1)), workspaceId: WS, source: 'chat', lines, actor: { kind: 'assistant' }, now: extra.now ?? T0, shipping: extra.shipping, discount: extra.discount });

const actorArb: fc.Arbitrary<OrderActor> = fc.oneof(
  fc.uuid().map((id): OrderActor => ({ kind: 'user', id })),
  fc.constantFrom<OrderActor>({ kind: 'contact', id: 'c-1' }, { kind: 'assistant' }, { kind: 'system' }, { kind: 'api', id: 'key-1' }),
);

/** One attempted transition: often a legal one (so deep states are reached), otherwise any status. */
const stepArb = fc.record({
  pickLegal: fc.boolean(),
  index: fc.nat(),
  any: fc.constantFrom(...ORDER_STATUSES),
  actor: actorArb,
  dt: fc.integer({ min: 0, max: 3 * DAY }),
  note: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
});

describe('Order state machine (model-based)', () => {
  it('accepts exactly the transitions of ORDER_TRANSITIONS and records each accepted one', () => {
    fc.assert(fc.property(fc.array(stepArb, { maxLength: 25 }), (steps) => {
      const order = unwrap(draft([line(1, 1999, 2)]));
      let model: OrderStatus = 'draft';
      const history: StatusChange[] = [{ from: null, to: 'draft', actor: { kind: 'assistant' }, at: T0, note: null }];
      let completedAt: Date | null = null;
      let now = T0.getTime();

      for (const s of steps) {
        const legal: readonly OrderStatus[] = ORDER_TRANSITIONS[model];
        const to: OrderStatus = s.pickLegal && legal.length > 0 ? legal[s.index % legal.length]! : s.any;
        now += s.dt;
        const at = new Date(now);
        const result = order.transition(to, s.actor, at, s.note);

        if (legal.includes(to)) {
          expect(result).toEqual({ ok: true, value: { from: model, to, actor: s.actor, at, note: s.note } });
          history.push({ from: model, to, actor: s.actor, at, note: s.note });
          model = to;
          if (TERMINAL_OR_COMPLETED.includes(to) && completedAt === null) completedAt = at;
        } else {
          expect(result).toEqual({ ok: false, error: { kind: 'IllegalTransition', from: model, to, allowed: ORDER_TRANSITIONS[model] } });
        }
        expect(order.status).toBe(model);
        expect(order.history).toEqual(history);
        expect(order.completedAt).toEqual(completedAt);
        expect(order.allowedTransitions()).toEqual(ORDER_TRANSITIONS[model]);
        // Finished orders are anchored at completion; open ones at creation.
        expect(order.retentionAnchor()).toEqual(completedAt ?? T0);
      }
    }), { numRuns: 200 });
  });

  it('checks every (from, to) pair exhaustively: accepted iff listed, and the error names the allowed targets', () => {
    // Reach every status by a legal path (BFS over the table), then try every target from it.
    const pathTo = new Map<OrderStatus, OrderStatus[]>([['draft', []]]);
    const queue: OrderStatus[] = ['draft'];
    while (queue.length > 0) {
      const from = queue.shift()!;
      for (const to of ORDER_TRANSITIONS[from]) {
        if (!pathTo.has(to)) { pathTo.set(to, [...pathTo.get(from)!, to]); queue.push(to); }
      }
    }
    expect([...pathTo.keys()].sort()).toEqual([...ORDER_STATUSES].sort());

    let accepted = 0;
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        const order = unwrap(draft([line(1, 500, 1)]));
        for (const step of pathTo.get(from)!) unwrap(order.transition(step, { kind: 'system' }, T0));
        expect(order.status).toBe(from);
        const r = order.transition(to, { kind: 'user', id: 'u1' }, T0);
        expect(r.ok).toBe(ORDER_TRANSITIONS[from].includes(to));
        if (r.ok) accepted += 1;
        else expect(r.error).toEqual({ kind: 'IllegalTransition', from, to, allowed: ORDER_TRANSITIONS[from] });
      }
    }
    expect(accepted).toBe(Object.values(ORDER_TRANSITIONS).reduce((n, t) => n + t.length, 0));
  });

  it('is the documented state machine (README: draft → confirmed → paid → shipped → delivered; cancel, refund)', () => {
    expect(ORDER_TRANSITIONS).toEqual({
      draft: ['confirmed', 'cancelled'],
      confirmed: ['paid', 'cancelled'],
      paid: ['shipped', 'cancelled', 'refunded'],
      shipped: ['delivered', 'refunded'],
      delivered: ['refunded'],
      cancelled: [],
      refunded: [],
    });
    expect([...TERMINAL_OR_COMPLETED].sort()).toEqual(['cancelled', 'delivered', 'refunded']);
  });

  it('never leaves a terminal status and never re-enters draft', () => {
    for (const s of ['cancelled', 'refunded'] as const) expect(ORDER_TRANSITIONS[s]).toEqual([]);
    for (const from of ORDER_STATUSES) expect(ORDER_TRANSITIONS[from]).not.toContain('draft');
  });

  it('sets completedAt on the first of delivered/cancelled/refunded and keeps it afterwards', () => {
    const order = unwrap(draft([line(1, 100, 1)]));
    for (const [i, s] of (['confirmed', 'paid', 'shipped'] as const).entries()) {
      unwrap(order.transition(s, { kind: 'system' }, new Date(T0.getTime() + (i + 1) * DAY)));
      expect(order.completedAt).toBeNull();
    }
    const delivered = new Date(T0.getTime() + 10 * DAY);
    unwrap(order.transition('delivered', { kind: 'system' }, delivered));
    expect(order.completedAt).toEqual(delivered);
    unwrap(order.transition('refunded', { kind: 'user', id: 'u1' }, new Date(T0.getTime() + 20 * DAY)));
    expect(order.completedAt).toEqual(delivered);
  });

  it('clears a chat hold when the draft moves on', () => {
    const order = unwrap(draft([line(1, 100, 1)]));
    order.holdUntil(new Date(T0.getTime() + 3600_000));
    expect(order.holdExpiresAt).not.toBeNull();
    unwrap(order.transition('confirmed', { kind: 'system' }, T0));
    expect(order.holdExpiresAt).toBeNull();
  });
});

describe('Order totals', () => {
  const lineSpec = fc.record({ price: fc.integer({ min: 0, max: 10_000_000 }), quantity: fc.integer({ min: 1, max: MAX_QUANTITY }) });

  it('total = Σ(unitPrice × quantity) + shipping − discount, exactly, in safe integers', () => {
    fc.assert(fc.property(
      fc.array(lineSpec, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 2_000_000_000 }), fc.constantFrom('EUR', 'JPY', 'KWD'),
      (specs, shippingMinor, discountMinor, currency) => {
        const lines = specs.map((s, i) => line(i, s.price, s.quantity, currency));
        const subtotal = specs.reduce((acc, s) => acc + BigInt(s.price) * BigInt(s.quantity), 0n);
        const expected = subtotal + BigInt(shippingMinor) - BigInt(discountMinor);
        const r = draft(lines, { shipping: Money.unsafe(shippingMinor, currency), discount: Money.unsafe(discountMinor, currency) });
        if (expected < 0n) {
          expect(r).toEqual({ ok: false, error: { kind: 'NegativeTotal' } });
          return;
        }
        const order = unwrap(r);
        expect(order.currency).toBe(currency);
        expect(BigInt(order.subtotal.amountMinor)).toBe(subtotal);
        expect(BigInt(order.total.amountMinor)).toBe(expected);
        for (const m of [order.subtotal, order.total, order.shipping, order.discount, ...order.lines.map((l) => l.lineTotal)]) {
          expect(Number.isSafeInteger(m.amountMinor)).toBe(true);
          expect(m.currency).toBe(currency);
        }
        order.lines.forEach((l, i) => {
          expect(BigInt(l.lineTotal.amountMinor)).toBe(BigInt(specs[i]!.price) * BigInt(specs[i]!.quantity));
          expect(l.unitPrice.amountMinor).toBe(specs[i]!.price);
        });
      },
    ), { numRuns: 300 });
  });

  it('reports AmountOverflow instead of a wrong number when a line or the subtotal leaves the safe range', () => {
    const big = fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 2 ** 40, max: 2 ** 46 }));
    fc.assert(fc.property(fc.array(fc.record({ price: big, quantity: fc.integer({ min: 1, max: MAX_QUANTITY }) }), { minLength: 1, maxLength: 4 }), (specs) => {
      const exact = specs.map((s) => BigInt(s.price) * BigInt(s.quantity));
      const max = BigInt(Number.MAX_SAFE_INTEGER);
      let running = 0n;
      let overflow = exact.some((p) => p > max);
      for (const p of exact) { running += p; if (running > max) overflow = true; }
      const r = draft(specs.map((s, i) => line(i, s.price, s.quantity)));
      if (overflow) expect(r).toEqual({ ok: false, error: { kind: 'AmountOverflow' } });
      else expect(BigInt(unwrap(r).total.amountMinor)).toBe(running);
    }), { numRuns: 300 });
  });

  it('keeps totals exact when lines and charges are edited on a draft', () => {
    fc.assert(fc.property(fc.array(lineSpec, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), (specs, ship, disc) => {
      const order = unwrap(draft([line(0, 1, 1)]));
      unwrap(order.replaceLines(specs.map((s, i) => line(i, s.price, s.quantity)), T0));
      const sub = specs.reduce((a, s) => a + BigInt(s.price) * BigInt(s.quantity), 0n);
      const r = order.setCharges({ shipping: Money.unsafe(ship, 'EUR'), discount: Money.unsafe(disc, 'EUR') }, T0);
      if (sub + BigInt(ship) - BigInt(disc) < 0n) {
        expect(r).toEqual({ ok: false, error: { kind: 'NegativeTotal' } });
        expect(BigInt(order.total.amountMinor)).toBe(sub);
      } else {
        expect(r.ok).toBe(true);
        expect(BigInt(order.total.amountMinor)).toBe(sub + BigInt(ship) - BigInt(disc));
      }
    }), { numRuns: 150 });
  });

  it('refuses edits once the order left draft', () => {
    const order = unwrap(draft([line(1, 100, 1)]));
    unwrap(order.transition('confirmed', { kind: 'system' }, T0));
    expect(order.replaceLines([line(1, 100, 5)], T0)).toEqual({ ok: false, error: { kind: 'OrderNotEditable', status: 'confirmed' } });
    expect(order.setCharges({ shipping: Money.unsafe(1, 'EUR') }, T0)).toEqual({ ok: false, error: { kind: 'OrderNotEditable', status: 'confirmed' } });
    expect(order.total.amountMinor).toBe(100);
  });

  it('refuses mixed currencies among lines, charges and replacements', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('EUR', 'USD', 'JPY'), { minLength: 1, maxLength: 6 }), (currencies) => {
      const r = draft(currencies.map((c, i) => line(i, 100, 1, c)));
      const distinct = new Set(currencies);
      if (distinct.size > 1) {
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.error.kind).toBe('MixedCurrencies');
          if (r.error.kind === 'MixedCurrencies') expect([...r.error.currencies].sort()).toEqual([...distinct].sort());
        }
      } else {
        expect(unwrap(r).currency).toBe(currencies[0]);
      }
    }));
    expect(draft([line(1, 100, 1)], { shipping: Money.unsafe(500, 'USD') })).toMatchObject({ ok: false, error: { kind: 'MixedCurrencies' } });
    expect(draft([line(1, 100, 1)], { discount: Money.unsafe(5, 'JPY') })).toMatchObject({ ok: false, error: { kind: 'MixedCurrencies' } });
    const order = unwrap(draft([line(1, 100, 1)]));
    expect(order.replaceLines([line(2, 100, 1, 'USD')], T0)).toMatchObject({ ok: false, error: { kind: 'MixedCurrencies' } });
    expect(order.setCharges({ shipping: Money.unsafe(5, 'USD') }, T0)).toMatchObject({ ok: false, error: { kind: 'MixedCurrencies' } });
    expect(order.currency).toBe('EUR');
    expect(order.lines.map((l) => l.sku)).toEqual(['SKU-1']);
  });

  it('refuses an empty order, a negative unit price and negative charges', () => {
    expect(draft([])).toEqual({ ok: false, error: { kind: 'EmptyOrder' } });
    expect(draft([line(1, -1, 1)])).toEqual({ ok: false, error: { kind: 'InvalidAmount', amount: -1 } });
    expect(draft([line(1, 100, 1)], { shipping: Money.unsafe(-1, 'EUR') })).toEqual({ ok: false, error: { kind: 'NegativeTotal' } });
    expect(draft([line(1, 100, 1)], { discount: Money.unsafe(-1, 'EUR') })).toEqual({ ok: false, error: { kind: 'NegativeTotal' } });
  });

  it('refuses quantities that are ≤ 0, not integers or above 1,000,000, and accepts the bounds', () => {
    const bad = fc.oneof(
      fc.integer({ min: -1_000_000, max: 0 }),
      fc.integer({ min: MAX_QUANTITY + 1, max: Number.MAX_SAFE_INTEGER }),
      fc.double({ min: -10, max: 2_000_000, noNaN: true }).filter((q) => !Number.isInteger(q)),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5, 1.000001, 2 ** 53),
    );
    fc.assert(fc.property(bad, fc.nat({ max: 3 }), (quantity, position) => {
      const lines = [line(0, 100, 1), line(1, 100, 2), line(2, 100, 3)];
      lines.splice(position, 0, { ...line(9, 100, 1), quantity });
      const r = draft(lines);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.kind).toBe('InvalidQuantity');
        if (r.error.kind === 'InvalidQuantity') { expect(r.error.sku).toBe('SKU-9'); expect(r.error.quantity).toBe(quantity); }
      }
    }), { numRuns: 200 });
    expect(unwrap(draft([line(1, 1, 1)])).total.amountMinor).toBe(1);
    expect(unwrap(draft([line(1, 3, MAX_QUANTITY)])).total.amountMinor).toBe(3 * MAX_QUANTITY);
    const order = unwrap(draft([line(1, 1, 1)]));
    expect(order.replaceLines([line(1, 1, 0)], T0)).toMatchObject({ ok: false, error: { kind: 'InvalidQuantity' } });
    expect(order.lines[0]!.quantity).toBe(1);
  });
});

describe('Order.anonymize', () => {
  const addressArb: fc.Arbitrary<ShippingAddress> = fc.record({
    name: fc.string({ minLength: 1, maxLength: 20 }), line1: fc.string({ minLength: 1, maxLength: 20 }), city: fc.string({ minLength: 1, maxLength: 10 }),
    postalCode: fc.string({ minLength: 1, maxLength: 8 }), country: fc.constantFrom('ES', 'MX', 'FR'),
  });

  it('drops contact, conversation, name, address and notes, and keeps amounts, lines, statuses and dates', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ price: fc.integer({ min: 0, max: 100_000 }), quantity: fc.integer({ min: 1, max: 50 }) }), { minLength: 1, maxLength: 4 }),
      fc.string({ minLength: 1, maxLength: 20 }), addressArb, fc.string({ minLength: 1, maxLength: 30 }),
      fc.array(stepArb, { maxLength: 6 }),
      (specs, customerName, address, note, steps) => {
        const order = unwrap(Order.draft({
          id: Ids.order(uuid(7)), workspaceId: WS, source: 'chat', lines: specs.map((s, i) => line(i, s.price, s.quantity)),
          contactId: Ids.contact(uuid(20)), conversationId: Ids.conversation(uuid(30)), customerName, shippingAddress: address, notes: note,
          shipping: Money.unsafe(490, 'EUR'), actor: { kind: 'contact', id: uuid(20) }, now: T0,
        }));
        order.addNote('call before delivery', T0);
        let now = T0.getTime();
        for (const s of steps) {
          const legal = ORDER_TRANSITIONS[order.status];
          if (legal.length === 0) break;
          now += s.dt;
          unwrap(order.transition(legal[s.index % legal.length]!, s.actor, new Date(now), 'customer said: ring twice'));
        }
        const before = {
          status: order.status, lines: order.lines, subtotal: order.subtotal, shipping: order.shipping, discount: order.discount, total: order.total,
          statuses: order.history.map((h) => [h.from, h.to, h.at.getTime()]), completedAt: order.completedAt, createdAt: order.createdAt, currency: order.currency,
          userActors: order.history.map((h) => (h.actor.kind === 'user' ? h.actor.id : null)),
        };
        const at = new Date(now + DAY);
        order.anonymize(at);

        expect(order.contactId).toBeNull();
        expect(order.conversationId).toBeNull();
        expect(order.customerName).toBeNull();
        expect(order.shippingAddress).toBeNull();
        expect(order.notes).toBeNull();
        expect(order.anonymizedAt).toEqual(at);
        for (const h of order.history) {
          expect(h.note).toBeNull();
          if (h.actor.kind === 'contact') expect(h.actor).toEqual({ kind: 'contact' });
        }
        expect(JSON.stringify(order.history)).not.toContain(uuid(20));
        expect({
          status: order.status, lines: order.lines, subtotal: order.subtotal, shipping: order.shipping, discount: order.discount, total: order.total,
          statuses: order.history.map((h) => [h.from, h.to, h.at.getTime()]), completedAt: order.completedAt, createdAt: order.createdAt, currency: order.currency,
          userActors: order.history.map((h) => (h.actor.kind === 'user' ? h.actor.id : null)),
        }).toEqual(before);
        expect(order.setCustomer({ customerName: 'Ana' }, at)).toEqual({ ok: false, error: { kind: 'OrderAnonymized' } });
        expect(order.customerName).toBeNull();
      },
    ), { numRuns: 150 });
  });
});
