import type { OrderId, ProductId, VariantId, WorkspaceId } from '../shared/ids.js';
import type { Product, ProductStatus, Variant } from './product.js';
import type { LowStockEvent } from './low-stock.js';
import type { StockLevel, StockMovement } from './stock.js';

/** Keyset position in a list ordered by (sort key, id); the id breaks ties. */
export interface ListCursor {
  readonly sortKey: string | number;
  readonly id: string;
}

export interface ProductListFilter {
  readonly status?: ProductStatus;
  /** Rows with fetched with `limit` (callers ask for one more to know whether a page follows). */
  readonly limit: number;
  /** Oldest first by creation; continue strictly after this product. */
  readonly after?: ListCursor;
}

/** One search hit: a higher score is a better match; scores are comparable within one search only. */
export interface ProductSearchHit {
  readonly product: Product;
  readonly score: number;
}

export interface ProductRepository {
  get(workspaceId: WorkspaceId, id: ProductId): Promise<Product | null>;
  findBySku(workspaceId: WorkspaceId, sku: string): Promise<Product | null>;
  /** One query for a batch (imports): the products among `skus`, in no particular order. */
  findManyBySku(workspaceId: WorkspaceId, skus: readonly string[]): Promise<Product[]>;
  save(product: Product): Promise<void>;
  list(workspaceId: WorkspaceId, filter: ProductListFilter): Promise<Product[]>;
  /**
   * Ranked match of every term against name, description, product SKU and variant SKUs (prefixes
   * count). Archived products only when asked. PostgreSQL: tsvector + SKU prefix; in memory: a scorer.
   */
  search(workspaceId: WorkspaceId, query: string, options: { limit: number; includeArchived?: boolean }): Promise<ProductSearchHit[]>;
}

export interface VariantRepository {
  get(workspaceId: WorkspaceId, id: VariantId): Promise<Variant | null>;
  getMany(workspaceId: WorkspaceId, ids: readonly VariantId[]): Promise<Variant[]>;
  findBySku(workspaceId: WorkspaceId, sku: string): Promise<Variant | null>;
  findManyBySku(workspaceId: WorkspaceId, skus: readonly string[]): Promise<Variant[]>;
  listByProduct(workspaceId: WorkspaceId, productId: ProductId): Promise<Variant[]>;
  /** Every variant of these products, in creation order. */
  listByProducts(workspaceId: WorkspaceId, productIds: readonly ProductId[]): Promise<Variant[]>;
  save(variant: Variant): Promise<void>;
}

export interface StockRepository {
  get(workspaceId: WorkspaceId, variantId: VariantId): Promise<StockLevel | null>;
  getMany(workspaceId: WorkspaceId, variantIds: readonly VariantId[]): Promise<StockLevel[]>;
  /**
   * Loads the levels and locks them for the rest of the unit of work (SELECT … FOR UPDATE, in a
   * stable order to avoid deadlocks): two confirmations for the last unit cannot both see it.
   */
  lock(workspaceId: WorkspaceId, variantIds: readonly VariantId[]): Promise<StockLevel[]>;
  save(level: StockLevel): Promise<void>;
  /**
   * An order's stock effect as one guarded write, taken last in its unit of work: adds the
   * movements' deltas to their levels only where 0 ≤ reserved ≤ on hand still holds afterwards,
   * appends the movements, and returns the levels after the change. When a level is missing or its
   * guard refuses, returns that variant with its current level (null when missing) and nothing the
   * caller may keep: it returns an error and its unit of work rolls back. Why a port of its own: a
   * hot variant's row lock is the ceiling of its sales rate, so the database adapter first writes
   * what the unit of work has saved so far and then holds the lock only from this write to the
   * commit that follows; levels loaded earlier in the same unit of work are stale after it.
   */
  applyMovements(workspaceId: WorkspaceId, movements: readonly StockMovement[]): Promise<
    { readonly ok: true; readonly levels: StockLevel[] } | { readonly ok: false; readonly variantId: VariantId; readonly level: StockLevel | null }
  >;
  appendMovements(movements: readonly StockMovement[]): Promise<void>;
  listMovements(workspaceId: WorkspaceId, variantId: VariantId): Promise<StockMovement[]>;
  /** The reservations and releases recorded for one order, oldest first (holds, confirmations). */
  listMovementsByOrder(workspaceId: WorkspaceId, orderId: OrderId): Promise<StockMovement[]>;
  appendLowStockEvents(events: readonly LowStockEvent[]): Promise<void>;
  /** Newest first. */
  listLowStockEvents(workspaceId: WorkspaceId, limit: number): Promise<LowStockEvent[]>;
}
