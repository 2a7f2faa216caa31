import {
  CATALOG_COLUMNS, REQUIRED_CATALOG_COLUMNS, STOCK_COLUMNS, parseCatalogRecord, parseStockRecord,
  type CatalogImportRow, type ImportCatalog, type ImportIssue, type ProductRepository, type StockActor, type StockImportRow, type StockRepository,
  type VariantRepository, type WorkspaceId,
} from '@palette/domain';
import { csvLine, csvObjects, CsvSyntaxError } from './csv.js';

/** Reopens the file: the import reads it twice (check, then apply) instead of keeping it in memory. */
export type CsvSource = () => AsyncIterable<string | Uint8Array>;

export interface ImportReport {
  readonly kind: 'catalog' | 'stock';
  readonly dryRun: boolean;
  /** Data rows read (the header excluded). */
  readonly rows: number;
  /** Every problem found, up to `maxIssues` (then `truncated`); nothing is imported while there is one. */
  readonly issues: readonly ImportIssue[];
  readonly issueCount: number;
  readonly truncated: boolean;
  /** False on a dry run or when the file has issues. */
  readonly applied: boolean;
  readonly applyMs?: number;
  readonly checkMs: number;
}

export interface CsvImportOptions {
  readonly workspaceId: WorkspaceId;
  readonly source: CsvSource;
  /** An ImportCatalog over a fresh unit of work: one per batch keeps each transaction (and ORM identity map) small. */
  readonly importer: () => ImportCatalog;
  readonly actor: StockActor;
  readonly dryRun?: boolean;
  readonly batchSize?: number;
  readonly maxIssues?: number;
  /** Refuse files with more data rows than this (default 100,000). */
  readonly maxRows?: number;
}

const DEFAULT_BATCH = 500;

class IssueList {
  readonly items: ImportIssue[] = [];
  count = 0;
  constructor(private readonly max: number) {}
  add(...issues: ImportIssue[]) {
    for (const i of issues) { this.count += 1; if (this.items.length < this.max) this.items.push(i); }
  }
}

type Parsed<R> = { ok: true; value: R } | { ok: false; error: ImportIssue[] };

/**
 * The two passes every import makes. Pass 1 streams the file, checks each row on its own, against
 * the rest of the file (duplicate SKUs) and, batch by batch, against the database; it keeps only
 * the SKUs it has seen. Pass 2 runs only for a clean file that is not a dry run, streams it again
 * and applies batch after batch, each its own transaction.
 */
async function twoPass<R extends { line: number }>(kind: 'catalog' | 'stock', o: CsvImportOptions, spec: {
  columns: readonly string[]; required: readonly string[];
  parse: (record: Record<string, string>, line: number) => Parsed<R>;
  key: (row: R) => string; duplicateColumn: string;
  check: (imp: ImportCatalog, rows: R[]) => Promise<ImportIssue[]>;
  apply: (imp: ImportCatalog, rows: R[]) => Promise<{ ok: boolean; error?: ImportIssue[] }>;
}): Promise<ImportReport> {
  const issues = new IssueList(o.maxIssues ?? 1000);
  const batchSize = o.batchSize ?? DEFAULT_BATCH;
  const maxRows = o.maxRows ?? 100_000;
  const started = Date.now();
  let rows = 0;
  const seen = new Set<string>();

  const readRows = async function* (): AsyncGenerator<R[]> {
    let batch: R[] = [];
    let headerChecked = false;
    for await (const { line, header, record, extra } of csvObjects(o.source())) {
      if (!headerChecked) {
        headerChecked = true;
        for (const c of spec.required) if (!header.includes(c)) issues.add({ line: 1, column: c, reason: 'missing column' });
        for (const c of header) if (!spec.columns.includes(c)) issues.add({ line: 1, column: c, reason: `unknown column (expected ${spec.columns.join(', ')})` });
        if (issues.count > 0) return;
      }
      rows += 1;
      if (rows > maxRows) { issues.add({ line, column: '', reason: `more than ${maxRows} rows; split the file` }); return; }
      if (extra) { issues.add({ line, column: '', reason: 'more cells than the header has columns' }); continue; }
      const parsed = spec.parse(record, line);
      if (!parsed.ok) { issues.add(...parsed.error); continue; }
      batch.push(parsed.value);
      if (batch.length >= batchSize) { yield batch; batch = []; }
    }
    if (!headerChecked) issues.add({ line: 1, column: '', reason: 'the file is empty: it needs a header line' });
    if (batch.length > 0) yield batch;
  };

  try {
    for await (const batch of readRows()) {
      const fresh: R[] = [];
      for (const row of batch) {
        const key = spec.key(row);
        if (seen.has(key)) { issues.add({ line: row.line, column: spec.duplicateColumn, reason: `${key} appears more than once in the file` }); continue; }
        seen.add(key);
        fresh.push(row);
      }
      issues.add(...(await spec.check(o.importer(), fresh)));
    }
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    issues.add({ line: e.line, column: '', reason: e.message.replace(/^line \d+: /, '') });
  }
  const checkMs = Date.now() - started;
  const report = { kind, dryRun: o.dryRun === true, rows, issues: [...issues.items].sort((a, b) => a.line - b.line), issueCount: issues.count, truncated: issues.count > issues.items.length, checkMs };
  if (issues.count > 0 || o.dryRun) return { ...report, applied: false };

  const applyStarted = Date.now();
  rows = 0;
  for await (const batch of readRows()) {
    const applied = await spec.apply(o.importer(), batch);
    // Only a concurrent change since the check can get here; earlier batches stay (re-running is safe).
    if (!applied.ok) return { ...report, issues: applied.error ?? [], issueCount: applied.error?.length ?? 1, applied: false, applyMs: Date.now() - applyStarted };
  }
  return { ...report, applied: true, applyMs: Date.now() - applyStarted };
}

