import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids, type ContactId, type ConversationId, type VariantId, type WorkspaceId } from '../shared/ids.js';
import { Money } from '../shared/money.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { ProductRepository, StockRepository, VariantRepository } from '../catalog/ports.js';
import type { StockError } from '../catalog/stock.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { ConversationRepository } from '../conversations/ports.js';
import type { OrderRepository } from './ports.js';
import { Order, type NewLine, type OrderActor, type OrderError, type OrderSource, type ShippingAddress } from './order.js';
import { applyStockEffect, stockActorOf } from './stock-effects.js';

/** How long a chat draft keeps its units when no hold length is given. */
export const DEFAULT_HOLD_MINUTES = 30;
export const MAX_HOLD_MINUTES = 24 * 60;

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
  /** When given, every line must be priced in it (a client quoting EUR must not get a USD order). */
  readonly currency?: string;
  readonly notes?: string | null;
  /**
   * Reserve the lines now, for `holdMinutes` (default 30): a customer in chat is never promised a
   * unit someone else takes meanwhile. Without it, stock is reserved at confirmation.
   */
  readonly holdStock?: boolean;
  readonly holdMinutes?: number;
  readonly actor: OrderActor;
  /** Runs inside the unit of work after the order is saved (idempotency record, audit): all commit together. */
  readonly inTransaction?: (order: Order) => Promise<void>;
}

export type DraftOrderError =
  | OrderError | NotFound | StockError
  | { readonly kind: 'VariantUnavailable'; readonly sku: string; readonly reason: 'variant_inactive' | 'product_archived' }
  | { readonly kind: 'InvalidHold'; readonly minutes: number };

/**
 * Creates a draft with price snapshots from the live catalog, optionally holding its stock for a
 * short time. Archived products and inactive variants cannot be ordered. Confirming the draft
 * reserves stock (or keeps the hold it already has).
 */
export class DraftOrder {
  constructor(private readonly deps: {
    orders: OrderRepository; variants: VariantRepository; products: ProductRepository; stock: StockRepository;
    contacts: ContactRepository; conversations: ConversationRepository; uow: UnitOfWork; clock: Clock; ids: IdGenerator;
  }) {}

  execute(cmd: DraftOrderCommand): Promise<Result<Order, DraftOrderError>> {
    const { orders, variants, products, stock, contacts, conversations, uow, clock, ids } = this.deps;
    const holdMinutes = cmd.holdMinutes ?? DEFAULT_HOLD_MINUTES;
    if (cmd.holdStock && (!Number.isSafeInteger(holdMinutes) || holdMinutes < 1 || holdMinutes > MAX_HOLD_MINUTES)) {
      return Promise.resolve(err({ kind: 'InvalidHold', minutes: holdMinutes } as const));
    }
    return uow.run(async () => {
      const found = await variants.getMany(cmd.workspaceId, cmd.lines.map((l) => l.variantId));
      const byId = new Map(found.map((v) => [v.id, v]));
      const productIds = [...new Set(found.map((v) => v.productId))];
      const archived = new Set<string>();
      for (const id of productIds) {
        const product = await products.get(cmd.workspaceId, id);
        if (!product || !product.isActive) archived.add(id);
      }
      const lines: NewLine[] = [];
      for (const l of cmd.lines) {
        const v = byId.get(l.variantId);
        if (!v) return err(notFound('variant', l.variantId));
        if (archived.has(v.productId)) return err({ kind: 'VariantUnavailable', sku: v.sku, reason: 'product_archived' } as const);
        if (!v.active) return err({ kind: 'VariantUnavailable', sku: v.sku, reason: 'variant_inactive' } as const);
        lines.push({ variantId: v.id, sku: v.sku, name: v.title === 'Default' ? v.sku : `${v.sku} ${v.title}`, unitPrice: v.price, quantity: l.quantity });
      }
      const currency = lines[0]?.unitPrice.currency ?? cmd.currency ?? 'EUR';
      if (cmd.currency !== undefined && cmd.currency !== currency) return err({ kind: 'CurrencyMismatch', expected: currency, actual: cmd.currency } as const);
      const shipping = Money.of(cmd.shippingMinor ?? 0, currency);
      if (!shipping.ok) return shipping;
      const discount = Money.of(cmd.discountMinor ?? 0, currency);
      if (!discount.ok) return discount;

      let contactId = cmd.contactId ?? null;
      if (cmd.conversationId) {
        const conversation = await conversations.get(cmd.workspaceId, cmd.conversationId);
        if (!conversation) return err(notFound('conversation', cmd.conversationId));
        if (contactId !== null && contactId !== conversation.contactId) return err(notFound('contact', contactId));
        contactId = conversation.contactId;
      } else if (contactId !== null && !(await contacts.get(cmd.workspaceId, contactId))) {
        return err(notFound('contact', contactId));
      }

      const now = clock.now();
      const order = Order.draft({
        id: Ids.order(ids.next()), workspaceId: cmd.workspaceId, source: cmd.source, lines, contactId, conversationId: cmd.conversationId,
        customerName: cmd.customerName, shippingAddress: cmd.shippingAddress, shipping: shipping.value, discount: discount.value, notes: cmd.notes,
        actor: cmd.actor, now,
      });
      if (!order.ok) return order;
      // The hold is written last: everything else is saved first so the variant's row lock is held
      // only from the stock write to the commit (a refused hold rolls all of it back).
      if (cmd.holdStock) order.value.holdUntil(new Date(now.getTime() + holdMinutes * 60_000));
      await orders.save(order.value);
      await cmd.inTransaction?.(order.value);
      if (cmd.holdStock) {
        const held = await applyStockEffect({ stock, variants, nextId: () => ids.next() }, { workspaceId: cmd.workspaceId, order: order.value, effect: 'reserve', actor: stockActorOf(cmd.actor), now, knownVariants: found });
        if (!held.ok) return held;
      }
      return ok(order.value);
    });
  }
}
