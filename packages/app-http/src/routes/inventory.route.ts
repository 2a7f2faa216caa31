import { z } from 'zod';
import type { Container } from 'inversify';
import { Ids, type StockMovement } from '@palette/domain';
import { exportStockCsv, importStockCsv } from '@palette/adapters/catalog';
import { withCsvUpload } from '../http/csv-upload.js';
import { decodeCursor, pageFrom, pageOf, pageQuery } from '../http/pagination.js';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';
import { CsvImportBody, CsvUploadQuery, ImportReportDto, toReportDto } from './catalog.route.js';
import { commerce, commerceProblem, sendCsv } from './commerce-services.js';

const LevelDto = z.object({
  variantId: z.uuid(), productId: z.uuid(), sku: z.string(), productName: z.string(), variantTitle: z.string(), productStatus: z.enum(['active', 'archived']),
  onHand: z.number().int(), reserved: z.number().int(), available: z.number().int(), lowStockThreshold: z.number().int(), lowStock: z.boolean(),
}).meta({ id: 'StockLevel', description: 'On hand vs reserved for one variant (available = on hand − reserved).' });

const MovementDto = z.object({
  id: z.uuid(), variantId: z.uuid(), kind: z.enum(['adjustment', 'import', 'reservation', 'release', 'shipment', 'return']),
  onHandDelta: z.number().int(), reservedDelta: z.number().int(), orderId: z.uuid().nullable(), reason: z.string().nullable(),
  actor: z.object({ kind: z.string(), id: z.string().optional() }), at: z.iso.datetime(),
}).meta({ id: 'StockMovement', description: 'One line of the append-only ledger; the level is the sum of its movements.' });

const LowStockDto = z.object({ id: z.uuid(), variantId: z.uuid(), sku: z.string(), available: z.number().int(), threshold: z.number().int(), at: z.iso.datetime() })
  .meta({ id: 'LowStockEvent', description: 'Available stock fell to or below the variant\'s threshold.' });

const toMovement = (m: StockMovement): z.input<typeof MovementDto> => ({
  id: m.id, variantId: m.variantId, kind: m.kind, onHandDelta: m.onHandDelta, reservedDelta: m.reservedDelta, orderId: m.orderId, reason: m.reason,
  actor: m.actor.id === undefined ? { kind: m.actor.kind } : { kind: m.actor.kind, id: m.actor.id }, at: m.at.toISOString(),
});

const wsParams = z.object({ workspaceId: z.uuid() });
const variantParams = z.object({ workspaceId: z.uuid(), variantId: z.uuid() });
const count = z.number().int().min(0).max(1_000_000_000);

async function* once(text: string): AsyncGenerator<string> { yield text; }

