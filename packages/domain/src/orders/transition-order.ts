import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import type { OrderId, WorkspaceId } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { StockRepository, VariantRepository } from '../catalog/ports.js';
import type { StockError } from '../catalog/stock.js';
import type { ConversationRepository } from '../conversations/ports.js';
import type { WorkspaceRepository } from '../accounts/ports.js';
import type { ContactFactsRepository, DailyMetricsRepository } from '../reports/ports.js';
import type { ContactRepository } from '../contacts/ports.js';
import { contactPurchased } from '../reports/metric-helpers.js';
import { orderTransitionMetrics } from '../reports/daily-metrics.js';
import type { OrderRepository } from './ports.js';
import { holdsReservation, type Order, type OrderActor, type OrderError, type OrderStatus } from './order.js';
import { applyStockEffect, stockActorOf, type StockEffect } from './stock-effects.js';
import type { NotifyOrderCustomer } from './notify-customer.js';

export type TransitionOrderError = OrderError | StockError | NotFound;

/**
 * Moves an order along its state machine and applies the stock effect in the same unit of work:
 * confirming reserves every line (all or nothing, under row locks) unless a chat hold already did,
 * cancelling releases, shipping consumes, refunding after shipment does not restock (a return is a
 * separate adjustment). After the commit, the customer is told through the send gate when a
 * notifier is given; a closed window leaves the notification held, recorded on the order.
 */
export class TransitionOrder {
  constructor(
    private readonly deps: {
      orders: OrderRepository; stock: StockRepository; variants?: VariantRepository; workspaces: WorkspaceRepository; conversations: ConversationRepository;
      metrics: DailyMetricsRepository; contactFacts: ContactFactsRepository; contacts: ContactRepository; uow: UnitOfWork; clock: Clock; ids: IdGenerator; notifications?: NotifyOrderCustomer;
    },
  ) {}

  async execute(cmd: { workspaceId: WorkspaceId; orderId: OrderId; to: OrderStatus; actor: OrderActor; note?: string | null; notifyCustomer?: boolean }): Promise<Result<Order, TransitionOrderError>> {
    const { orders, stock, variants, workspaces, conversations, metrics, uow, clock, ids } = this.deps;
    const result = await uow.run(async (): Promise<Result<Order, TransitionOrderError>> => {
      const order = await orders.get(cmd.workspaceId, cmd.orderId);
      if (!order) return err(notFound('order', cmd.orderId));
      const from = order.status;
      const held = order.holdsStock;
      const now = clock.now();
      const changed = order.transition(cmd.to, cmd.actor, now, cmd.note ?? null);
      if (!changed.ok) return changed;

      const workspace = await workspaces.get(cmd.workspaceId);
      const conversation = order.conversationId ? await conversations.get(cmd.workspaceId, order.conversationId) : null;
      await metrics.add(orderTransitionMetrics(order, cmd.to, now, workspace?.timezone ?? 'UTC', conversation?.entryPoint ?? null));
      if (cmd.to === 'confirmed' && order.contactId) {
        const contact = await this.deps.contacts.get(cmd.workspaceId, order.contactId);
        // A vanished contact still counts, as a repair from the orders would count it.
        if (!contact?.restrictions.processingRestricted) {
          await this.deps.contactFacts.record(contactPurchased({ workspaceId: cmd.workspaceId, contactId: order.contactId, at: now, timezone: workspace?.timezone ?? 'UTC' }));
        }
      }
      await orders.save(order);
      // Last, so the variants' row locks are held only from the stock write to the commit.
      const effect = stockEffect(from, cmd.to, held);
      if (effect) {
        const applied = await applyStockEffect(
          { stock, variants: variants ?? noVariants, nextId: () => ids.next() },
          { workspaceId: cmd.workspaceId, order, effect, actor: stockActorOf(cmd.actor), now },
        );
        if (!applied.ok) return applied;
      }
      return ok(order);
    });
    if (!result.ok || !this.deps.notifications || cmd.notifyCustomer === false) return result;
    const notified = await this.deps.notifications.execute({ workspaceId: cmd.workspaceId, orderId: cmd.orderId });
    return notified.ok ? ok(notified.value) : result;
  }
}

// Without a variant repository low-stock events cannot name the SKU, so none are recorded.
const noVariants: VariantRepository = {
  get: async () => null, getMany: async () => [], findBySku: async () => null, findManyBySku: async () => [], listByProduct: async () => [], listByProducts: async () => [], save: async () => undefined,
};

/**
 * The stock effect of a transition. `heldBefore`: the draft already reserved its lines for a chat
 * hold, so confirming keeps that reservation instead of taking the units twice, and cancelling
 * the draft gives them back.
 */
export function stockEffect(from: OrderStatus, to: OrderStatus, heldBefore = false): StockEffect | null {
  if (to === 'confirmed') return heldBefore ? null : 'reserve';
  if ((to === 'cancelled' || to === 'refunded') && (holdsReservation(from) || (from === 'draft' && heldBefore))) return 'release';
  if (to === 'shipped') return 'consume';
  return null;
}
