// npm run bench:catalog — (1) a 50,000-row catalog CSV imported through the real two-pass import
// (streamed from a file on disk: check every row, then apply in batches), with its wall time and
// the process's peak RSS; (2) reservation throughput on ONE hot variant: parallel chat holds
// through DraftOrder (row lock, ledger row, order row, low-stock check), next to a baseline of the
// bare conditional UPDATE (`… set reserved = reserved + 1 where on_hand - reserved >= 1`) run by
// the same number of parallel loops. Database: a scratch database on TEST_DATABASE_URL /
// DATABASE_URL (dropped afterwards), else the embedded PGlite in memory.
//   BENCH_ROWS (50000)  BENCH_HOLDS (2000)  BENCH_CONCURRENCY (16)  BENCH_BATCH (500)
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DraftOrder, Ids, ImportCatalog, ManageCatalog, type Repositories } from '@palette/domain';
import { createMikroOrmRepositories, openDatabase, persistenceModule, type Database } from '@palette/adapters/persistence';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { csvLine, importCatalogCsv } from '@palette/adapters/catalog';
import { make } from '@palette/domain/testing';

const ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const HOLDS = Number(process.env.BENCH_HOLDS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
const WS = Ids.workspace('00000000-0000-7000-8000-00000000be01');

let peakRss = 0;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);

let scratch: { name: string; admin: Database } | undefined;
let databaseUrl: string | undefined;
if (serverUrl) {
  const name = `palette_bench_${Date.now().toString(36)}`;
  const admin = await openDatabase({ databaseUrl: serverUrl, dataDir: 'unused', ...persistenceModule() });
  await admin.orm.em.getConnection().execute(`create database ${name}`);
  scratch = { name, admin };
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  databaseUrl = u.toString();
}
const database = await openDatabase({ databaseUrl, dataDir: 'memory://', ...persistenceModule() });
await database.migrate();
const repos = (): Repositories => createMikroOrmRepositories(database.orm);
const clock = new SystemClock();
const ids = new UuidV7Generator();
{ const r = repos(); await r.uow.run(async () => { await r.workspaces.save(make.workspace(WS, new Date())); }); }

// (1) the CSV: 10,000 products × 5 variants = 50,000 rows, written to disk first (not timed).
const dir = await mkdtemp(join(tmpdir(), 'palette-bench-'));
const file = join(dir, 'catalog.csv');
const out = createWriteStream(file);
out.write(csvLine(['product_sku', 'product_name', 'description', 'image_urls', 'status', 'variant_sku', 'variant_title', 'price', 'currency', 'stock', 'low_stock_threshold']));
for (let i = 0; i < ROWS; i++) {
  const p = Math.floor(i / 5);
  if (!out.write(csvLine([`P${p}`, `Linen shirt model ${p}`, 'Washed linen, relaxed fit; "breathable"', `https://cdn.example/p${p}.jpg`, 'active', `P${p}-V${i % 5}`, ['XS', 'S', 'M', 'L', 'XL'][i % 5], `${19 + (i % 7)}.99`, 'EUR', 10 + (i % 50), 2]))) await once(out, 'drain');
}
out.end();
await once(out, 'finish');
const rssBefore = process.memoryUsage().rss;
peakRss = rssBefore;
const started = Date.now();
const report = await importCatalogCsv({
  workspaceId: WS, source: () => createReadStream(file, { highWaterMark: 64 * 1024 }), importer: () => new ImportCatalog({ ...repos(), clock, ids }),
  actor: { kind: 'import' }, batchSize: BATCH, maxRows: ROWS + 1,
});
const importMs = Date.now() - started;
const importPeak = peakRss;
if (!report.applied) throw new Error(`import did not apply: ${JSON.stringify(report.issues.slice(0, 5))}`);
await rm(dir, { recursive: true, force: true });

// (2) one hot variant with enough stock for every hold.
const hot = (await new ManageCatalog({ ...repos(), clock, ids }).createProduct({ workspaceId: WS, sku: 'HOT', name: 'Hot item', priceMinor: 1000, currency: 'EUR', initialStock: HOLDS * 3, actor: { kind: 'system' } }));
if (!hot.ok) throw new Error(hot.error.kind);
const variantId = hot.value.variants[0]!.id;

