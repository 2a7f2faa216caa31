import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids, type OrderId, type WorkspaceId } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { StockRepository, VariantRepository } from '../catalog/ports.js';
import type { StockError } from '../catalog/stock.js';
import type { MessageRepository } from '../conversations/ports.js';
import type { OrderListFilter, OrderRepository } from './ports.js';
import { describeNotification, type Order, type OrderError, type OrderNotification } from './order.js';
import { applyStockEffect } from './stock-effects.js';

/** An order as the dashboard and the assistant show it. */
export interface OrderDetail {
  readonly order: Order;
  /** `notification held: window closed` while the customer has not written again; null when nothing was tried. */
  readonly notificationStatus: string | null;
}

/** The read side of orders: list with filters, detail with the notification's current state. */
export class OrderQueries {
  constructor(private readonly deps: { orders: OrderRepository; messages?: MessageRepository }) {}

  list(workspaceId: WorkspaceId, filter: OrderListFilter): Promise<Order[]> {
    return this.deps.orders.list(workspaceId, filter);
  }

  /** Tool "get order status": the order with its lines, totals, history and notification state. */
  async get(workspaceId: WorkspaceId, id: OrderId): Promise<Result<OrderDetail, NotFound>> {
    const order = await this.deps.orders.get(workspaceId, id);
    if (!order) return err(notFound('order', id));
    return ok({ order, notificationStatus: await this.notificationStatus(workspaceId, order.notification) });
  }

  /** A held message may have been released since (the customer wrote again): the message knows. */
  private async notificationStatus(workspaceId: WorkspaceId, n: OrderNotification | null): Promise<string | null> {
    if (!n) return null;
    if (n.outcome === 'held' && n.messageId && this.deps.messages) {
      const message = await this.deps.messages.get(workspaceId, Ids.message(n.messageId));
      if (message && message.deliveryState !== 'held') {
        return message.deliveryState === 'sent' ? 'notification sent' : message.deliveryState === 'refused' || message.deliveryState === 'failed'
          ? `notification not sent: ${(message.holdReason ?? message.deliveryState).replace(/_/g, ' ')}` : 'notification sending';
      }
    }
    return describeNotification(n);
  }
}

export const MAX_NOTE_LENGTH = 2000;

/** Internal notes on an order (staff only; never sent to the customer). */
export class AddOrderNote {
  constructor(private readonly deps: { orders: OrderRepository; uow: UnitOfWork; clock: Clock }) {}

  execute(cmd: { workspaceId: WorkspaceId; orderId: OrderId; note: string }): Promise<Result<Order, OrderError | NotFound | { readonly kind: 'InvalidNote' }>> {
    const note = cmd.note.trim();
    if (note.length === 0 || note.length > MAX_NOTE_LENGTH) return Promise.resolve(err({ kind: 'InvalidNote' } as const));
    return this.deps.uow.run(async () => {
      const order = await this.deps.orders.get(cmd.workspaceId, cmd.orderId);
      if (!order) return err(notFound('order', cmd.orderId));
      const added = order.addNote(note, this.deps.clock.now());
      if (!added.ok) return added;
      await this.deps.orders.save(order);
      return ok(order);
    });
  }
}

/**
 * Gives back the units of chat drafts whose hold ran out. Each order is its own unit of work, so
 * one failure does not keep the others' stock; run by the `catalog.stock-hold-expiry` job.
 */
export class ReleaseExpiredHolds {
  constructor(private readonly deps: { orders: OrderRepository; stock: StockRepository; variants: VariantRepository; uow: UnitOfWork; clock: Clock; ids: IdGenerator }) {}

  /** Releases one draft's hold if it is still held and expired; true when it did. */
  releaseOne(workspaceId: WorkspaceId, orderId: OrderId): Promise<Result<boolean, StockError | NotFound>> {
    const { orders, stock, variants, uow, clock, ids } = this.deps;
    return uow.run(async () => {
      const order = await orders.get(workspaceId, orderId);
      if (!order) return err(notFound('order', orderId));
      const now = clock.now();
      if (!order.holdsStock || order.holdExpiresAt!.getTime() > now.getTime()) return ok(false);
      order.holdUntil(null);
      await orders.save(order);
      const released = await applyStockEffect({ stock, variants, nextId: () => ids.next() }, { workspaceId, order, effect: 'release', actor: { kind: 'system', id: 'hold-expiry' }, now });
      if (!released.ok) return released;
      return ok(true);
    });
  }

  /** Every hold expired by now, in batches; returns how many were released. */
  async sweep(batch = 100): Promise<{ released: number; failed: number }> {
    let released = 0;
    let failed = 0;
    const skipped = new Set<string>();
    for (;;) {
      const due = (await this.deps.orders.listExpiredHolds(this.deps.clock.now(), batch + skipped.size)).filter((d) => !skipped.has(d.orderId));
      if (due.length === 0) return { released, failed };
      for (const d of due.slice(0, batch)) {
        const r = await this.releaseOne(d.workspaceId, d.orderId);
        if (r.ok && r.value) released += 1;
        else { if (!r.ok) failed += 1; skipped.add(d.orderId); }
      }
    }
  }
}
