import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DraftOrder, Ids, ImportCatalog, TransitionOrder, type Repositories } from '@palette/domain';
import { createInMemoryRepositories, FakeClock, SequentialIds } from '@palette/domain/in-memory';
import { make, unwrap, uuid, type ContractHarness } from '@palette/domain/testing';
import { exportCatalogCsv, exportOrdersCsv, exportStockCsv, importCatalogCsv, importStockCsv } from '../../src/catalog/index.js';
import { pgliteHarness } from '../persistence/contract-harness.js';

const T0 = new Date('2026-03-01T12:00:00.000Z');
const WS = Ids.workspace(uuid(1, 'aaaaaaaa'));
const HEADER = 'product_sku,product_name,description,image_urls,status,variant_sku,variant_title,price,currency,stock,low_stock_threshold\n';

async function* text(s: string): AsyncGenerator<string> { yield s; }
async function collect(lines: AsyncIterable<string>): Promise<string> { let out = ''; for await (const l of lines) out += l; return out; }

const harnesses: Array<[string, () => Promise<ContractHarness>]> = [
  ['in-memory', async () => { let repos = createInMemoryRepositories(); return { session: () => repos, reset: async () => { repos = createInMemoryRepositories(); }, teardown: async () => {} }; }],
  ['MikroORM on PGlite', pgliteHarness],
];

