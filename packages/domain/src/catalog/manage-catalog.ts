import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids, type ProductId, type VariantId, type WorkspaceId } from '../shared/ids.js';
import { Money, type MoneyError } from '../shared/money.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { ListCursor, ProductRepository, StockRepository, VariantRepository } from './ports.js';
import { Product, Variant, type CatalogError, type ProductStatus } from './product.js';
import { StockLevel, type StockActor, type StockError, type StockMovement } from './stock.js';
import { lowStockCrossings, snapshotAvailable, type LowStockEvent } from './low-stock.js';

export interface VariantSpec {
  readonly sku: string;
  readonly title: string;
  readonly priceMinor?: number;
  readonly initialStock?: number;
  readonly lowStockThreshold?: number;
}

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
  readonly variants?: readonly VariantSpec[];
  readonly actor: StockActor;
  /** Runs inside the unit of work after the product is saved (audit, idempotency record): all commit together. */
  readonly inTransaction?: (created: { product: Product; variants: Variant[] }) => Promise<void>;
}

export interface AddVariantCommand extends VariantSpec {
  readonly workspaceId: WorkspaceId;
  readonly productId: ProductId;
  /** Defaults to the currency of the product's other variants; another one is refused. */
  readonly currency?: string;
  readonly priceMinor: number;
  readonly actor: StockActor;
}

export interface UpdateVariantCommand {
  readonly workspaceId: WorkspaceId;
  readonly variantId: VariantId;
  readonly title?: string;
  readonly priceMinor?: number;
  readonly currency?: string;
  readonly lowStockThreshold?: number;
  readonly active?: boolean;
}

export type ManageCatalogError = CatalogError | MoneyError | StockError | NotFound;

/** A variant with its stock: what a merchant sees in the list and what the assistant may promise. */
export interface VariantAvailability {
  readonly variant: Variant;
  readonly onHand: number;
  readonly reserved: number;
  /** On hand minus reserved (confirmed orders and live chat holds). */
  readonly available: number;
  readonly lowStock: boolean;
}

export interface ProductWithAvailability {
  readonly product: Product;
  readonly variants: readonly VariantAvailability[];
}

type CatalogDeps = { products: ProductRepository; variants: VariantRepository; stock: StockRepository; uow: UnitOfWork; clock: Clock; ids: IdGenerator };

/** Catalog writes: products, their variants and stock levels, and stock adjustments. */
export class ManageCatalog {
  constructor(private readonly deps: CatalogDeps) {}

