import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids, type WorkspaceId } from '../shared/ids.js';
import { minorUnitExponent, Money, parseCurrency } from '../shared/money.js';
import { err, ok, type Result } from '../shared/result.js';
import type { ProductRepository, StockRepository, VariantRepository } from './ports.js';
import { Product, Variant, validateSku, type ProductStatus } from './product.js';
import { StockLevel, type StockActor, type StockMovement } from './stock.js';
import { recordLowStock } from './manage-catalog.js';
import { snapshotAvailable } from './low-stock.js';

/** One complaint about one cell: what a dry run reports so the merchant can fix the file. */
export interface ImportIssue {
  /** 1-based line in the file, the header being line 1. */
  readonly line: number;
  readonly column: string;
  readonly reason: string;
}

/** The columns of the catalog CSV, in export order. `price` is in major units ("12.50"). */
export const CATALOG_COLUMNS = ['product_sku', 'product_name', 'description', 'image_urls', 'status', 'variant_sku', 'variant_title', 'price', 'currency', 'stock', 'low_stock_threshold'] as const;
export const REQUIRED_CATALOG_COLUMNS = ['product_sku', 'product_name', 'variant_sku', 'price', 'currency'] as const;
/** The stock CSV: an absolute count per variant SKU (a stock take), recorded as `import` movements. */
export const STOCK_COLUMNS = ['sku', 'on_hand'] as const;

export interface CatalogImportRow {
  readonly line: number;
  readonly productSku: string;
  readonly productName: string;
  readonly description: string;
  readonly imageUrls: readonly string[];
  readonly status: ProductStatus;
  readonly variantSku: string;
  readonly variantTitle: string;
  readonly priceMinor: number;
  readonly currency: string;
  readonly stock: number | null;
  readonly lowStockThreshold: number | null;
}

export interface StockImportRow {
  readonly line: number;
  readonly sku: string;
  readonly onHand: number;
}

const MAX_STOCK = 1_000_000_000;
const INTEGER = /^[0-9]{1,10}$/;

/**
 * "12.50" in EUR → 1250, "1500" in JPY → 1500: exact, from the digits (never a float). More decimals
 * than the currency has, a sign, or thousands separators are refused rather than guessed.
 */
export function parseMajorUnits(text: string, currency: string): Result<number, string> {
  const exp = minorUnitExponent(currency);
  const m = /^([0-9]{1,16})(?:\.([0-9]+))?$/.exec(text.trim());
  if (!m) return err('must be a non-negative amount like 12.50 (a dot for decimals, no thousands separator)');
  const fraction = m[2] ?? '';
  if (fraction.length > exp) return err(`has more than ${exp} decimal place(s) for ${currency}`);
  const minor = Number(m[1]! + fraction.padEnd(exp, '0'));
  return Number.isSafeInteger(minor) ? ok(minor) : err('is too large');
}

function count(raw: string, column: string, line: number, issues: ImportIssue[], max = MAX_STOCK): number | null {
  const t = raw.trim();
  if (t === '') return null;
  if (!INTEGER.test(t) || Number(t) > max) { issues.push({ line, column, reason: `must be a whole number from 0 to ${max}` }); return null; }
  return Number(t);
}