async function parallel(total: number, work: () => Promise<boolean>): Promise<{ ms: number; ok: number }> {
  let next = 0;
  let ok = 0;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < total) { next += 1; if (await work()) ok += 1; }
  }));
  return { ms: Date.now() - t0, ok };
}

const holds = await parallel(HOLDS, async () => {
  const r = await new DraftOrder({ ...repos(), clock, ids }).execute({ workspaceId: WS, source: 'chat', lines: [{ variantId, quantity: 1 }], holdStock: true, actor: { kind: 'assistant' } });
  return r.ok;
});
// The same holds spread over CONCURRENCY variants (no two in flight on one row): what DraftOrder
// costs without lock waits, so the hot figure's gap to it is the lock's share.
const spreadVariants: string[] = [];
for (let i = 0; i < CONCURRENCY; i++) {
  const p = await new ManageCatalog({ ...repos(), clock, ids }).createProduct({ workspaceId: WS, sku: `SPREAD-${i}`, name: `Spread ${i}`, priceMinor: 1000, currency: 'EUR', initialStock: HOLDS, actor: { kind: 'system' } });
  if (!p.ok) throw new Error(p.error.kind);
  spreadVariants.push(p.value.variants[0]!.id);
}
let spreadNext = 0;
const spread = await parallel(HOLDS, async () => {
  const v = spreadVariants[spreadNext++ % spreadVariants.length]! as typeof variantId;
  const r = await new DraftOrder({ ...repos(), clock, ids }).execute({ workspaceId: WS, source: 'chat', lines: [{ variantId: v, quantity: 1 }], holdStock: true, actor: { kind: 'assistant' } });
  return r.ok;
});
const baseline = await parallel(HOLDS, async () => {
  const em = database.orm.em.fork();
  const rows = await em.getConnection().execute('update stock_levels set reserved = reserved + 1, version = version + 1 where variant_id = ? and on_hand - reserved >= 1 returning reserved', [variantId]);
  return rows.length === 1;
});
const level = (await repos().stock.get(WS, variantId))!;
clearInterval(sampler);

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
process.stdout.write([
  `bench:catalog — ${cpus().length} CPUs, database ${database.kind}${databaseUrl ? ' (scratch)' : ' (in memory)'}`,
  `csv import: ${report.rows} rows (${Math.ceil(ROWS / 5)} products × 5 variants), batch ${BATCH}: ${(importMs / 1000).toFixed(1)} s total`
    + ` (check ${(report.checkMs / 1000).toFixed(1)} s, apply ${((report.applyMs ?? 0) / 1000).toFixed(1)} s) = ${Math.round(report.rows / (importMs / 1000))} rows/s; RSS ${mb(rssBefore)} before, peak ${mb(importPeak)}`,
  `hot-variant chat holds via DraftOrder: ${holds.ok}/${HOLDS} in ${(holds.ms / 1000).toFixed(2)} s = ${Math.round(holds.ok / (holds.ms / 1000))} reservations/s (concurrency ${CONCURRENCY})`,
  `same holds over ${CONCURRENCY} variants:  ${spread.ok}/${HOLDS} in ${(spread.ms / 1000).toFixed(2)} s = ${Math.round(spread.ok / (spread.ms / 1000))} reservations/s (no lock waits; hot / spread = ${((holds.ok / holds.ms) / (spread.ok / spread.ms)).toFixed(2)})`,
  `baseline conditional UPDATE loop:     ${baseline.ok}/${HOLDS} in ${(baseline.ms / 1000).toFixed(2)} s = ${Math.round(baseline.ok / (baseline.ms / 1000))} updates/s (concurrency ${CONCURRENCY})`,
  `final level: on hand ${level.onHand}, reserved ${level.reserved} (expected ${holds.ok + baseline.ok}); hot holds / baseline = ${((holds.ok / holds.ms) / (baseline.ok / baseline.ms)).toFixed(2)}×`,
  '',
].join('\n'));
if (level.reserved !== holds.ok + baseline.ok) process.exitCode = 1;

await database.close();
if (scratch) {
  await scratch.admin.orm.em.getConnection().execute(`drop database if exists ${scratch.name} with (force)`);
  await scratch.admin.close();
}
