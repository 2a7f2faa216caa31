import { z } from 'zod';
import type { Container } from 'inversify';
import { Ids, type ProductWithAvailability } from '@palette/domain';
import { exportCatalogCsv, importCatalogCsv, type ImportReport } from '@palette/adapters/catalog';
import { IDEMPOTENCY_DESCRIPTION, idempotent } from '../http/idempotency.js';
import { decodeCursor, pageFrom, pageOf, pageQuery } from '../http/pagination.js';
import { withCsvUpload } from '../http/csv-upload.js';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';
import { commerce, commerceProblem, CURRENCY, MINOR_UNITS, money, MoneyDto, sendCsv, SKU } from './commerce-services.js';

export const VariantDto = z.object({
  id: z.uuid(), productId: z.uuid(), sku: z.string(), title: z.string(), price: MoneyDto, active: z.boolean(), lowStockThreshold: z.number().int(),
  onHand: z.number().int(), reserved: z.number().int(), available: z.number().int(), lowStock: z.boolean(),
}).meta({ id: 'CatalogVariant', description: 'A sellable unit with its stock: available = on hand − reserved (orders and chat holds).' });

export const ProductDto = z.object({
  id: z.uuid(), sku: z.string(), name: z.string(), description: z.string(), imageUrls: z.array(z.string()), status: z.enum(['active', 'archived']),
  createdAt: z.iso.datetime(), updatedAt: z.iso.datetime(), variants: z.array(VariantDto), score: z.number().optional().describe('Search relevance, only on search results.'),
}).meta({ id: 'CatalogProduct' });

export const toProductDto = (p: ProductWithAvailability, score?: number): z.input<typeof ProductDto> => ({
  id: p.product.id, sku: p.product.sku, name: p.product.name, description: p.product.description, imageUrls: [...p.product.imageUrls], status: p.product.status,
  createdAt: p.product.createdAt.toISOString(), updatedAt: p.product.updatedAt.toISOString(), ...(score === undefined ? {} : { score }),
  variants: p.variants.map((v) => ({
    id: v.variant.id, productId: v.variant.productId, sku: v.variant.sku, title: v.variant.title, price: money(v.variant.price), active: v.variant.active,
    lowStockThreshold: v.variant.lowStockThreshold, onHand: v.onHand, reserved: v.reserved, available: v.available, lowStock: v.lowStock,
  })),
});

export const ImportReportDto = z.object({
  kind: z.enum(['catalog', 'stock']), dryRun: z.boolean(), rows: z.number().int(), applied: z.boolean(),
  issues: z.array(z.object({ line: z.number().int(), column: z.string(), reason: z.string() })), issueCount: z.number().int(), truncated: z.boolean(),
}).meta({ id: 'ImportReport', description: 'Every bad cell by line and column; nothing is imported while there is one.' });
export const toReportDto = (r: ImportReport): z.input<typeof ImportReportDto> => ({
  kind: r.kind, dryRun: r.dryRun, rows: r.rows, applied: r.applied, issues: [...r.issues], issueCount: r.issueCount, truncated: r.truncated,
});

/** CSV in a JSON body, within BODY_LIMIT; larger files go to the `import.csv` routes as the file itself. */
export const CsvImportBody = z.object({ csv: z.string().max(50_000_000), dryRun: z.boolean().default(false) }).strict();
export const CsvUploadQuery = z.object({ dryRun: z.enum(['true', 'false']).optional().describe('`true` checks every row and imports nothing.') });

const wsParams = z.object({ workspaceId: z.uuid() });
const productParams = z.object({ workspaceId: z.uuid(), productId: z.uuid() });
const variantParams = z.object({ workspaceId: z.uuid(), variantId: z.uuid() });
const imageUrls = z.array(z.url({ protocol: /^https?$/ }).max(2048)).max(20);
const name = z.string().trim().min(1).max(200);
const description = z.string().max(5000);
const threshold = z.number().int().min(0).max(1_000_000_000);
const stockCount = z.number().int().min(0).max(1_000_000_000);

const VariantInput = z.object({ sku: SKU, title: z.string().trim().min(1).max(100), priceMinor: MINOR_UNITS.optional(), initialStock: stockCount.optional(), lowStockThreshold: threshold.optional() }).strict();

const CREATE_ROUTE = 'POST /api/workspaces/:workspaceId/products';

async function* once(text: string): AsyncGenerator<string> { yield text; }