/** Imports products and variants (columns: CATALOG_COLUMNS); see `twoPass` for the guarantees. */
export function importCatalogCsv(o: CsvImportOptions): Promise<ImportReport> {
  return twoPass<CatalogImportRow>('catalog', o, {
    columns: CATALOG_COLUMNS, required: REQUIRED_CATALOG_COLUMNS,
    parse: (record, line) => parseCatalogRecord(record, line),
    key: (row) => row.variantSku, duplicateColumn: 'variant_sku',
    check: (imp, rows) => imp.checkCatalogBatch(o.workspaceId, rows),
    apply: (imp, rows) => imp.applyCatalogBatch(o.workspaceId, rows, o.actor),
  });
}

/** Sets on hand per SKU (columns: sku, on_hand), as `import` movements in the ledger. */
export function importStockCsv(o: CsvImportOptions): Promise<ImportReport> {
  return twoPass<StockImportRow>('stock', o, {
    columns: STOCK_COLUMNS, required: STOCK_COLUMNS,
    parse: (record, line) => parseStockRecord(record, line),
    key: (row) => row.sku, duplicateColumn: 'sku',
    check: (imp, rows) => imp.checkStockBatch(o.workspaceId, rows),
    apply: (imp, rows) => imp.applyStockBatch(o.workspaceId, rows, o.actor),
  });
}

export interface CatalogReaders {
  readonly products: ProductRepository;
  readonly variants: VariantRepository;
  readonly stock: StockRepository;
}

/**
 * The catalog as CSV lines, one page of products at a time (keyset), in the import's format: an
 * export imports back unchanged. `readers` is called per page so each page gets a fresh session.
 */
export async function* exportCatalogCsv(workspaceId: WorkspaceId, readers: () => CatalogReaders, pageSize = 500): AsyncGenerator<string> {
  yield csvLine([...CATALOG_COLUMNS]);
  for await (const { products, variants, levels } of catalogPages(workspaceId, readers, pageSize)) {
    let out = '';
    for (const p of products) {
      for (const v of variants.filter((x) => x.productId === p.id)) {
        out += csvLine([p.sku, p.name, p.description, p.imageUrls.join('|'), p.status, v.sku, v.title, v.price.toDecimalString(), v.price.currency, levels.get(v.id)?.onHand ?? 0, v.lowStockThreshold]);
      }
    }
    yield out;
  }
}

/** Products a page at a time (keyset on creation time), with their variants and stock levels; a fresh session per page. */
async function* catalogPages(workspaceId: WorkspaceId, readers: () => CatalogReaders, pageSize: number) {
  let after: { sortKey: number; id: string } | undefined;
  for (;;) {
    const r = readers();
    const products = await r.products.list(workspaceId, { limit: pageSize, after });
    if (products.length === 0) return;
    const variants = await r.variants.listByProducts(workspaceId, products.map((p) => p.id));
    const levels = new Map((await r.stock.getMany(workspaceId, variants.map((v) => v.id))).map((l) => [l.variantId, l]));
    yield { products, variants, levels };
    const last = products[products.length - 1]!;
    after = { sortKey: last.createdAt.getTime(), id: last.id };
    if (products.length < pageSize) return;
  }
}

/** Stock levels as CSV: what the stock import takes, plus reserved and available for reading. */
export async function* exportStockCsv(workspaceId: WorkspaceId, readers: () => CatalogReaders, pageSize = 500): AsyncGenerator<string> {
  yield csvLine(['sku', 'on_hand', 'reserved', 'available', 'low_stock_threshold']);
  for await (const { variants, levels } of catalogPages(workspaceId, readers, pageSize)) {
    let out = '';
    for (const v of variants) {
      const l = levels.get(v.id);
      out += csvLine([v.sku, l?.onHand ?? 0, l?.reserved ?? 0, l?.available ?? 0, v.lowStockThreshold]);
    }
    yield out;
  }
}