/** Checks one catalog record on its own (no database); every bad cell is reported, not just the first. */
export function parseCatalogRecord(record: Readonly<Record<string, string>>, line: number): Result<CatalogImportRow, ImportIssue[]> {
  const issues: ImportIssue[] = [];
  const get = (c: string) => (record[c] ?? '').trim();
  for (const c of REQUIRED_CATALOG_COLUMNS) if (get(c) === '') issues.push({ line, column: c, reason: 'is required' });
  const productSku = get('product_sku');
  const variantSku = get('variant_sku');
  if (productSku !== '' && !validateSku(productSku).ok) issues.push({ line, column: 'product_sku', reason: 'must be 1–64 letters, digits or . _ - / and start with a letter or digit' });
  if (variantSku !== '' && !validateSku(variantSku).ok) issues.push({ line, column: 'variant_sku', reason: 'must be 1–64 letters, digits or . _ - / and start with a letter or digit' });
  const name = get('product_name');
  if (name.length > 200) issues.push({ line, column: 'product_name', reason: 'is longer than 200 characters' });
  const description = get('description');
  if (description.length > 5000) issues.push({ line, column: 'description', reason: 'is longer than 5000 characters' });
  const imageUrls = get('image_urls') === '' ? [] : get('image_urls').split('|').map((u) => u.trim()).filter((u) => u !== '');
  for (const u of imageUrls) if (!/^https?:\/\/\S+$/.test(u) || u.length > 2048) { issues.push({ line, column: 'image_urls', reason: `"${u.slice(0, 60)}" is not an http(s) URL` }); break; }
  const statusText = get('status') || 'active';
  if (statusText !== 'active' && statusText !== 'archived') issues.push({ line, column: 'status', reason: 'must be active or archived' });
  const currency = get('currency').toUpperCase();
  let priceMinor = 0;
  if (currency !== '' && !parseCurrency(currency).ok) issues.push({ line, column: 'currency', reason: 'must be a three-letter ISO 4217 code' });
  else if (get('price') !== '') {
    const price = parseMajorUnits(get('price'), currency || 'EUR');
    if (!price.ok) issues.push({ line, column: 'price', reason: price.error });
    else priceMinor = price.value;
  }
  const stock = count(get('stock'), 'stock', line, issues);
  const lowStockThreshold = count(get('low_stock_threshold'), 'low_stock_threshold', line, issues);
  if (issues.length > 0) return err(issues);
  return ok({ line, productSku, productName: name, description, imageUrls, status: statusText as ProductStatus, variantSku, variantTitle: get('variant_title') || 'Default', priceMinor, currency, stock, lowStockThreshold });
}

export function parseStockRecord(record: Readonly<Record<string, string>>, line: number): Result<StockImportRow, ImportIssue[]> {
  const issues: ImportIssue[] = [];
  const sku = (record['sku'] ?? '').trim();
  if (sku === '') issues.push({ line, column: 'sku', reason: 'is required' });
  else if (!validateSku(sku).ok) issues.push({ line, column: 'sku', reason: 'is not a valid SKU' });
  const raw = (record['on_hand'] ?? '').trim();
  if (raw === '') issues.push({ line, column: 'on_hand', reason: 'is required' });
  const onHand = count(raw, 'on_hand', line, issues);
  if (issues.length > 0 || onHand === null) return err(issues);
  return ok({ line, sku, onHand });
}

type ImportDeps = { products: ProductRepository; variants: VariantRepository; stock: StockRepository; uow: UnitOfWork; clock: Clock; ids: IdGenerator };

/**
 * Checks and applies already-parsed import rows in batches. The CSV adapter runs `check*` over the
 * whole file first (the dry run) and calls `apply*` only when no row has an issue; each apply is
 * one unit of work, and applying the same file twice leaves the same catalog (upsert by SKU,
 * stock as an absolute count), so an interrupted import is finished by running it again.
 */
export class ImportCatalog {
  constructor(private readonly deps: ImportDeps) {}