for (const [name, setup] of harnesses) {
  describe(`CSV import and export: ${name}`, () => {
    let h: ContractHarness;
    let n = 0;
    const clock = new FakeClock(T0);
    beforeAll(async () => { h = await setup(); });
    afterAll(async () => { await h?.teardown(); });
    beforeEach(async () => {
      await h.reset();
      const s = h.session();
      await s.uow.run(async () => { await s.workspaces.save(make.workspace(WS, T0)); });
    });
    const importer = () => new ImportCatalog({ ...h.session(), clock, ids: new SequentialIds(`dddd${(++n).toString(16).padStart(4, '0')}`) });
    const opts = (csv: string, dryRun = false) => ({ workspaceId: WS, source: () => text(csv), importer, actor: { kind: 'import' } as const, dryRun, batchSize: 2 });

    it('reports every bad row with line, column and reason, and imports nothing', async () => {
      const csv = HEADER
        + 'TEE,T-shirt,,,active,TEE-S,S,19.99,EUR,5,1\n'
        + 'TEE,T-shirt,,,active,TEE-M,M,19.999,EUR,-3,\n'
        + 'MUG,,,,sold,MUG-1,,abc,EURO,,\n'
        + 'CAP,Cap,,,active,TEE-S,,5,EUR,1,\n'
        + 'BAG,Bag,,not a url,active,bad sku!,,5,EUR,99999999999,\n';
      const report = await importCatalogCsv(opts(csv));
      expect(report.applied).toBe(false);
      expect(report.rows).toBe(5);
      const byLine = (line: number) => report.issues.filter((i) => i.line === line).map((i) => i.column).sort();
      expect(byLine(2)).toEqual([]);
      expect(byLine(3)).toEqual(['price', 'stock']);
      expect(byLine(4)).toEqual(['currency', 'product_name', 'status']);
      expect(byLine(5)).toEqual(['variant_sku']);
      expect(byLine(6)).toEqual(['image_urls', 'stock', 'variant_sku']);
      expect(report.issues.find((i) => i.line === 3 && i.column === 'price')!.reason).toBe('has more than 2 decimal place(s) for EUR');
      expect(report.issues.find((i) => i.line === 5)!.reason).toBe('TEE-S appears more than once in the file');
      expect(await h.session().variants.findBySku(WS, 'TEE-S')).toBeNull();
    });

    it('refuses a file with an unknown or missing column, or broken quoting, before reading rows', async () => {
      const missing = await importCatalogCsv(opts('product_sku,product_name,colour\nA,B,red\n'));
      expect(missing.issues.map((i) => [i.line, i.column, i.reason.split(' (')[0]])).toEqual([
        [1, 'variant_sku', 'missing column'], [1, 'price', 'missing column'], [1, 'currency', 'missing column'], [1, 'colour', 'unknown column'],
      ]);
      const broken = await importCatalogCsv(opts(`${HEADER}TEE,"T-shirt,,,active,TEE,,1,EUR,,\n`));
      expect(broken.issues).toEqual([{ line: 2, column: '', reason: 'a quoted field is never closed' }]);
      expect((await importCatalogCsv(opts(''))).issues[0]!.reason).toMatch(/empty/);
    });

    it('a dry run of a clean file reports no issue and writes nothing; the real run imports it, and its export imports back unchanged', async () => {
      const csv = HEADER
        + 'TEE,"T-shirt, linen","Soft ""washed"" linen",https://cdn.example/tee.jpg|https://cdn.example/tee2.jpg,active,TEE-S,S,19.99,EUR,5,1\n'
        + 'TEE,"T-shirt, linen","Soft ""washed"" linen",,active,TEE-M,M,21,EUR,0,\n'
        + 'YEN,Teapot,,,archived,YEN-1,,1500,JPY,2,\n';
      const dry = await importCatalogCsv(opts(csv, true));
      expect({ applied: dry.applied, issues: dry.issues, rows: dry.rows }).toEqual({ applied: false, issues: [], rows: 3 });
      expect(await h.session().products.findBySku(WS, 'TEE')).toBeNull();
      const real = await importCatalogCsv(opts(csv));
      expect(real.applied).toBe(true);
      const s = h.session();
      const tee = (await s.products.findBySku(WS, 'TEE'))!;
      expect({ name: tee.name, description: tee.description, images: tee.imageUrls }).toEqual({ name: 'T-shirt, linen', description: 'Soft "washed" linen', images: ['https://cdn.example/tee.jpg', 'https://cdn.example/tee2.jpg'] });
      expect((await s.products.findBySku(WS, 'YEN'))!.status).toBe('archived');
      const m = (await s.variants.findBySku(WS, 'TEE-M'))!;
      expect(m.price.toJSON()).toEqual({ amountMinor: 2100, currency: 'EUR' });
      expect((await s.variants.findBySku(WS, 'YEN-1'))!.price.toJSON()).toEqual({ amountMinor: 1500, currency: 'JPY' });
      const exported = await collect(exportCatalogCsv(WS, () => h.session()));
      expect(exported.split('\r\n').filter((l) => l !== '')).toHaveLength(4);
      const again = await importCatalogCsv(opts(exported));
      expect(again.applied).toBe(true);
      expect(await collect(exportCatalogCsv(WS, () => h.session()))).toBe(exported);
      const ledger = await h.session().stock.listMovements(WS, (await h.session().variants.findBySku(WS, 'TEE-S'))!.id);
      expect(ledger.map((x) => [x.kind, x.onHandDelta])).toEqual([['import', 5]]);
    });

    it('imports stock counts by SKU, refusing unknown SKUs and counts below what is reserved', async () => {
      await importCatalogCsv(opts(`${HEADER}TEE,Tee,,,active,TEE-S,S,10,EUR,5,\n`));
      const s = h.session();
      const v = (await s.variants.findBySku(WS, 'TEE-S'))!;
      const order = unwrap(await new DraftOrder({ ...h.session(), clock, ids: new SequentialIds('eeee0001') }).execute({ workspaceId: WS, source: 'api', lines: [{ variantId: v.id, quantity: 3 }], actor: { kind: 'api' } }));
      unwrap(await new TransitionOrder({ ...h.session(), clock, ids: new SequentialIds('eeee0002') }).execute({ workspaceId: WS, orderId: order.id, to: 'confirmed', actor: { kind: 'api' } }));
      const bad = await importStockCsv(opts('sku,on_hand\nTEE-S,2\nNOPE,4\nTEE-S,x\n'));
      expect(bad.issues).toEqual([
        { line: 2, column: 'on_hand', reason: '3 unit(s) are reserved by orders' },
        { line: 3, column: 'sku', reason: 'no variant has SKU NOPE' },
        { line: 4, column: 'on_hand', reason: 'must be a whole number from 0 to 1000000000' },
      ]);
      const ok = await importStockCsv(opts('sku,on_hand\r\nTEE-S,12\r\n'));
      expect(ok.applied).toBe(true);
      const level = (await h.session().stock.get(WS, v.id))!;
      expect({ onHand: level.onHand, reserved: level.reserved }).toEqual({ onHand: 12, reserved: 3 });
      expect(await collect(exportStockCsv(WS, () => h.session()))).toBe('sku,on_hand,reserved,available,low_stock_threshold\r\nTEE-S,12,3,9,0\r\n');
      const orders = await collect(exportOrdersCsv(WS, () => h.session().orders, {}));
      const [head, line] = orders.split('\r\n');
      expect(head).toBe('order_id,reference,created_at,status,source,customer_name,country,currency,subtotal,shipping,discount,total,items,lines,notification');
      expect(line).toBe(`${order.id},${order.id.slice(-6).toUpperCase()},${T0.toISOString()},confirmed,api,,,EUR,30.00,0.00,0.00,30.00,3,TEE-S x 3 @ 10.00,`);
    });
  });
}
export type { Repositories };
