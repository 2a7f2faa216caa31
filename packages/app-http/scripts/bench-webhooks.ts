// npm run bench:webhooks — signed Instagram webhook acknowledgements per second and p50/p99 ack
// latency of the real app (signature check over the raw bytes, inbox insert, 200; the enqueue runs
// after the answer), next to a bare Express app that reads the body and answers 200, in the same
// run, with the same hand-rolled keep-alive client (node:http). No worker runs: the ack must not
// need one. Database: a scratch database on TEST_DATABASE_URL / DATABASE_URL (dropped afterwards),
// else the embedded PGlite in memory.
//   BENCH_REQUESTS (3000)  BENCH_CONCURRENCY (32)  BENCH_WARMUP (200)
import { createHash, createHmac } from 'node:crypto';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import express from 'express';
import { pino } from 'pino';
import { openDatabase, persistenceModule, type Database } from '@palette/adapters/persistence';
import { PALETTE_QUEUE_LIST, PgBossJobQueue, QueueEngine, queueConnectionFor } from '@palette/adapters/queue';
import { loadConfig } from '../src/config.js';
import { startHttpService } from '../src/start-http.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
const SECRET = 'bench-instagram-app-secret';
const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;

/** Distinct deliveries (distinct mids), signed before the clock starts so the client costs little. */
function deliveries(count: number, offset: number): Array<{ body: Buffer; signature: string }> {
  return Array.from({ length: count }, (_, i) => {
    const n = offset + i;
    const body = Buffer.from(JSON.stringify({
      object: 'instagram',
      entry: [{ time: 1767712345120 + n, id: '17841455500112233', messaging: [{ sender: { id: `74321988650${String(n % 100_000).padStart(5, '0')}` }, recipient: { id: '17841455500112233' }, timestamp: 1767712345120 + n, message: { mid: `bench-mid-${n}-${createHash('sha1').update(String(n)).digest('hex')}`, text: `Is the linen shirt in size M still available? #${n}` } }] }],
    }));
    return { body, signature: `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` };
  });
}

interface Result { readonly rps: number; readonly p50: number; readonly p99: number; readonly max: number; readonly non200: number }

async function load(url: URL, items: Array<{ body: Buffer; signature: string }>): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let non200 = 0;
  let next = 0;
  const one = (item: { body: Buffer; signature: string }) => new Promise<void>((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': item.body.length, 'x-hub-signature-256': item.signature } }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        if (res.statusCode !== 200) non200 += 1;
        resolve();
      });
    });
    req.on('error', reject);
    req.end(item.body);
  });
  const began = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await one(items[next++]!);
  }));
  const seconds = (performance.now() - began) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  return { rps: items.length / seconds, p50: pct(50), p99: pct(99), max: latencies[latencies.length - 1]!, non200 };
}

async function listen(server: Server): Promise<URL> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/instagram`);
}

// The baseline: Express reading the body and answering 200, nothing else.
const bare = express();
bare.post('/webhooks/instagram', express.raw({ type: 'application/json', limit: '1mb' }), (_req, res) => { res.status(200).send('EVENT_RECEIVED'); });
const bareServer = createServer(bare);
const bareUrl = await listen(bareServer);

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
const producer = await QueueEngine.open({ connection: queueConnectionFor(database, databaseUrl), role: 'producer' });
const jobs = new PgBossJobQueue(producer, new Map(PALETTE_QUEUE_LIST.map((q) => [q.name, q])));
const loaded = loadConfig({ PORT: '0', HOST: '127.0.0.1', INSTAGRAM_APP_SECRET: SECRET, LOG_LEVEL: 'silent', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
const running = await startHttpService({ config: loaded.value, logger: pino({ level: 'silent' }), database, ...(process.env.BENCH_NO_QUEUE ? {} : { jobs }) });
const paletteUrl = new URL(`${running.url.replace(/\/$/, '')}/webhooks/instagram`);

// Warm both (JIT, pools), then alternate the runs so neither gets the quieter machine.
await load(bareUrl, deliveries(WARMUP, 1_000_000));
await load(paletteUrl, deliveries(WARMUP, 2_000_000));
const bareResult = await load(bareUrl, deliveries(REQUESTS, 0));
const paletteResult = await load(paletteUrl, deliveries(REQUESTS, 0));

const stored = await database.orm.em.fork().getConnection().execute<Array<{ n: number }>>('select count(*)::int as n from instagram_webhook_inbox');
const fmt = (r: Result) => `${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(2).padStart(7)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms   max ${r.max.toFixed(1).padStart(7)} ms   non-200 ${r.non200}`;
process.stdout.write([
  `bench:webhooks — ${REQUESTS} requests, concurrency ${CONCURRENCY}, ${cpus().length} CPUs, database ${database.kind}${databaseUrl ? ' (scratch)' : ' (in memory)'}`,
  `  bare Express 200          ${fmt(bareResult)}`,
  `  Palette signed webhook    ${fmt(paletteResult)}`,
  `  Palette / bare throughput ${(paletteResult.rps / bareResult.rps * 100).toFixed(0)}%   inbox rows stored: ${stored[0]!.n} (expected ${REQUESTS + WARMUP})`,
  '',
].join('\n'));

await new Promise<void>((resolve) => { running.server.closeAllConnections(); running.server.close(() => resolve()); });
await new Promise<void>((resolve) => bareServer.close(() => resolve()));
await producer.stop();
await database.close();
if (scratch) {
  await scratch.admin.orm.em.getConnection().execute(`drop database if exists ${scratch.name} with (force)`);
  await scratch.admin.close();
}
process.exit(bareResult.non200 + paletteResult.non200 === 0 ? 0 : 1);