  /** A product and its variants (or one default variant sharing the product's SKU), each with a stock level. */
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
        const made = await this.newVariant(product.value, { ...spec, priceMinor: spec.priceMinor ?? cmd.priceMinor }, cmd.currency, cmd.actor, now, seen);
        if (!made.ok) return made;
        created.push(made.value.variant);
        movements.push(...made.value.movements);
        await variants.save(made.value.variant);
        await stock.save(made.value.level);
      }
      await products.save(product.value);
      await stock.appendMovements(movements);
      await cmd.inTransaction?.({ product: product.value, variants: created });
      return ok({ product: product.value, variants: created });
    });
  }

  updateProduct(cmd: { workspaceId: WorkspaceId; productId: ProductId; name?: string; description?: string; imageUrls?: readonly string[] }): Promise<Result<Product, ManageCatalogError>> {
    const { products, uow, clock } = this.deps;
    return uow.run(async () => {
      const product = await products.get(cmd.workspaceId, cmd.productId);
      if (!product) return err(notFound('product', cmd.productId));
      const updated = product.update({ name: cmd.name, description: cmd.description, imageUrls: cmd.imageUrls }, clock.now());
      if (!updated.ok) return updated;
      await products.save(product);
      return ok(product);
    });
  }

  /** Archived products stay on past orders but can no longer be ordered, searched by the assistant or held. */
  setProductStatus(cmd: { workspaceId: WorkspaceId; productId: ProductId; status: ProductStatus }): Promise<Result<Product, NotFound>> {
    const { products, uow, clock } = this.deps;
    return uow.run(async () => {
      const product = await products.get(cmd.workspaceId, cmd.productId);
      if (!product) return err(notFound('product', cmd.productId));
      if (cmd.status === 'archived') product.archive(clock.now());
      else product.activate(clock.now());
      await products.save(product);
      return ok(product);
    });
  }

  addVariant(cmd: AddVariantCommand): Promise<Result<Variant, ManageCatalogError>> {
    const { products, variants, stock, uow, clock } = this.deps;
    return uow.run(async () => {
      const product = await products.get(cmd.workspaceId, cmd.productId);
      if (!product) return err(notFound('product', cmd.productId));
      const siblings = await variants.listByProduct(cmd.workspaceId, product.id);
      const currency = siblings[0]?.price.currency ?? cmd.currency;
      if (currency === undefined) return err({ kind: 'InvalidCurrency', currency: '' } as const);
      if (cmd.currency !== undefined && cmd.currency !== currency) return err({ kind: 'PriceCurrencyMismatch', expected: currency, actual: cmd.currency } as const);
      const made = await this.newVariant(product, cmd, currency, cmd.actor, clock.now(), new Set());
      if (!made.ok) return made;
      await variants.save(made.value.variant);
      await stock.save(made.value.level);
      await stock.appendMovements(made.value.movements);
      return ok(made.value.variant);
    });
  }

  updateVariant(cmd: UpdateVariantCommand): Promise<Result<Variant, ManageCatalogError>> {
    const { variants, uow, clock } = this.deps;
    return uow.run(async () => {
      const variant = await variants.get(cmd.workspaceId, cmd.variantId);
      if (!variant) return err(notFound('variant', cmd.variantId));
      const now = clock.now();
      if (cmd.priceMinor !== undefined || cmd.currency !== undefined) {
        const price = Money.of(cmd.priceMinor ?? variant.price.amountMinor, cmd.currency ?? variant.price.currency);
        if (!price.ok) return price;
        const repriced = variant.reprice(price.value, now);
        if (!repriced.ok) return repriced;
      }
      if (cmd.lowStockThreshold !== undefined) {
        const set = variant.setLowStockThreshold(cmd.lowStockThreshold, now);
        if (!set.ok) return set;
      }
      if (cmd.title !== undefined) variant.retitle(cmd.title, now);
      if (cmd.active === true) variant.activate(now);
      if (cmd.active === false) variant.deactivate(now);
      await variants.save(variant);
      return ok(variant);
    });
  }

  /** A relative change (+5 received, −2 damaged) or an absolute stock take, recorded in the ledger. */
  adjustStock(cmd: { workspaceId: WorkspaceId; variantId: VariantId; delta?: number; setOnHand?: number; reason: string | null; actor: StockActor; kind?: 'adjustment' | 'import' | 'return' }): Promise<Result<StockLevel, ManageCatalogError>> {
    const { stock, variants, uow, clock, ids } = this.deps;
    return uow.run(async () => {
      const [level] = await stock.lock(cmd.workspaceId, [cmd.variantId]);
      if (!level) return err(notFound('variant', cmd.variantId));
      const before = snapshotAvailable([level]);
      const now = clock.now();
      const moved = cmd.setOnHand !== undefined
        ? level.setOnHand(cmd.setOnHand, cmd.reason, cmd.actor, now, cmd.kind === 'import' ? 'import' : 'adjustment')
        : level.adjust({ delta: cmd.delta ?? 0, kind: cmd.kind, reason: cmd.reason, actor: cmd.actor, at: now });
      if (!moved.ok) return moved;
      await stock.save(level);
      await stock.appendMovements([{ ...moved.value, id: Ids.stockMovement(ids.next()), workspaceId: cmd.workspaceId, variantId: cmd.variantId }]);
      await recordLowStock(stock, variants, cmd.workspaceId, before, [level], now, () => ids.next());
      return ok(level);
    });
  }

  /** Kept for callers of the first API; CatalogQueries.getProduct adds availability. */
  async getProduct(workspaceId: WorkspaceId, id: ProductId): Promise<Result<{ product: Product; variants: Variant[] }, NotFound>> {
    const product = await this.deps.products.get(workspaceId, id);
    if (!product) return err(notFound('product', id));
    return ok({ product, variants: await this.deps.variants.listByProduct(workspaceId, id) });
  }

  private async newVariant(product: Product, spec: VariantSpec & { priceMinor: number }, currency: string, actor: StockActor, now: Date, seen: Set<string>):
    Promise<Result<{ variant: Variant; level: StockLevel; movements: StockMovement[] }, ManageCatalogError>> {
    const { variants, ids } = this.deps;
    const price = Money.of(spec.priceMinor, currency);
    if (!price.ok) return price;
    const variant = Variant.create({ id: Ids.variant(ids.next()), workspaceId: product.workspaceId, productId: product.id, sku: spec.sku, title: spec.title, price: price.value, lowStockThreshold: spec.lowStockThreshold, now });
    if (!variant.ok) return variant;
    if (seen.has(variant.value.sku) || (await variants.findBySku(product.workspaceId, variant.value.sku))) return err({ kind: 'DuplicateSku', sku: variant.value.sku } as const);
    seen.add(variant.value.sku);
    const level = StockLevel.empty(variant.value.id, product.workspaceId, now);
    const movements: StockMovement[] = [];
    if (spec.initialStock !== undefined && spec.initialStock !== 0) {
      const moved = level.setOnHand(spec.initialStock, 'initial stock', actor, now);
      if (!moved.ok) return moved;
      movements.push({ ...moved.value, id: Ids.stockMovement(ids.next()), workspaceId: product.workspaceId, variantId: variant.value.id });
    }
    return ok({ variant: variant.value, level, movements });
  }
}

