import { afterAll, beforeAll, expect, it } from 'vitest';
import { knex } from '@mikro-orm/postgresql';
import { openDatabase, persistenceModule, type Database } from '@palette/adapters/persistence';
import { createScratchPostgresDatabase, describeOnPostgres, testDatabaseUrl, type ScratchPostgresDatabase } from '../../adapters/test/support/databases.js';
import { loadConfig } from '../src/config.js';
import type { RunningServer } from '../src/server.js';
import { startHttpService } from '../src/start-http.js';
import { captureLogs } from './support/harness.js';

// Issue #11's fault injection, the database half: PostgreSQL becomes unreachable under load (new
// connections refused, every open one killed, as when the server restarts), then comes back. The
// service must say so on /readyz, refuse work with a 5xx problem (so clients and Meta retry) rather
// than hang or acknowledge, and recover without being restarted.

async function sql<T>(url: string | undefined, work: (db: ReturnType<typeof knex>) => Promise<T>): Promise<T> {
  const db = knex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}
const admin = <T>(work: (db: ReturnType<typeof knex>) => Promise<T>) => sql(testDatabaseUrl, work);

describeOnPostgres('PostgreSQL outage under load', () => {
  let scratch: ScratchPostgresDatabase;
  let database: Database;
  let running: RunningServer;
  let base: string;

  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase();
    database = await openDatabase({ databaseUrl: scratch.url, dataDir: 'memory://', ...persistenceModule() });
    await database.migrate();
    const loaded = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: scratch.url, PUBLIC_URL: 'http://127.0.0.1' });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    running = await startHttpService({ config: loaded.value, logger: captureLogs().logger, database });
    base = running.url.replace(/\/$/, '');
  });

  afterAll(async () => {
    await admin((c) => c.raw(`alter database ${scratch.name} allow_connections true`)).catch(() => undefined);
    await new Promise<void>((resolve) => running.server.close(() => resolve()));
    await database.close();
    await scratch.drop();
  });

  let n = 0;
  const register = () =>
    fetch(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1' },
      body: JSON.stringify({ name: 'Load', email: `load${(n += 1)}@example.com`, password: 'correct horse battery staple', workspaceName: 'Shop' }),
      signal: AbortSignal.timeout(15_000),
    });

  it('reports not ready and refuses with 5xx while the database is gone, and recovers by itself', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await register()).status).toBe(201);

    // Load in flight while the database goes away.
    const inFlight = Array.from({ length: 10 }, () => register());
    await admin(async (c) => {
      await c.raw(`alter database ${scratch.name} allow_connections false`);
      await c.raw('select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()', [scratch.name]);
    });
    const during = await Promise.all(inFlight);
    // Each request either finished before the cut or failed loudly: nothing hangs, nothing is a 2xx without its row.
    for (const res of during) expect([201, 503]).toContain(res.status);

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const refused = await register();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);

    await admin((c) => c.raw(`alter database ${scratch.name} allow_connections true`));
    let recovered = 0;
    for (let i = 0; i < 40 && recovered === 0; i += 1) {
      if ((await fetch(`${base}/readyz`)).status === 200) recovered = 1;
      else await new Promise((r) => setTimeout(r, 250));
    }
    expect(recovered).toBe(1);
    expect((await register()).status).toBe(201);

    // Every 201 answered during the outage has its user row: acknowledged means stored.
    const created = during.filter((r) => r.status === 201).length;
    const users = await sql(scratch.url, async (db) => Number(((await db.raw('select count(*)::int as n from users')) as { rows: Array<{ n: number }> }).rows[0]!.n));
    expect(users).toBe(2 + created);
  }, 60_000);
});
