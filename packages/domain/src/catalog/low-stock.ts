import type { VariantId, WorkspaceId } from '../shared/ids.js';
import type { StockLevel } from './stock.js';
import type { Variant } from './product.js';

/**
 * Recorded when a variant's available stock falls to or below its threshold from above it: one
 * event per crossing, not one per sale while it stays low, so the dashboard list stays readable.
 */
export interface LowStockEvent {
  readonly id: string;
  readonly workspaceId: WorkspaceId;
  readonly variantId: VariantId;
  readonly sku: string;
  readonly available: number;
  readonly threshold: number;
  readonly at: Date;
}

/** Available stock of each level before a change, to compare with after it. */
export function snapshotAvailable(levels: readonly StockLevel[]): Map<VariantId, number> {
  return new Map(levels.map((l) => [l.variantId, l.available]));
}

/**
 * The crossings between `before` and the levels' current state. A threshold of 0 means "warn at
 * sold out". Variants missing from `variants` (deleted meanwhile) are skipped.
 */
export function lowStockCrossings(input: {
  before: ReadonlyMap<VariantId, number>; levels: readonly StockLevel[]; variants: readonly Variant[]; at: Date; nextId: () => string;
}): LowStockEvent[] {
  const byId = new Map(input.variants.map((v) => [v.id, v]));
  const events: LowStockEvent[] = [];
  for (const level of input.levels) {
    const variant = byId.get(level.variantId);
    const was = input.before.get(level.variantId);
    if (!variant || was === undefined) continue;
    const threshold = variant.lowStockThreshold;
    if (was > threshold && level.available <= threshold) {
      events.push({ id: input.nextId(), workspaceId: level.workspaceId, variantId: level.variantId, sku: variant.sku, available: level.available, threshold, at: input.at });
    }
  }
  return events;
}