  /** What the database says about rows that are fine on their own: SKU owned by another product, currency change, on-hand below reserved. */
  async checkCatalogBatch(workspaceId: WorkspaceId, rows: readonly CatalogImportRow[]): Promise<ImportIssue[]> {
    const issues: ImportIssue[] = [];
    const variants = new Map((await this.deps.variants.findManyBySku(workspaceId, rows.map((r) => r.variantSku))).map((v) => [v.sku, v]));
    if (variants.size === 0) return issues;
    const products = new Map((await this.deps.products.findManyBySku(workspaceId, rows.map((r) => r.productSku))).map((p) => [p.sku, p.id as string]));
    const levels = new Map((await this.deps.stock.getMany(workspaceId, [...variants.values()].map((v) => v.id))).map((l) => [l.variantId as string, l]));
    for (const row of rows) {
      const variant = variants.get(row.variantSku);
      if (!variant) continue;
      if ((products.get(row.productSku) ?? null) !== variant.productId) issues.push({ line: row.line, column: 'variant_sku', reason: `${row.variantSku} already belongs to another product` });
      if (variant.price.currency !== row.currency) issues.push({ line: row.line, column: 'currency', reason: `${row.variantSku} is priced in ${variant.price.currency}` });
      const level = levels.get(variant.id);
      if (row.stock !== null && level && row.stock < level.reserved) issues.push({ line: row.line, column: 'stock', reason: `${level.reserved} unit(s) are reserved by orders` });
    }
    return issues;
  }

  async checkStockBatch(workspaceId: WorkspaceId, rows: readonly StockImportRow[]): Promise<ImportIssue[]> {
    const issues: ImportIssue[] = [];
    const variants = new Map((await this.deps.variants.findManyBySku(workspaceId, rows.map((r) => r.sku))).map((v) => [v.sku, v]));
    const levels = new Map((await this.deps.stock.getMany(workspaceId, [...variants.values()].map((v) => v.id))).map((l) => [l.variantId as string, l]));
    for (const row of rows) {
      const variant = variants.get(row.sku);
      if (!variant) { issues.push({ line: row.line, column: 'sku', reason: `no variant has SKU ${row.sku}` }); continue; }
      const level = levels.get(variant.id);
      if (level && row.onHand < level.reserved) issues.push({ line: row.line, column: 'on_hand', reason: `${level.reserved} unit(s) are reserved by orders` });
    }
    return issues;
  }

  /** Upserts products and variants by SKU and sets stock when the row gives it; a few queries per batch, not per row. */
  applyCatalogBatch(workspaceId: WorkspaceId, rows: readonly CatalogImportRow[], actor: StockActor): Promise<Result<{ products: number; variants: number }, ImportIssue[]>> {
    const { products, variants, stock, uow, clock, ids } = this.deps;
    return uow.run(async () => {
      const now = clock.now();
      const existingProducts = new Map((await products.findManyBySku(workspaceId, rows.map((r) => r.productSku))).map((p) => [p.sku, p]));
      const existingVariants = new Map((await variants.findManyBySku(workspaceId, rows.map((r) => r.variantSku))).map((v) => [v.sku, v]));
      const stocked = rows.filter((r) => r.stock !== null).flatMap((r) => existingVariants.get(r.variantSku)?.id ?? []);
      const levels = new Map((await stock.lock(workspaceId, stocked)).map((l) => [l.variantId as string, l]));
      const touched = new Map<string, Product>();
      let createdVariants = 0;
      const movements: StockMovement[] = [];
      const changedLevels: StockLevel[] = [];
      const before = new Map<ReturnType<typeof Ids.variant>, number>();
      for (const row of rows) {
        let product = touched.get(row.productSku) ?? existingProducts.get(row.productSku);
        if (!product) {
          const made = Product.create({ id: Ids.product(ids.next()), workspaceId, sku: row.productSku, name: row.productName, description: row.description, imageUrls: row.imageUrls, now });
          if (!made.ok) return err([{ line: row.line, column: 'product_name', reason: made.error.kind }]);
          product = made.value;
        } else if (!touched.has(row.productSku)) {
          product.update({ name: row.productName, description: row.description, imageUrls: row.imageUrls }, now);
        }
        if (!touched.has(row.productSku)) {
          if (row.status === 'archived') product.archive(now); else product.activate(now);
          touched.set(row.productSku, product);
          await products.save(product);
        }
        const price = Money.of(row.priceMinor, row.currency);
        if (!price.ok) return err([{ line: row.line, column: 'price', reason: price.error.kind }]);
        let variant = existingVariants.get(row.variantSku);
        let level: StockLevel | null;
        if (!variant) {
          const made = Variant.create({ id: Ids.variant(ids.next()), workspaceId, productId: product.id, sku: row.variantSku, title: row.variantTitle, price: price.value, lowStockThreshold: row.lowStockThreshold ?? 0, now });
          if (!made.ok) return err([{ line: row.line, column: 'variant_sku', reason: made.error.kind }]);
          variant = made.value;
          level = StockLevel.empty(variant.id, workspaceId, now);
          createdVariants += 1;
        } else {
          if (variant.productId !== product.id) return err([{ line: row.line, column: 'variant_sku', reason: `${row.variantSku} already belongs to another product` }]);
          const repriced = variant.reprice(price.value, now);
          if (!repriced.ok) return err([{ line: row.line, column: 'currency', reason: repriced.error.kind }]);
          variant.retitle(row.variantTitle, now);
          if (row.lowStockThreshold !== null) variant.setLowStockThreshold(row.lowStockThreshold, now);
          level = row.stock === null ? null : levels.get(variant.id) ?? StockLevel.empty(variant.id, workspaceId, now);
        }
        await variants.save(variant);
        if (level) {
          before.set(level.variantId, level.available);
          if (row.stock !== null && row.stock !== level.onHand) {
            const moved = level.setOnHand(row.stock, `import line ${row.line}`, actor, now, 'import');
            if (!moved.ok) return err([{ line: row.line, column: 'stock', reason: moved.error.kind }]);
            movements.push({ ...moved.value, id: Ids.stockMovement(ids.next()), workspaceId, variantId: variant.id });
            changedLevels.push(level);
          }
          await stock.save(level);
        }
      }
      await stock.appendMovements(movements);
      await recordLowStock(stock, variants, workspaceId, before, changedLevels, now, () => ids.next());
      return ok({ products: touched.size, variants: createdVariants });
    });
  }

