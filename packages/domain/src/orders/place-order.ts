import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids, type ContactId, type ConversationId, type VariantId, type WorkspaceId } from '../shared/ids.js';
import { Money } from '../shared/money.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { VariantRepository } from '../catalog/ports.js';
import type { OrderRepository } from './ports.js';
import { Order, type OrderActor, type OrderError, type OrderSource, type ShippingAddress } from './order.js';

export interface DraftOrderCommand {
  readonly workspaceId: WorkspaceId;
  readonly source: OrderSource;
  readonly lines: ReadonlyArray<{ variantId: VariantId; quantity: number }>;
  readonly contactId?: ContactId | null;
  readonly conversationId?: ConversationId | null;
  readonly customerName?: string | null;
  readonly shippingAddress?: ShippingAddress | null;
  readonly shippingMinor?: number;
  readonly discountMinor?: number;
  readonly notes?: string | null;
  readonly actor: OrderActor;
}

export type DraftOrderError = OrderError | NotFound | { readonly kind: 'VariantUnavailable'; readonly sku: string };

/** Creates a draft with price snapshots from the live catalog. Confirming it reserves stock. */
export class DraftOrder {
  constructor(private readonly deps: { orders: OrderRepository; variants: VariantRepository; uow: UnitOfWork; clock: Clock; ids: IdGenerator }) {}

  execute(cmd: DraftOrderCommand): Promise<Result<Order, DraftOrderError>> {
    const { orders, variants, uow, clock, ids } = this.deps;
    return uow.run(async () => {
      const found = await variants.getMany(cmd.workspaceId, cmd.lines.map((l) => l.variantId));
      const byId = new Map(found.map((v) => [v.id, v]));
      const lines = [];
      for (const l of cmd.lines) {
        const v = byId.get(l.variantId);
        if (!v) return err(notFound('variant', l.variantId));
        if (!v.active) return err({ kind: 'VariantUnavailable', sku: v.sku } as const);
        lines.push({ variantId: v.id, sku: v.sku, name: v.title === 'Default' ? v.sku : `${v.sku} ${v.title}`, unitPrice: v.price, quantity: l.quantity });
      }
      const currency = lines[0]?.unitPrice.currency ?? 'EUR';
      const shipping = Money.of(cmd.shippingMinor ?? 0, currency);
      if (!shipping.ok) return shipping;
      const discount = Money.of(cmd.discountMinor ?? 0, currency);
      if (!discount.ok) return discount;
      const order = Order.draft({
        id: Ids.order(ids.next()), workspaceId: cmd.workspaceId, source: cmd.source, lines, contactId: cmd.contactId, conversationId: cmd.conversationId,
        customerName: cmd.customerName, shippingAddress: cmd.shippingAddress, shipping: shipping.value, discount: discount.value, notes: cmd.notes,
        actor: cmd.actor, now: clock.now(),
      });
      if (!order.ok) return order;
      await orders.save(order.value);
      return ok(order.value);
    });
  }
}