export const catalogRoutes = (c: Container) => [
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/products', tags: ['catalog'], auth: 'session', permission: 'catalog.read', params: wsParams,
      summary: 'Products with their variants and stock; `q` searches instead',
      description: 'Without `q`: every product, oldest first, paged. With `q`: the best matches over name, description and SKUs (ranked, prefixes count, every word must match), active products only unless `status=archived`.',
      query: z.object({ ...pageQuery, q: z.string().trim().min(1).max(200).optional(), status: z.enum(['active', 'archived']).optional() }),
      responses: { 200: { description: 'One page of products', body: pageOf(ProductDto, 'CatalogProductPage') } },
    },
    async ({ principal, query }) => {
      const x = commerce(c);
      if (query.q !== undefined) {
        const hits = await x.catalogQueries.searchProducts(principal.workspaceId, query.q, { limit: query.limit, includeArchived: query.status === 'archived' });
        return { status: 200, body: { items: hits.filter((h) => query.status === undefined || h.product.status === query.status).map((h) => toProductDto(h, h.score)), nextCursor: null } };
      }
      const after = decodeCursor(query.cursor);
      if (after !== undefined && typeof after.sortKey !== 'number') throw HttpProblem.validation([{ path: 'query.cursor', message: 'is not a cursor this API issued', code: 'invalid_cursor' }]);
      const rows = await x.catalogQueries.listProducts(principal.workspaceId, { limit: query.limit + 1, status: query.status, after });
      const page = pageFrom(rows, query.limit, (p) => ({ sortKey: p.product.createdAt.getTime(), id: p.product.id }));
      return { status: 200, body: { items: page.items.map((p) => toProductDto(p)), nextCursor: page.nextCursor } };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/products', tags: ['catalog'], auth: 'session', permission: 'catalog.write', params: wsParams,
      summary: 'Create a product with its variants',
      description: `Without \`variants\`, one default variant takes the product's SKU and price. SKUs are unique per workspace (409 \`catalog.duplicate_sku\`). ${IDEMPOTENCY_DESCRIPTION}`,
      body: z.object({
        sku: SKU, name, description: description.optional(), imageUrls: imageUrls.optional(), priceMinor: MINOR_UNITS, currency: CURRENCY,
        initialStock: stockCount.optional(), lowStockThreshold: threshold.optional(), variants: z.array(VariantInput).min(1).max(100).optional(),
      }).strict(),
      responses: { 201: { description: 'The product', body: ProductDto } },
      problems: ['conflict', 'unprocessable'],
    },
    async ({ principal, body, req }) => {
      const x = commerce(c);
      return idempotent({ store: x.services.idempotency, clock: x.clock, digest: x.services.digest }, { req, workspaceId: principal.workspaceId, route: CREATE_ROUTE, request: body }, async (remember) => {
        const created = await x.catalog.createProduct({
          ...body, workspaceId: principal.workspaceId, actor: { kind: 'user', id: principal.userId },
          inTransaction: async ({ product }) => {
            const view = await x.catalogQueries.getProduct(principal.workspaceId, product.id);
            if (view.ok) await remember({ status: 201, body: toProductDto(view.value) });
          },
        });
        if (!created.ok) throw commerceProblem(created.error);
        const view = await x.catalogQueries.getProduct(principal.workspaceId, created.value.product.id);
        if (!view.ok) throw HttpProblem.notFound();
        const reply = { status: 201 as const, body: toProductDto(view.value) };
        return reply;
      });
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/products/:productId', tags: ['catalog'], auth: 'session', permission: 'catalog.read', params: productParams,
      summary: 'One product with its variants, prices and availability',
      responses: { 200: { description: 'The product', body: ProductDto } },
    },
    async ({ principal, params }) => {
      const found = await commerce(c).catalogQueries.getProduct(principal.workspaceId, Ids.product(params.productId));
      if (!found.ok) throw HttpProblem.notFound();
      return { status: 200, body: toProductDto(found.value) };
    },
  ),
  defineRoute(
    {
      method: 'patch', path: '/api/workspaces/:workspaceId/products/:productId', tags: ['catalog'], auth: 'session', permission: 'catalog.write', params: productParams,
      summary: 'Rename, describe, set images, archive or reactivate a product',
      description: 'An archived product stays on past orders but cannot be ordered, held in chat or found by the assistant.',
      body: z.object({ name: name.optional(), description: description.optional(), imageUrls: imageUrls.optional(), status: z.enum(['active', 'archived']).optional() }).strict(),
      responses: { 200: { description: 'The product', body: ProductDto } },
      problems: ['unprocessable'],
    },
    async ({ principal, params, body }) => {
      const x = commerce(c);
      const productId = Ids.product(params.productId);
      if (body.name !== undefined || body.description !== undefined || body.imageUrls !== undefined) {
        const updated = await x.catalog.updateProduct({ workspaceId: principal.workspaceId, productId, name: body.name, description: body.description, imageUrls: body.imageUrls });
        if (!updated.ok) throw commerceProblem(updated.error);
      }
      if (body.status !== undefined) {
        const set = await x.catalog.setProductStatus({ workspaceId: principal.workspaceId, productId, status: body.status });
        if (!set.ok) throw commerceProblem(set.error);
      }
      const found = await x.catalogQueries.getProduct(principal.workspaceId, productId);
      if (!found.ok) throw HttpProblem.notFound();
      return { status: 200, body: toProductDto(found.value) };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/products/:productId/variants', tags: ['catalog'], auth: 'session', permission: 'catalog.write', params: productParams,
      summary: 'Add a variant to a product',
      description: 'Priced in the currency of the product\'s other variants (422 `money.currency_mismatch` otherwise).',
      body: VariantInput.extend({ priceMinor: MINOR_UNITS, currency: CURRENCY.optional() }).strict(),
      responses: { 201: { description: 'The product with the new variant', body: ProductDto } },
      problems: ['conflict', 'unprocessable'],
    },
    async ({ principal, params, body }) => {
      const x = commerce(c);
      const added = await x.catalog.addVariant({ ...body, workspaceId: principal.workspaceId, productId: Ids.product(params.productId), actor: { kind: 'user', id: principal.userId } });
      if (!added.ok) throw commerceProblem(added.error);
      const found = await x.catalogQueries.getProduct(principal.workspaceId, Ids.product(params.productId));
      if (!found.ok) throw HttpProblem.notFound();
      return { status: 201, body: toProductDto(found.value) };
    },
  ),
  defineRoute(
    {
      method: 'patch', path: '/api/workspaces/:workspaceId/variants/:variantId', tags: ['catalog'], auth: 'session', permission: 'catalog.write', params: variantParams,
      summary: 'Change a variant: title, price, low-stock threshold, active',
      description: 'A new price applies to new orders only: orders keep the price they were placed at.',
      body: z.object({ title: z.string().trim().min(1).max(100).optional(), priceMinor: MINOR_UNITS.optional(), currency: CURRENCY.optional(), lowStockThreshold: threshold.optional(), active: z.boolean().optional() }).strict(),
      responses: { 200: { description: 'The product of the variant', body: ProductDto } },
      problems: ['unprocessable'],
    },
    async ({ principal, params, body }) => {
      const x = commerce(c);
      const updated = await x.catalog.updateVariant({ ...body, workspaceId: principal.workspaceId, variantId: Ids.variant(params.variantId) });
      if (!updated.ok) throw commerceProblem(updated.error);
      const found = await x.catalogQueries.getProduct(principal.workspaceId, updated.value.productId);
      if (!found.ok) throw HttpProblem.notFound();
      return { status: 200, body: toProductDto(found.value) };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/catalog.csv', tags: ['catalog'], auth: 'session', permission: 'catalog.read', params: wsParams,
      summary: 'The catalog as CSV (re-importable)',
      description: 'Columns: product_sku, product_name, description, image_urls (| separated), status, variant_sku, variant_title, price (major units), currency, stock, low_stock_threshold. Streamed.',
      responses: { 200: { description: 'CSV, one variant per line', contentType: 'text/csv' } },
    },
    async ({ principal, res }) => {
      await sendCsv(res, 'catalog.csv', exportCatalogCsv(principal.workspaceId, () => c.get(TOKENS.Repositories)));
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/catalog/import', tags: ['catalog'], auth: 'session', permission: 'catalog.write', params: wsParams,
      summary: 'Import products and variants from CSV (dry run first)',
      description: 'Same columns as the export. The whole file is checked first; any bad row (line, column, reason) means nothing is imported. `dryRun: true` only checks. Products and variants are matched by SKU (an import twice changes nothing); `stock`, when given, sets on hand as an `import` movement.',
      body: CsvImportBody,
      responses: { 200: { description: 'What was checked and whether it was applied', body: ImportReportDto } },
    },
    async ({ principal, body }) => {
      const report = await importCatalogCsv({ workspaceId: principal.workspaceId, source: () => once(body.csv), importer: commerce(c).imports, actor: { kind: 'user', id: principal.userId }, dryRun: body.dryRun });
      return { status: 200, body: toReportDto(report) };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/catalog/import.csv', tags: ['catalog'], auth: 'session', permission: 'catalog.write', params: wsParams, query: CsvUploadQuery,
      summary: 'Import products and variants from an uploaded CSV file (any size up to 64 MB)',
      description: 'The same import as `catalog/import`, with the file itself as the body (`Content-Type: text/csv`) instead of a JSON string, so files above the JSON body limit (a 50,000-row catalog) go in one request. The file is streamed, never held in memory. `?dryRun=true` only checks.',
      bodyType: 'csv',
      responses: { 200: { description: 'What was checked and whether it was applied', body: ImportReportDto } },
    },
    async ({ principal, query, req }) => {
      const report = await withCsvUpload(req, (source) => importCatalogCsv({ workspaceId: principal.workspaceId, source, importer: commerce(c).imports, actor: { kind: 'user', id: principal.userId }, dryRun: query.dryRun === 'true' }));
      return { status: 200, body: toReportDto(report) };
    },
  ),
];

