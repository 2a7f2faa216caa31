import type { ProductId, VariantId, WorkspaceId } from '../shared/ids.js';
import type { Product, Variant } from './product.js';
import type { StockLevel, StockMovement } from './stock.js';

export interface ProductRepository {
  get(workspaceId: WorkspaceId, id: ProductId): Promise<Product | null>;
  findBySku(workspaceId: WorkspaceId, sku: string): Promise<Product | null>;
  save(product: Product): Promise<void>;
}

export interface VariantRepository {
  get(workspaceId: WorkspaceId, id: VariantId): Promise<Variant | null>;
  getMany(workspaceId: WorkspaceId, ids: readonly VariantId[]): Promise<Variant[]>;
  findBySku(workspaceId: WorkspaceId, sku: string): Promise<Variant | null>;
  listByProduct(workspaceId: WorkspaceId, productId: ProductId): Promise<Variant[]>;
  save(variant: Variant): Promise<void>;
}

export interface StockRepository {
  get(workspaceId: WorkspaceId, variantId: VariantId): Promise<StockLevel | null>;
  /**
   * Loads the levels and locks them for the rest of the unit of work (SELECT … FOR UPDATE, in a
   * stable order to avoid deadlocks): two confirmations for the last unit cannot both see it.
   */
  lock(workspaceId: WorkspaceId, variantIds: readonly VariantId[]): Promise<StockLevel[]>;
  save(level: StockLevel): Promise<void>;
  appendMovements(movements: readonly StockMovement[]): Promise<void>;
  listMovements(workspaceId: WorkspaceId, variantId: VariantId): Promise<StockMovement[]>;
}
