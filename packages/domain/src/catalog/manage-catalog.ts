import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids, type ProductId, type VariantId, type WorkspaceId } from '../shared/ids.js';
import { Money, type MoneyError } from '../shared/money.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { ProductRepository, StockRepository, VariantRepository } from './ports.js';
import { Product, Variant, type CatalogError } from './product.js';
import { StockLevel, type StockActor, type StockError, type StockMovement } from './stock.js';

export interface CreateProductCommand {
  readonly workspaceId: WorkspaceId;
  readonly sku: string;
  readonly name: string;
  readonly description?: string;
  readonly imageUrls?: readonly string[];
  readonly priceMinor: number;
  readonly currency: string;
  readonly initialStock?: number;
  readonly lowStockThreshold?: number;
  readonly variants?: ReadonlyArray<{ sku: string; title: string; priceMinor?: number; initialStock?: number; lowStockThreshold?: number }>;
  readonly actor: StockActor;
}

export type ManageCatalogError = CatalogError | MoneyError | StockError | NotFound;

/** Catalog writes: a product with its variants and their stock levels, and stock adjustments. */
export class ManageCatalog {
  constructor(private readonly deps: { products: ProductRepository; variants: VariantRepository; stock: StockRepository; uow: UnitOfWork; clock: Clock; ids: IdGenerator }) {}

  createProduct(cmd: CreateProductCommand): Promise<Result<{ product: Product; variants: Variant[] }, ManageCatalogError>> {
    const { products, variants, stock, uow, clock, ids } = this.deps;
    return uow.run(async () => {
      const now = clock.now();
      const product = Product.create({ id: Ids.product(ids.next()), workspaceId: cmd.workspaceId, sku: cmd.sku, name: cmd.name, description: cmd.description, imageUrls: cmd.imageUrls, now });
      if (!product.ok) return product;
      const specs = cmd.variants && cmd.variants.length > 0
        ? cmd.variants
        : [{ sku: product.value.sku, title: 'Default', priceMinor: cmd.priceMinor, initialStock: cmd.initialStock, lowStockThreshold: cmd.lowStockThreshold }];
      if (await products.findBySku(cmd.workspaceId, product.value.sku)) return err({ kind: 'DuplicateSku', sku: product.value.sku } as const);
      const seen = new Set<string>();
      const created: Variant[] = [];
      const movements: StockMovement[] = [];
      for (const spec of specs) {
        const price = Money.of(spec.priceMinor ?? cmd.priceMinor, cmd.currency);
        if (!price.ok) return price;
        const variant = Variant.create({ id: Ids.variant(ids.next()), workspaceId: cmd.workspaceId, productId: product.value.id, sku: spec.sku, title: spec.title, price: price.value, lowStockThreshold: spec.lowStockThreshold, now });
        if (!variant.ok) return variant;
        if (seen.has(variant.value.sku) || (await variants.findBySku(cmd.workspaceId, variant.value.sku))) return err({ kind: 'DuplicateSku', sku: variant.value.sku } as const);
        seen.add(variant.value.sku);
        const level = StockLevel.empty(variant.value.id, cmd.workspaceId, now);
        if (spec.initialStock !== undefined && spec.initialStock !== 0) {
          const moved = level.setOnHand(spec.initialStock, 'initial stock', cmd.actor, now);
          if (!moved.ok) return moved;
          movements.push({ ...moved.value, id: Ids.stockMovement(ids.next()), workspaceId: cmd.workspaceId, variantId: variant.value.id });
        }
        created.push(variant.value);
        await variants.save(variant.value);
        await stock.save(level);
      }
      await products.save(product.value);
      await stock.appendMovements(movements);
      return ok({ product: product.value, variants: created });
    });
  }

  /** A relative change (+5 received, −2 damaged) or an absolute stock take, recorded in the ledger. */
  adjustStock(cmd: { workspaceId: WorkspaceId; variantId: VariantId; delta?: number; setOnHand?: number; reason: string | null; actor: StockActor }): Promise<Result<StockLevel, ManageCatalogError>> {
    const { stock, uow, clock, ids } = this.deps;
    return uow.run(async () => {
      const [level] = await stock.lock(cmd.workspaceId, [cmd.variantId]);
      if (!level) return err(notFound('variant', cmd.variantId));
      const now = clock.now();
      const moved = cmd.setOnHand !== undefined
        ? level.setOnHand(cmd.setOnHand, cmd.reason, cmd.actor, now)
        : level.adjust({ delta: cmd.delta ?? 0, reason: cmd.reason, actor: cmd.actor, at: now });
      if (!moved.ok) return moved;
      await stock.save(level);
      await stock.appendMovements([{ ...moved.value, id: Ids.stockMovement(ids.next()), workspaceId: cmd.workspaceId, variantId: cmd.variantId }]);
      return ok(level);
    });
  }

  async getProduct(workspaceId: WorkspaceId, id: ProductId): Promise<Result<{ product: Product; variants: Variant[] }, NotFound>> {
    const product = await this.deps.products.get(workspaceId, id);
    if (!product) return err(notFound('product', id));
    return ok({ product, variants: await this.deps.variants.listByProduct(workspaceId, id) });
  }
}
