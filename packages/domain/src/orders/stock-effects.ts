import { Ids, type WorkspaceId } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { StockRepository, VariantRepository } from '../catalog/ports.js';
import type { StockActor, StockError, StockMovement } from '../catalog/stock.js';
import { recordLowStock } from '../catalog/manage-catalog.js';
import { snapshotAvailable } from '../catalog/low-stock.js';
import type { Order, OrderActor } from './order.js';

export type StockEffect = 'reserve' | 'release' | 'consume';

export const stockActorOf = (actor: OrderActor): StockActor =>
  actor.kind === 'user' ? { kind: 'user', id: actor.id } : actor.kind === 'assistant' ? { kind: 'assistant' } : { kind: 'system' };

/**
 * Applies one effect to every line of an order, all or nothing: the levels are locked (row locks
 * in id order on PostgreSQL) before any is read, so two reservations for the last unit cannot both
 * see it. On an error nothing has been saved; the caller returns it and its unit of work rolls back.
 */
export async function applyStockEffect(
  deps: { stock: StockRepository; variants: VariantRepository; nextId: () => string },
  input: { workspaceId: WorkspaceId; order: Order; effect: StockEffect; actor: StockActor; now: Date },
): Promise<Result<StockMovement[], StockError | NotFound>> {
  const { stock, variants, nextId } = deps;
  const { workspaceId, order, effect, actor, now } = input;
  // Lines of the same variant are summed, so one check covers the whole order.
  const need = new Map<string, number>();
  for (const line of order.lines) need.set(line.variantId, (need.get(line.variantId) ?? 0) + line.quantity);
  const levels = await stock.lock(workspaceId, order.lines.map((l) => l.variantId));
  const byVariant = new Map(levels.map((l) => [l.variantId as string, l]));
  const before = snapshotAvailable(levels);
  const movements: StockMovement[] = [];
  for (const [variantId, quantity] of need) {
    const level = byVariant.get(variantId);
    if (!level) return err(notFound('variant', variantId));
    const moved = effect === 'reserve' ? level.reserve(quantity, order.id, actor, now)
      : effect === 'release' ? level.release(quantity, order.id, actor, now)
      : level.ship(quantity, order.id, actor, now);
    if (!moved.ok) return moved;
    movements.push({ ...moved.value, id: Ids.stockMovement(nextId()), workspaceId, variantId: level.variantId });
  }
  for (const level of levels) await stock.save(level);
  await stock.appendMovements(movements);
  await recordLowStock(stock, variants, workspaceId, before, levels, now, nextId);
  return ok(movements);
}
