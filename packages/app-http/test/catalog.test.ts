import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildWorkspaceApp, seedTenant, TEST_USER_HEADER, type WorkspaceApp } from './support/workspace-fixtures.js';

const NOW = new Date('2026-03-01T09:00:00Z');
const PROBLEM = 'https://palette.dev/problems/';
const HEADER = 'product_sku,product_name,description,image_urls,status,variant_sku,variant_title,price,currency,stock,low_stock_threshold\n';

const as = (w: WorkspaceApp, userId: string) => ({
  get: (p: string) => request(w.app).get(p).set(TEST_USER_HEADER, userId),
  post: (p: string) => request(w.app).post(p).set(TEST_USER_HEADER, userId),
  patch: (p: string) => request(w.app).patch(p).set(TEST_USER_HEADER, userId),
});

async function world() {
  const w = buildWorkspaceApp();
  const repos = w.reset();
  const a = await seedTenant(repos, 'A', 1, NOW);
  const b = await seedTenant(repos, 'B', 2, NOW);
  return { w, a, b, owner: as(w, a.members.owner.userId), base: `/api/workspaces/${a.workspaceId}` };
}

describe('catalog and inventory API', () => {
  it('builds a catalog: create (idempotent), variants, edits, archive, search, detail with availability', async () => {
    const { owner, base } = await world();
    const body = { sku: 'MUG', name: 'Stoneware mug', description: 'Holds 350 ml', imageUrls: ['https://cdn.example/mug.jpg'], priceMinor: 1200, currency: 'EUR', initialStock: 4 };
    const made = await owner.post(`${base}/products`).set('Idempotency-Key', 'p-1').send(body);
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ sku: 'MUG', status: 'active', variants: [{ sku: 'MUG', title: 'Default', price: { amountMinor: 1200, currency: 'EUR', formatted: '12.00' }, onHand: 4, reserved: 0, available: 4 }] });
    const replay = await owner.post(`${base}/products`).set('Idempotency-Key', 'p-1').send(body);
    expect({ status: replay.status, id: replay.body.id, replayed: replay.headers['idempotent-replayed'] }).toEqual({ status: 201, id: made.body.id, replayed: 'true' });
    const dup = await owner.post(`${base}/products`).send(body);
    expect(dup.body).toMatchObject({ status: 409, type: `${PROBLEM}conflict`, code: 'catalog.duplicate_sku' });

    const added = await owner.post(`${base}/products/${made.body.id}/variants`).send({ sku: 'MUG-BLUE', title: 'Blue', priceMinor: 1300, initialStock: 2 });
    expect(added.status).toBe(201);
    expect(added.body.variants.map((v: { sku: string }) => v.sku)).toEqual(['MUG', 'MUG-BLUE']);
    expect((await owner.post(`${base}/products/${made.body.id}/variants`).send({ sku: 'MUG-USD', title: 'US', priceMinor: 1300, currency: 'USD' })).body.code).toBe('money.currency_mismatch');
    const blue = added.body.variants[1].id;
    const repriced = await owner.patch(`${base}/variants/${blue}`).send({ priceMinor: 1400, lowStockThreshold: 3, title: 'Ocean blue' });
    expect(repriced.body.variants[1]).toMatchObject({ title: 'Ocean blue', price: { amountMinor: 1400 }, lowStockThreshold: 3, lowStock: true });
    expect((await owner.patch(`${base}/variants/${blue}`).send({ priceMinor: -1 })).status).toBe(400);
    expect((await owner.patch(`${base}/variants/${blue}`).send({ currency: 'GBP' })).body.code).toBe('money.currency_mismatch');

    await owner.post(`${base}/products`).send({ sku: 'PLATE', name: 'Stoneware plate', priceMinor: 1500, currency: 'EUR' });
    const search = await owner.get(`${base}/products?q=stoneware mug`);
    expect(search.body.items.map((p: { sku: string }) => p.sku)).toEqual(['MUG']);
    expect(search.body.items[0].score).toBeGreaterThan(0);
    expect((await owner.get(`${base}/products?q=mug-bl`)).body.items.map((p: { sku: string }) => p.sku)).toEqual(['MUG']);
    expect((await owner.get(`${base}/products?q=stoneware`)).body.items).toHaveLength(2);
    await owner.patch(`${base}/products/${made.body.id}`).send({ status: 'archived', name: 'Old mug' });
    expect((await owner.get(`${base}/products?q=stoneware`)).body.items.map((p: { sku: string }) => p.sku)).toEqual(['PLATE']);
    expect((await owner.get(`${base}/products?q=mug&status=archived`)).body.items.map((p: { name: string }) => p.name)).toEqual(['Old mug']);
    // The tenant fixture seeds WALK-A first.
    const page = await owner.get(`${base}/products?limit=2`);
    expect(page.body.items.map((p: { sku: string }) => p.sku)).toEqual(['WALK-A', 'MUG']);
    expect((await owner.get(`${base}/products?limit=2&cursor=${page.body.nextCursor}`)).body).toMatchObject({ items: [{ sku: 'PLATE' }], nextCursor: null });
    expect((await owner.get(`${base}/products?cursor=not-ours`)).status).toBe(400);
    expect((await owner.get(`${base}/products/${made.body.id}`)).body.variants[1]).toMatchObject({ onHand: 2, available: 2 });
  });

  it('rejects bad catalog input with problem+json', async () => {
    const { owner, base } = await world();
    const bad: unknown[] = [
      { sku: 'X', name: 'x', priceMinor: -1, currency: 'EUR' },
      { sku: 'X', name: 'x', priceMinor: 1e20, currency: 'EUR' },
      { sku: 'X', name: 'x', priceMinor: '12.00', currency: 'EUR' },
      { sku: 'X', name: '', priceMinor: 1, currency: 'EUR' },
      { sku: 'X', name: 'x', priceMinor: 1, currency: 'EURO' },
      { sku: 'X', name: 'x', priceMinor: 1, currency: 'EUR', initialStock: -3 },
      { sku: 'X', name: 'x', priceMinor: 1, currency: 'EUR', imageUrls: ['javascript:alert(1)'] },
      { sku: 'X', name: 'x', priceMinor: 1, currency: 'EUR', variants: [] },
    ];
    for (const b of bad) {
      const res = await owner.post(`${base}/products`).send(b as object);
      expect(res.status, JSON.stringify(b)).toBe(400);
      expect(res.body.type).toBe(`${PROBLEM}validation`);
    }
    const sku = await owner.post(`${base}/products`).send({ sku: 'bad sku!', name: 'x', priceMinor: 1, currency: 'EUR' });
    expect(sku.body).toMatchObject({ status: 422, code: 'catalog.invalid_sku' });
    const twice = await owner.post(`${base}/products`).send({ sku: 'T', name: 'x', priceMinor: 1, currency: 'EUR', variants: [{ sku: 'T-1', title: 'a' }, { sku: 'T-1', title: 'b' }] });
    expect(twice.body.code).toBe('catalog.duplicate_sku');
  });

  it('imports the catalog and stock from CSV with a dry run, and exports both', async () => {
    const { w, a, owner, base } = await world();
    const bad = await owner.post(`${base}/catalog/import`).send({ csv: `${HEADER}TEE,Tee,,,active,TEE-M,M,9.999,EUR,2,\nTEE,Tee,,,active,TEE-S,S,9.99,EUR,2,\nTEE,Tee,,,active,TEE-S,S,9.99,EUR,2,\n` });
    expect(bad.body).toMatchObject({ applied: false, rows: 3, issueCount: 2 });
    expect(bad.body.issues).toEqual([
      { line: 2, column: 'price', reason: 'has more than 2 decimal place(s) for EUR' },
      { line: 4, column: 'variant_sku', reason: 'TEE-S appears more than once in the file' },
    ]);
    const csv = `${HEADER}TEE,Tee,,,active,TEE-S,S,9.99,EUR,2,1\nTEE,Tee,,,active,TEE-M,M,9.99,EUR,5,\n`;
    const dry = await owner.post(`${base}/catalog/import`).send({ csv, dryRun: true });
    expect(dry.body).toMatchObject({ applied: false, dryRun: true, issues: [] });
    expect((await owner.get(`${base}/products`)).body.items.map((p: { sku: string }) => p.sku)).toEqual(['WALK-A']);
    expect((await owner.post(`${base}/catalog/import`).send({ csv })).body).toMatchObject({ applied: true, rows: 2 });
    const stock = await owner.post(`${base}/inventory/import`).send({ csv: 'sku,on_hand\nTEE-S,7\nTEE-X,1\n' });
    expect(stock.body.issues).toEqual([{ line: 3, column: 'sku', reason: 'no variant has SKU TEE-X' }]);
    expect((await owner.post(`${base}/inventory/import`).send({ csv: 'sku,on_hand\nTEE-S,7\n' })).body.applied).toBe(true);
    const levels = await owner.get(`${base}/inventory`);
    expect(levels.body.items.map((l: { sku: string; onHand: number }) => [l.sku, l.onHand])).toEqual([['WALK-A-1', 10], ['TEE-S', 7], ['TEE-M', 5]]);
    const movements = await owner.get(`${base}/variants/${levels.body.items[1].variantId}/movements`);
    expect(movements.body.items.map((m: { kind: string; onHandDelta: number }) => [m.kind, m.onHandDelta])).toEqual([['import', 2], ['import', 5]]);
    const exported = await owner.get(`${base}/catalog.csv`);
    expect(exported.headers['content-type']).toMatch(/^text\/csv/);
    expect(exported.text).toBe('product_sku,product_name,description,image_urls,status,variant_sku,variant_title,price,currency,stock,low_stock_threshold\r\n'
      + 'WALK-A,Product WALK-A,A thing,,active,WALK-A-1,Default,15.00,EUR,10,0\r\nTEE,Tee,,,active,TEE-S,S,9.99,EUR,7,1\r\nTEE,Tee,,,active,TEE-M,M,9.99,EUR,5,0\r\n');
    expect((await owner.get(`${base}/inventory.csv`)).text).toBe('sku,on_hand,reserved,available,low_stock_threshold\r\nWALK-A-1,10,0,10,0\r\nTEE-S,7,0,7,1\r\nTEE-M,5,0,5,0\r\n');
    const analyst = as(w, a.members.analyst.userId);
    expect((await analyst.post(`${base}/inventory/import`).send({ csv: 'sku,on_hand\n' })).status).toBe(403);
    expect((await analyst.get(`${base}/inventory.csv`)).status).toBe(200);
  });
});