/** Appends the low-stock events a change caused; used by every use case that moves stock. */
export async function recordLowStock(stock: StockRepository, variants: VariantRepository, workspaceId: WorkspaceId, before: ReadonlyMap<VariantId, number>,
  levels: readonly StockLevel[], at: Date, nextId: () => string): Promise<LowStockEvent[]> {
  const dropped = levels.filter((l) => (before.get(l.variantId) ?? -Infinity) > l.available);
  if (dropped.length === 0) return [];
  const found = await variants.getMany(workspaceId, dropped.map((l) => l.variantId));
  const events = lowStockCrossings({ before, levels: dropped, variants: found, at, nextId });
  if (events.length > 0) await stock.appendLowStockEvents(events);
  return events;
}

/**
 * The read side of the catalog, for the dashboard and the assistant's tools: no unit of work,
 * nothing written.
 */
export class CatalogQueries {
  constructor(private readonly deps: { products: ProductRepository; variants: VariantRepository; stock: StockRepository }) {}

  /**
   * Tool "get product": the product, every variant with its price and what can be sold now.
   * Archived products are returned (an order may name one) with status `archived`.
   */
  async getProduct(workspaceId: WorkspaceId, id: ProductId): Promise<Result<ProductWithAvailability, NotFound>> {
    const product = await this.deps.products.get(workspaceId, id);
    if (!product) return err(notFound('product', id));
    const [withStock] = await this.withAvailability(workspaceId, [product]);
    return ok(withStock!);
  }

  /** Oldest first; `after` continues a previous page. */
  async listProducts(workspaceId: WorkspaceId, filter: { status?: ProductStatus; limit: number; after?: ListCursor }): Promise<ProductWithAvailability[]> {
    const products = await this.deps.products.list(workspaceId, filter);
    return this.withAvailability(workspaceId, products);
  }

  /**
   * Tool "search products": best matches first over name, description and SKUs, active products
   * only unless asked, each with its variants' availability.
   */
  async searchProducts(workspaceId: WorkspaceId, query: string, options: { limit?: number; includeArchived?: boolean } = {}): Promise<Array<ProductWithAvailability & { score: number }>> {
    const trimmed = query.trim();
    if (trimmed.length === 0) return [];
    const hits = await this.deps.products.search(workspaceId, trimmed.slice(0, 200), { limit: Math.min(Math.max(options.limit ?? 10, 1), 100), includeArchived: options.includeArchived });
    const withStock = await this.withAvailability(workspaceId, hits.map((h) => h.product));
    return withStock.map((p, i) => ({ ...p, score: hits[i]!.score }));
  }

  async listLowStockEvents(workspaceId: WorkspaceId, limit = 100): Promise<LowStockEvent[]> {
    return this.deps.stock.listLowStockEvents(workspaceId, limit);
  }

  async levels(workspaceId: WorkspaceId, variantIds: readonly VariantId[]): Promise<StockLevel[]> {
    return this.deps.stock.getMany(workspaceId, variantIds);
  }

  async movements(workspaceId: WorkspaceId, variantId: VariantId): Promise<Result<StockMovement[], NotFound>> {
    if (!(await this.deps.stock.get(workspaceId, variantId))) return err(notFound('variant', variantId));
    return ok(await this.deps.stock.listMovements(workspaceId, variantId));
  }

  private async withAvailability(workspaceId: WorkspaceId, products: readonly Product[]): Promise<ProductWithAvailability[]> {
    if (products.length === 0) return [];
    const variants = await this.deps.variants.listByProducts(workspaceId, products.map((p) => p.id));
    const levels = new Map((await this.deps.stock.getMany(workspaceId, variants.map((v) => v.id))).map((l) => [l.variantId, l]));
    return products.map((product) => ({
      product,
      variants: variants.filter((v) => v.productId === product.id).map((variant) => {
        const level = levels.get(variant.id);
        const onHand = level?.onHand ?? 0;
        const reserved = level?.reserved ?? 0;
        return { variant, onHand, reserved, available: onHand - reserved, lowStock: onHand - reserved <= variant.lowStockThreshold };
      }),
    }));
  }
}