  /** Sets on hand per SKU (a stock take) as `import` movements; reserved units are untouched. */
  applyStockBatch(workspaceId: WorkspaceId, rows: readonly StockImportRow[], actor: StockActor): Promise<Result<{ changed: number }, ImportIssue[]>> {
    const { variants, stock, uow, clock, ids } = this.deps;
    return uow.run(async () => {
      const now = clock.now();
      const bySku = new Map<string, StockImportRow>();
      for (const r of rows) bySku.set(r.sku, r);
      const found: Array<{ row: StockImportRow; variant: Variant }> = [];
      const known = new Map((await variants.findManyBySku(workspaceId, [...bySku.keys()])).map((v) => [v.sku, v]));
      for (const row of bySku.values()) {
        const variant = known.get(row.sku);
        if (!variant) return err([{ line: row.line, column: 'sku', reason: `no variant has SKU ${row.sku}` }]);
        found.push({ row, variant });
      }
      const levels = new Map((await stock.lock(workspaceId, found.map((f) => f.variant.id))).map((l) => [l.variantId, l]));
      const before = snapshotAvailable([...levels.values()]);
      const movements: StockMovement[] = [];
      const changed: StockLevel[] = [];
      for (const { row, variant } of found) {
        const level = levels.get(variant.id) ?? StockLevel.empty(variant.id, workspaceId, now);
        if (level.onHand === row.onHand) continue;
        const moved = level.setOnHand(row.onHand, `import line ${row.line}`, actor, now, 'import');
        if (!moved.ok) return err([{ line: row.line, column: 'on_hand', reason: moved.error.kind }]);
        movements.push({ ...moved.value, id: Ids.stockMovement(ids.next()), workspaceId, variantId: variant.id });
        changed.push(level);
        await stock.save(level);
      }
      await stock.appendMovements(movements);
      await recordLowStock(stock, variants, workspaceId, before, changed, now, () => ids.next());
      return ok({ changed: changed.length });
    });
  }
}
