import type { Money } from '../shared/money.js';
import type { ProductId, VariantId, WorkspaceId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';

export type CatalogError =
  | { readonly kind: 'InvalidSku'; readonly sku: string }
  | { readonly kind: 'DuplicateSku'; readonly sku: string }
  | { readonly kind: 'InvalidProductName' }
  | { readonly kind: 'NegativePrice' }
  | { readonly kind: 'PriceCurrencyMismatch'; readonly expected: string; readonly actual: string }
  | { readonly kind: 'InvalidThreshold' };

const SKU = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$/;

export function validateSku(sku: string): Result<string, CatalogError> {
  const trimmed = sku.trim();
  return SKU.test(trimmed) ? ok(trimmed) : err({ kind: 'InvalidSku', sku });
}

export type ProductStatus = 'active' | 'archived';

/**
 * What a merchant sells. Every product has at least one variant (its default variant shares the
 * product's SKU), so prices, stock and order lines always refer to a variant.
 */
export class Product {
  private constructor(
    readonly id: ProductId,
    readonly workspaceId: WorkspaceId,
    private _sku: string,
    private _name: string,
    private _description: string,
    private _status: ProductStatus,
    private _imageUrls: readonly string[],
    readonly createdAt: Date,
    private _updatedAt: Date,
    readonly version: number = 1,
  ) {}

  static create(input: { id: ProductId; workspaceId: WorkspaceId; sku: string; name: string; description?: string; imageUrls?: readonly string[]; now: Date }): Result<Product, CatalogError> {
    const sku = validateSku(input.sku);
    if (!sku.ok) return sku;
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) return err({ kind: 'InvalidProductName' });
    return ok(new Product(input.id, input.workspaceId, sku.value, name, input.description ?? '', 'active', [...(input.imageUrls ?? [])], input.now, input.now));
  }

  get sku(): string { return this._sku; }
  get name(): string { return this._name; }
  get description(): string { return this._description; }
  get status(): ProductStatus { return this._status; }
  get imageUrls(): readonly string[] { return this._imageUrls; }
  get updatedAt(): Date { return this._updatedAt; }
  get isActive(): boolean { return this._status === 'active'; }

  update(fields: { name?: string; description?: string; imageUrls?: readonly string[] }, now: Date): Result<void, CatalogError> {
    if (fields.name !== undefined) {
      const name = fields.name.trim();
      if (name.length === 0 || name.length > 200) return err({ kind: 'InvalidProductName' });
      this._name = name;
    }
    if (fields.description !== undefined) this._description = fields.description;
    if (fields.imageUrls !== undefined) this._imageUrls = [...fields.imageUrls];
    this._updatedAt = now;
    return ok(undefined);
  }

  archive(now: Date): void { this._status = 'archived'; this._updatedAt = now; }
  activate(now: Date): void { this._status = 'active'; this._updatedAt = now; }
}

/** A sellable unit: its own SKU, price and stock. */
export class Variant {
  private constructor(
    readonly id: VariantId,
    readonly workspaceId: WorkspaceId,
    readonly productId: ProductId,
    private _sku: string,
    private _title: string,
    private _price: Money,
    private _active: boolean,
    private _lowStockThreshold: number,
    readonly createdAt: Date,
    private _updatedAt: Date,
    readonly version: number = 1,
  ) {}

  static create(input: { id: VariantId; workspaceId: WorkspaceId; productId: ProductId; sku: string; title?: string; price: Money; lowStockThreshold?: number; now: Date }): Result<Variant, CatalogError> {
    const sku = validateSku(input.sku);
    if (!sku.ok) return sku;
    if (input.price.isNegative()) return err({ kind: 'NegativePrice' });
    const threshold = input.lowStockThreshold ?? 0;
    if (!Number.isSafeInteger(threshold) || threshold < 0) return err({ kind: 'InvalidThreshold' });
    return ok(new Variant(input.id, input.workspaceId, input.productId, sku.value, input.title?.trim() || 'Default', input.price, true, threshold, input.now, input.now));
  }

  get sku(): string { return this._sku; }
  get title(): string { return this._title; }
  get price(): Money { return this._price; }
  get active(): boolean { return this._active; }
  get lowStockThreshold(): number { return this._lowStockThreshold; }
  get updatedAt(): Date { return this._updatedAt; }

  reprice(price: Money, now: Date): Result<void, CatalogError> {
    if (price.isNegative()) return err({ kind: 'NegativePrice' });
    if (price.currency !== this._price.currency) return err({ kind: 'PriceCurrencyMismatch', expected: this._price.currency, actual: price.currency });
    this._price = price;
    this._updatedAt = now;
    return ok(undefined);
  }

  retitle(title: string, now: Date): void { this._title = title.trim() || this._title; this._updatedAt = now; }
  deactivate(now: Date): void { this._active = false; this._updatedAt = now; }
  activate(now: Date): void { this._active = true; this._updatedAt = now; }

  setLowStockThreshold(threshold: number, now: Date): Result<void, CatalogError> {
    if (!Number.isSafeInteger(threshold) || threshold < 0) return err({ kind: 'InvalidThreshold' });
    this._lowStockThreshold = threshold;
    this._updatedAt = now;
    return ok(undefined);
  }
}