export const inventoryRoutes = (c: Container) => [
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/inventory', tags: ['inventory'], auth: 'session', permission: 'catalog.read', params: wsParams,
      summary: 'Stock levels of every variant, by product (oldest product first)',
      query: z.object({ ...pageQuery, lowStock: z.enum(['true', 'false']).optional().describe('Only variants at or below their threshold.') }),
      responses: { 200: { description: 'Levels of one page of products', body: pageOf(LevelDto, 'StockLevelPage') } },
    },
    async ({ principal, query }) => {
      const after = decodeCursor(query.cursor);
      if (after !== undefined && typeof after.sortKey !== 'number') throw HttpProblem.validation([{ path: 'query.cursor', message: 'is not a cursor this API issued', code: 'invalid_cursor' }]);
      const rows = await commerce(c).catalogQueries.listProducts(principal.workspaceId, { limit: query.limit + 1, after });
      const page = pageFrom(rows, query.limit, (p) => ({ sortKey: p.product.createdAt.getTime(), id: p.product.id }));
      const items = page.items.flatMap((p) => p.variants.map((v) => ({
        variantId: v.variant.id, productId: p.product.id, sku: v.variant.sku, productName: p.product.name, variantTitle: v.variant.title, productStatus: p.product.status,
        onHand: v.onHand, reserved: v.reserved, available: v.available, lowStockThreshold: v.variant.lowStockThreshold, lowStock: v.lowStock,
      }))).filter((l) => query.lowStock === undefined || l.lowStock === (query.lowStock === 'true'));
      return { status: 200, body: { items, nextCursor: page.nextCursor } };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/inventory/low-stock', tags: ['inventory'], auth: 'session', permission: 'catalog.read', params: wsParams,
      summary: 'Low-stock events, newest first', query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
      responses: { 200: { description: 'The events', body: z.object({ items: z.array(LowStockDto) }).meta({ id: 'LowStockEventList' }) } },
    },
    async ({ principal, query }) => {
      const events = await commerce(c).catalogQueries.listLowStockEvents(principal.workspaceId, query.limit);
      return { status: 200, body: { items: events.map((e) => ({ id: e.id, variantId: e.variantId, sku: e.sku, available: e.available, threshold: e.threshold, at: e.at.toISOString() })) } };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/variants/:variantId/movements', tags: ['inventory'], auth: 'session', permission: 'catalog.read', params: variantParams,
      summary: 'The stock ledger of one variant, oldest first',
      responses: { 200: { description: 'Every movement and the level they sum to', body: z.object({ onHand: z.number().int(), reserved: z.number().int(), items: z.array(MovementDto) }).meta({ id: 'StockLedger' }) } },
    },
    async ({ principal, params }) => {
      const x = commerce(c);
      const found = await x.catalogQueries.movements(principal.workspaceId, Ids.variant(params.variantId));
      if (!found.ok) throw HttpProblem.notFound();
      const level = (await x.repos.stock.get(principal.workspaceId, Ids.variant(params.variantId)))!;
      return { status: 200, body: { onHand: level.onHand, reserved: level.reserved, items: found.value.map(toMovement) } };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/variants/:variantId/adjustments', tags: ['inventory'], auth: 'session', permission: 'inventory.write', params: variantParams,
      summary: 'Adjust stock: a delta (received, damaged, returned) or an absolute count',
      description: 'Exactly one of `delta` and `setOnHand`. On hand never goes below what orders reserve (409 `inventory.below_reserved`).',
      body: z.object({
        delta: z.number().int().min(-1_000_000_000).max(1_000_000_000).refine((d) => d !== 0, 'must not be 0').optional(), setOnHand: count.optional(),
        kind: z.enum(['adjustment', 'return']).default('adjustment'), reason: z.string().trim().min(1).max(500),
      }).strict().refine((b) => (b.delta === undefined) !== (b.setOnHand === undefined), { message: 'give exactly one of delta and setOnHand', path: ['delta'] }),
      responses: { 200: { description: 'The new level and the movement recorded', body: z.object({ onHand: z.number().int(), reserved: z.number().int(), available: z.number().int() }).meta({ id: 'StockAdjusted' }) } },
      problems: ['conflict', 'unprocessable'],
    },
    async ({ principal, params, body }) => {
      const x = commerce(c);
      const r = await x.catalog.adjustStock({
        workspaceId: principal.workspaceId, variantId: Ids.variant(params.variantId), delta: body.delta, setOnHand: body.setOnHand,
        kind: body.setOnHand === undefined ? body.kind : 'adjustment', reason: body.reason, actor: { kind: 'user', id: principal.userId },
      });
      if (!r.ok) throw commerceProblem(r.error);
      return { status: 200, body: { onHand: r.value.onHand, reserved: r.value.reserved, available: r.value.available } };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/inventory.csv', tags: ['inventory'], auth: 'session', permission: 'catalog.read', params: wsParams,
      summary: 'Stock levels as CSV', description: 'Columns: sku, on_hand, reserved, available, low_stock_threshold. The stock import reads sku and on_hand.',
      responses: { 200: { description: 'CSV, one variant per line', contentType: 'text/csv' } },
    },
    async ({ principal, res }) => {
      await sendCsv(res, 'inventory.csv', exportStockCsv(principal.workspaceId, () => c.get(TOKENS.Repositories)));
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/inventory/import', tags: ['inventory'], auth: 'session', permission: 'inventory.write', params: wsParams,
      summary: 'Import stock counts from CSV (sku,on_hand)',
      description: 'A stock take: on hand is set per SKU as `import` movements. The whole file is checked first (unknown SKUs, counts below reserved, bad numbers); nothing changes while any row is bad. `dryRun: true` only checks.',
      body: CsvImportBody,
      responses: { 200: { description: 'What was checked and whether it was applied', body: ImportReportDto } },
    },
    async ({ principal, body }) => {
      const report = await importStockCsv({ workspaceId: principal.workspaceId, source: () => once(body.csv), importer: commerce(c).imports, actor: { kind: 'user', id: principal.userId }, dryRun: body.dryRun });
      return { status: 200, body: toReportDto(report) };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/inventory/import.csv', tags: ['inventory'], auth: 'session', permission: 'inventory.write', params: wsParams, query: CsvUploadQuery,
      summary: 'Import stock counts from an uploaded CSV file (sku,on_hand)',
      description: 'The same stock take as `inventory/import`, with the file itself as the body (`Content-Type: text/csv`), streamed, up to 64 MB. `?dryRun=true` only checks.',
      bodyType: 'csv',
      responses: { 200: { description: 'What was checked and whether it was applied', body: ImportReportDto } },
    },
    async ({ principal, query, req }) => {
      const report = await withCsvUpload(req, (source) => importStockCsv({ workspaceId: principal.workspaceId, source, importer: commerce(c).imports, actor: { kind: 'user', id: principal.userId }, dryRun: query.dryRun === 'true' }));
      return { status: 200, body: toReportDto(report) };
    },
  ),
];
