import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import type { Request } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { withCsvUpload } from '../src/http/csv-upload.js';
import { HttpProblem } from '../src/http/problem.js';
import { buildWorkspaceApp, seedTenant, TEST_USER_HEADER } from './support/workspace-fixtures.js';

const NOW = new Date('2026-03-01T09:00:00Z');
const PROBLEM = 'https://palette.dev/problems/';
const HEADER = 'product_sku,product_name,description,image_urls,status,variant_sku,variant_title,price,currency,stock,low_stock_threshold\n';

function catalogFile(rows: number): string {
  let out = HEADER;
  for (let i = 0; i < rows; i++) out += `P${i},"Linen shirt, style ${i}",Soft washed linen; fits true to size,https://cdn.example/p${i}.jpg,active,P${i}-M,M,${(i % 90) + 10}.50,EUR,${i % 7},2\n`;
  return out;
}

async function world() {
  const w = buildWorkspaceApp();
  const a = await seedTenant(w.reset(), 'A', 1, NOW);
  const post = (path: string) => request(w.app).post(`/api/workspaces/${a.workspaceId}${path}`).set(TEST_USER_HEADER, a.members.owner.userId);
  const get = (path: string) => request(w.app).get(`/api/workspaces/${a.workspaceId}${path}`).set(TEST_USER_HEADER, a.members.owner.userId);
  return { post, get, agent: a.members.agent.userId, w, ws: a.workspaceId };
}

describe('CSV imports as uploaded files (text/csv, streamed)', () => {
  it('checks a 50,000-row catalog in one request, above the JSON body limit, and applies an upload', async () => {
    const { post, get } = await world();
    const leftovers = async () => (await readdir(tmpdir())).filter((f) => f.startsWith('palette-upload-')).length;
    const before = await leftovers();
    const file = catalogFile(50_000);
    expect(Buffer.byteLength(file)).toBeGreaterThan(1024 * 1024);
    // The JSON route cannot carry it: that is why the upload route exists.
    const asJson = await post('/catalog/import').send({ csv: file, dryRun: true });
    expect(asJson.body).toMatchObject({ status: 413, type: `${PROBLEM}payload-too-large` });

    const dry = await post('/catalog/import.csv?dryRun=true').set('Content-Type', 'text/csv').send(file);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ kind: 'catalog', dryRun: true, rows: 50_000, issueCount: 0, applied: false });
    expect((await get('/products?q=P49999')).body.items).toEqual([]);

    // Applying 50,000 rows takes about a minute on PostgreSQL (docs/benchmarks.md): a benchmark, not
    // a test. The same route applies a smaller file here.
    const done = await post('/catalog/import.csv').set('Content-Type', 'text/csv').send(catalogFile(1_500));
    expect(done.body).toMatchObject({ rows: 1_500, issueCount: 0, applied: true });
    const last = (await get('/products?q=P1499')).body.items;
    expect(last).toHaveLength(1);
    expect(last[0]).toMatchObject({ sku: 'P1499', name: 'Linen shirt, style 1499' });
    expect(await leftovers()).toBe(before);
  }, 120_000);

  it('reports every bad row with line and column and imports nothing; stock counts upload the same way', async () => {
    const { post, get } = await world();
    const bad = `${HEADER}A1,Mug,,,active,A1-S,S,12.00,EUR,3,1\nA2,Plate,,,active,A2-S,S,twelve,EUR,3,1\nA3,Bowl,,,active,A3-S,S,9.00,EUR,-4,1\n`;
    const report = await post('/catalog/import.csv').set('Content-Type', 'text/csv').send(bad);
    expect(report.body).toMatchObject({ applied: false, issueCount: 2 });
    expect(report.body.issues.map((i: { line: number; column: string }) => [i.line, i.column])).toEqual([[3, 'price'], [4, 'stock']]);
    expect((await get('/products?q=A1')).body.items).toEqual([]);

    await post('/catalog/import.csv').set('Content-Type', 'text/csv').send(`${HEADER}B1,Mug,,,active,B1-S,S,12.00,EUR,3,1\n`).expect(200);
    const stock = await post('/inventory/import.csv').set('Content-Type', 'text/csv').send('sku,on_hand\nB1-S,11\n');
    expect(stock.body).toMatchObject({ kind: 'stock', rows: 1, applied: true });
    expect((await get('/inventory?limit=50')).body.items.flatMap((p: { variants?: Array<{ sku: string; onHand: number }> } & { sku?: string; onHand?: number }) => p.variants ?? [p])
      .find((v: { sku: string }) => v.sku === 'B1-S')).toMatchObject({ onHand: 11 });
  });

  it('refuses another media type with 415 naming text/csv, and a member without the permission with 403', async () => {
    const { post, w, ws, agent } = await world();
    const wrong = await post('/catalog/import.csv').set('Content-Type', 'application/json').send('{"csv":"x"}');
    expect(wrong.status).toBe(415);
    expect(wrong.headers['accept-post']).toBe('text/csv');
    expect(wrong.body.type).toBe(`${PROBLEM}unsupported-media-type`);
    const forbidden = await request(w.app).post(`/api/workspaces/${ws}/inventory/import.csv`).set(TEST_USER_HEADER, agent).set('Content-Type', 'text/csv').send('sku,on_hand\n');
    expect(forbidden.status).toBe(403);
  });

  it('stops reading a body past the limit with 413 and leaves no temporary file behind', async () => {
    const before = (await readdir(tmpdir())).filter((f) => f.startsWith('palette-upload-')).length;
    const body = Readable.from([Buffer.alloc(600, 'a'), Buffer.alloc(600, 'b')]) as unknown as Request;
    Object.assign(body, { headers: {} });
    let used = false;
    const outcome = await withCsvUpload(body, async () => { used = true; }, 1000).then(() => null, (e: unknown) => e);
    expect(outcome).toBeInstanceOf(HttpProblem);
    expect((outcome as HttpProblem).slug).toBe('payload-too-large');
    expect(used).toBe(false);
    expect((await readdir(tmpdir())).filter((f) => f.startsWith('palette-upload-')).length).toBe(before);
    const declared = Object.assign(Readable.from([]), { headers: { 'content-length': '5000' } }) as unknown as Request;
    await expect(withCsvUpload(declared, async () => 1, 1000)).rejects.toMatchObject({ slug: 'payload-too-large' });
  });
});
