import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids, type OrderId, type WorkspaceId } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { StockRepository } from '../catalog/ports.js';
import type { StockError, StockMovement, StockActor } from '../catalog/stock.js';
import type { ConversationRepository } from '../conversations/ports.js';
import type { WorkspaceRepository } from '../accounts/ports.js';
import type { DailyMetricsRepository } from '../reports/ports.js';
import { orderTransitionMetrics } from '../reports/daily-metrics.js';
import type { OrderRepository } from './ports.js';
import { holdsReservation, type Order, type OrderActor, type OrderError, type OrderStatus } from './order.js';

export type TransitionOrderError = OrderError | StockError | NotFound;

/**
 * Moves an order along its state machine and applies the stock effect in the same unit of work:
 * confirming reserves every line (all or nothing, under row locks), cancelling releases, shipping
 * consumes, refunding after shipment does not restock (a return is a separate adjustment).
 */
export class TransitionOrder {
  constructor(
    private readonly deps: {
      orders: OrderRepository; stock: StockRepository; workspaces: WorkspaceRepository; conversations: ConversationRepository;
      metrics: DailyMetricsRepository; uow: UnitOfWork; clock: Clock; ids: IdGenerator;
    },
  ) {}

  execute(cmd: { workspaceId: WorkspaceId; orderId: OrderId; to: OrderStatus; actor: OrderActor; note?: string | null }): Promise<Result<Order, TransitionOrderError>> {
    const { orders, stock, workspaces, conversations, metrics, uow, clock, ids } = this.deps;
    return uow.run(async () => {
      const order = await orders.get(cmd.workspaceId, cmd.orderId);
      if (!order) return err(notFound('order', cmd.orderId));
      const from = order.status;
      const now = clock.now();
      const changed = order.transition(cmd.to, cmd.actor, now, cmd.note ?? null);
      if (!changed.ok) return changed;

      const effect = stockEffect(from, cmd.to);
      if (effect) {
        const stockActor: StockActor = cmd.actor.kind === 'user' ? { kind: 'user', id: cmd.actor.id } : { kind: 'system' };
        const levels = await stock.lock(cmd.workspaceId, order.lines.map((l) => l.variantId));
        const byVariant = new Map(levels.map((l) => [l.variantId, l]));
        const movements: StockMovement[] = [];
        for (const line of order.lines) {
          const level = byVariant.get(line.variantId);
          if (!level) return err(notFound('variant', line.variantId));
          const moved = effect === 'reserve' ? level.reserve(line.quantity, order.id, stockActor, now)
            : effect === 'release' ? level.release(line.quantity, order.id, stockActor, now)
            : level.ship(line.quantity, order.id, stockActor, now);
          if (!moved.ok) return moved;
          movements.push({ ...moved.value, id: Ids.stockMovement(ids.next()), workspaceId: cmd.workspaceId, variantId: line.variantId });
        }
        for (const level of levels) await stock.save(level);
        await stock.appendMovements(movements);
      }

      const workspace = await workspaces.get(cmd.workspaceId);
      const conversation = order.conversationId ? await conversations.get(cmd.workspaceId, order.conversationId) : null;
      await metrics.add(orderTransitionMetrics(order, cmd.to, now, workspace?.timezone ?? 'UTC', conversation?.entryPoint ?? null));
      await orders.save(order);
      return ok(order);
    });
  }
}

export function stockEffect(from: OrderStatus, to: OrderStatus): 'reserve' | 'release' | 'consume' | null {
  if (to === 'confirmed') return 'reserve';
  if ((to === 'cancelled' || to === 'refunded') && holdsReservation(from)) return 'release';
  if (to === 'shipped') return 'consume';
  return null;
}
