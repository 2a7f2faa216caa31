import { Ids, type VariantId, type WorkspaceId } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { StockRepository, VariantRepository } from '../catalog/ports.js';
import type { StockActor, StockError, StockMovement } from '../catalog/stock.js';
import { lowStockCrossings } from '../catalog/low-stock.js';
import type { Variant } from '../catalog/product.js';
import type { Order, OrderActor } from './order.js';

export type StockEffect = 'reserve' | 'release' | 'consume';

export const stockActorOf = (actor: OrderActor): StockActor =>
  actor.kind === 'user' ? { kind: 'user', id: actor.id } : actor.kind === 'assistant' ? { kind: 'assistant' } : { kind: 'system' };

/**
 * Applies one effect to every line of an order, all or nothing, as the unit of work's last write:
 * the guarded write (`StockRepository.applyMovements`) checks 0 ≤ reserved ≤ on hand against the
 * current row under its lock, so two reservations for the last unit cannot both get it, and the
 * hot variant's lock is held only from that write to the commit. Callers save everything else
 * first and run nothing slow after it. On an error nothing may be kept; the caller returns it and
 * its unit of work rolls back.
 */
export async function applyStockEffect(
  deps: { stock: StockRepository; variants: VariantRepository; nextId: () => string },
  input: { workspaceId: WorkspaceId; order: Order; effect: StockEffect; actor: StockActor; now: Date; knownVariants?: readonly Variant[] },
): Promise<Result<StockMovement[], StockError | NotFound>> {
  const { stock, variants, nextId } = deps;
  const { workspaceId, order, effect, actor, now } = input;
  // Lines of the same variant are summed, so one check covers the whole order.
  const need = new Map<VariantId, number>();
  for (const line of order.lines) need.set(line.variantId, (need.get(line.variantId) ?? 0) + line.quantity);
  const movements: StockMovement[] = [];
  for (const [variantId, quantity] of need) {
    if (!Number.isSafeInteger(quantity) || quantity <= 0) return err({ kind: 'InvalidQuantity', quantity });
    const [kind, onHandDelta, reservedDelta] = effect === 'reserve' ? ['reservation', 0, quantity] as const
      : effect === 'release' ? ['release', 0, -quantity] as const
      : ['shipment', -quantity, -quantity] as const;
    movements.push({ id: Ids.stockMovement(nextId()), workspaceId, variantId, kind, onHandDelta, reservedDelta, orderId: order.id, reason: null, actor, at: now });
  }
  // Only a reservation lowers what is available (a shipment takes from both sides); the
  // thresholds are read before the write so no round trip of theirs happens under the lock.
  const thresholds = effect !== 'reserve' ? [] : input.knownVariants ?? await variants.getMany(workspaceId, [...need.keys()]);
  const applied = await stock.applyMovements(workspaceId, movements);
  if (!applied.ok) {
    if (!applied.level) return err(notFound('variant', applied.variantId));
    // The domain's own rule names the refusal (InsufficientStock, ReleaseExceedsReserved).
    const quantity = need.get(applied.variantId) ?? 0;
    const refused = effect === 'reserve' ? applied.level.reserve(quantity, order.id, actor, now)
      : effect === 'release' ? applied.level.release(quantity, order.id, actor, now)
      : applied.level.ship(quantity, order.id, actor, now);
    return refused.ok ? err({ kind: 'InsufficientStock', variantId: applied.variantId, requested: quantity, available: applied.level.available }) : refused;
  }
  if (thresholds.length > 0) {
    const before = new Map(applied.levels.map((l) => {
      const m = movements.find((x) => x.variantId === l.variantId);
      return [l.variantId, l.available - (m ? m.onHandDelta - m.reservedDelta : 0)] as const;
    }));
    const events = lowStockCrossings({ before, levels: applied.levels, variants: thresholds, at: now, nextId });
    if (events.length > 0) await stock.appendLowStockEvents(events);
  }
  return ok(movements);
}
