// `npm run bench:start`: seconds from launching `npm start`'s entry point on a FRESH data folder
// (new PGlite database, migrations, queue schema, generated key) to /healthz and to /readyz.
// Target (issue #11): under 10 s. Median of BENCH_START_RUNS (3) runs.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_START_RUNS ?? 3);

async function waitFor(url: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} not ready in time`);
}

async function once(port: number): Promise<{ healthz: number; readyz: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'palette-bench-start-'));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env: { ...process.env, PALETTE_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/healthz`, Date.now() + 60_000);
    const healthz = (performance.now() - started) / 1000;
    await waitFor(`${base}/readyz`, Date.now() + 60_000);
    const readyz = (performance.now() - started) / 1000;
    return { healthz, readyz };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = [];
for (let i = 0; i < RUNS; i += 1) results.push(await once(38_000 + i));
const h = median(results.map((r) => r.healthz));
const r = median(results.map((r) => r.readyz));
console.log(`embedded start (PGlite, fresh data folder), median of ${RUNS}: /healthz ${h.toFixed(2)} s, /readyz ${r.toFixed(2)} s (target < 10 s: ${r < 10 ? 'met' : 'missed'})`);
console.log(`runs: ${results.map((x) => `${x.healthz.toFixed(2)}/${x.readyz.toFixed(2)}`).join(', ')}`);
