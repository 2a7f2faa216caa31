import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { knex } from '@mikro-orm/postgresql';
import { pino } from 'pino';
import { ConnectInstagramAccount, Ids, type WorkspaceId } from '@palette/domain';
import { AesGcmTokenCipher, parseKeyring, signHubPayload } from '@palette/adapters/crypto';
import { createInstagramServices, createSimulator, loadInstagramSettings, sqlRowsOf, type Simulator } from '@palette/adapters/instagram';
import { createMikroOrmRepositories, createSqlInstagramWebhookStores, IN_MEMORY_DATA_DIR, openDatabase, persistenceModule, type Database } from '@palette/adapters/persistence';
import { PALETTE_QUEUE_LIST, PgBossJobQueue, QueueEngine } from '@palette/adapters/queue';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { loadConfig } from '../../../app-http/src/config.js';
import type { RunningServer } from '../../../app-http/src/server.js';
import { startHttpService } from '../../../app-http/src/start-http.js';
import { startWorker, type RunningWorker } from '../../src/index.js';
import { instagramWebhookSweepHandler } from '../../src/handlers/instagram-webhook.js';
import { createScratchPostgresDatabase, describeOnPostgres, testDatabaseUrl, type ScratchPostgresDatabase } from '../../../adapters/test/support/databases.js';

// Issue #11, fault injection: PostgreSQL drops every connection of the app's database, again and
// again, while Meta posts signed webhooks. An acknowledged delivery is a stored delivery; the others
// got a 5xx (Meta redelivers those); HTTP and the worker recover without a restart.

const IG = '17841455500334455';
const SECRET = 'faults-webhook-app-secret';
const KEYRING = `k1:${Buffer.alloc(32, 5).toString('base64')}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describeOnPostgres('PostgreSQL connections killed while webhooks arrive', () => {
  let scratch: ScratchPostgresDatabase;
  let database: Database;
  let producer: QueueEngine;
  let running: RunningServer;
  let worker: RunningWorker;
  let sim: Simulator;
  let base: string;
  const ws = Ids.workspace(randomUUID()) as WorkspaceId;
  const sql = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => database.orm.em.fork().getConnection().execute<T[]>(text, params as never[]);

  async function admin<T>(work: (db: ReturnType<typeof knex>) => Promise<T>): Promise<T> {
    const db = knex({ client: 'pg', connection: testDatabaseUrl, pool: { min: 0, max: 1 } });
    try {
      return await work(db);
    } finally {
      await db.destroy();
    }
  }
  /** Kills the scratch database's sessions only (never another database's), from the admin database. */
  const killBackends = () => admin(async (db) => {
    const r = (await db.raw('select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()) t', [scratch.name])) as { rows: Array<{ n: number }> };
    return r.rows[0]!.n;
  });
  /** While false, new connections to the scratch database are refused (as while a server restarts). */
  const allowConnections = (allow: boolean) => admin((db) => db.raw(`alter database ${scratch.name} allow_connections ${allow}`));

  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase();
    database = await openDatabase({ databaseUrl: scratch.url, dataDir: IN_MEMORY_DATA_DIR, ...persistenceModule() });
    await database.migrate();
    sim = await createSimulator({ appId: 'faults-outage-app', appSecret: SECRET, accounts: [{ igUserId: IG, username: 'outage_shop' }] });
    const cipher = new AesGcmTokenCipher(parseKeyring(KEYRING));
    await database.orm.em.fork().execute(`insert into workspaces (id, name, timezone, default_currency, retention, created_at, updated_at) values ('${ws}', 'Shop', 'UTC', 'EUR', '{}', now(), now())`);
    const connected = await new ConnectInstagramAccount({ ...createMikroOrmRepositories(database.orm), cipher, clock: new SystemClock(), ids: new UuidV7Generator() }).execute({
      workspaceId: ws, igUserId: IG, username: 'outage_shop', accountType: 'Business', grantedScopes: ['instagram_business_basic', 'instagram_business_manage_messages'],
      accessToken: sim.issueToken({ igUserId: IG }), tokenExpiresAt: new Date(Date.now() + 60 * 86400_000),
    });
    if (!connected.ok) throw new Error(connected.error.kind);

    const loaded = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: scratch.url, PUBLIC_URL: 'http://127.0.0.1', INSTAGRAM_APP_SECRET: SECRET });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    // The HTTP side enqueues through its own pg-boss producer, as in production.
    producer = await QueueEngine.open({ connection: { connectionString: scratch.url }, role: 'producer' });
    const jobs = new PgBossJobQueue(producer, new Map(PALETTE_QUEUE_LIST.map((q) => [q.name, q])));
    running = await startHttpService({ config: loaded.value, logger: pino({ level: 'silent' }), database, jobs });
    base = running.url.replace(/\/$/, '');

    const settings = loadInstagramSettings({ INSTAGRAM_GRAPH_URL: sim.url, INSTAGRAM_APP_ID: 'faults-outage-app', INSTAGRAM_APP_SECRET: SECRET });
    if (!settings.ok) throw new Error(settings.problems.join('; '));
    worker = await startWorker({
      database, databaseUrl: scratch.url, logger: pino({ level: 'silent' }), worker: { pollIntervalMs: 50 },
      instagram: { cipher, instagram: createInstagramServices({ settings: settings.value, sql: sqlRowsOf(database.orm.em.fork()) }) },
      llm: { provider: 'offline', model: null, baseUrl: null, apiKey: null, timeoutMs: 5_000 },
    });
  }, 60_000);

  afterAll(async () => {
    if (scratch) await allowConnections(true).catch(() => undefined);
    await worker?.stop();
    await producer?.stop();
    if (running) await new Promise<void>((resolve) => running.server.close(() => resolve()));
    await sim?.close();
    await database?.close();
    await scratch?.drop();
  });

  let seq = 0;
  /** One customer DM as Meta posts it: raw bytes signed with the app secret. */
  function delivery(): { raw: string; mid: string } {
    seq += 1;
    const t = Date.now();
    const mid = `aWdfZAG1faXRlbTox-outage-${seq}`;
    const raw = JSON.stringify({
      object: 'instagram',
      entry: [{ id: IG, time: t, messaging: [{ sender: { id: `743219886500${String(seq % 7).padStart(4, '0')}` }, recipient: { id: IG }, timestamp: t, message: { mid, text: `Order question #${seq}` } }] }],
    });
    return { raw, mid };
  }
  const post = async (raw: string): Promise<number> => {
    try {
      const res = await fetch(`${base}/webhooks/instagram`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signHubPayload(raw, SECRET) }, body: raw, signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0; // no answer at all: Meta treats it like a 5xx and redelivers
    }
  };
  const sha = (raw: string) => createHash('sha256').update(raw).digest('hex');

  it('every acknowledged webhook is stored and processed after recovery; the rest got 5xx and are redelivered', async () => {
    const t0 = Date.now();
    const sent: Array<{ raw: string; mid: string; status: number }> = [];
    let killed = 0;
    let killing = true;
    // Three outages: new connections refused and every open one killed for ~700 ms (a restart),
    // then a short recovery, while 6 waves of 8 deliveries are posted.
    const killer = (async () => {
      while (killing) {
        await allowConnections(false);
        killed += await killBackends();
        await sleep(700);
        await allowConnections(true);
        await sleep(400);
      }
    })();
    for (let wave = 0; wave < 6; wave++) {
      const batch = Array.from({ length: 8 }, () => delivery());
      const statuses = await Promise.all(batch.map((d) => post(d.raw)));
      batch.forEach((d, i) => sent.push({ ...d, status: statuses[i]! }));
      await sleep(200);
    }
    killing = false;
    await killer;
    expect(killed).toBeGreaterThan(0);

    const acked = sent.filter((s) => s.status >= 200 && s.status < 300);
    const refused = sent.filter((s) => !(s.status >= 200 && s.status < 300));
    // Nothing in between: a delivery is either acknowledged or refused with a server error.
    for (const s of refused) expect(s.status === 0 || s.status >= 500).toBe(true);
    expect(acked.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);

    const outageMs = Date.now() - t0;
    // Recovery without a restart: readiness comes back by itself.
    const deadline = Date.now() + 15_000;
    while ((await fetch(`${base}/readyz`).then((r) => r.status, () => 0)) !== 200) {
      if (Date.now() > deadline) throw new Error('/readyz did not recover');
      await sleep(200);
    }
    // Acknowledged means stored: every 2xx body is in the inbox, byte for byte.
    const stored = new Map((await sql<{ payload_sha256: string; raw_body: string }>('select payload_sha256, raw_body from instagram_webhook_inbox')).map((r) => [r.payload_sha256.trim(), r.raw_body]));
    for (const s of acked) expect(stored.get(sha(s.raw))).toBe(s.raw);

    const recoveredMs = Date.now() - t0;
    // Meta redelivers what it did not get a 2xx for; now each is accepted.
    for (const s of refused) expect(await post(s.raw)).toBe(200);
    // An enqueue lost in the outage is the sweep's job (a minute later: its clock is moved on).
    const repos = () => createMikroOrmRepositories(database.orm);
    await instagramWebhookSweepHandler({ inbox: () => createSqlInstagramWebhookStores(repos().uow).inbox, jobs: () => worker.jobs, clock: { now: () => new Date(Date.now() + 61_000) } })(
      { id: randomUUID(), queue: 'instagram.webhook-sweep', data: {}, attempt: 1, orderingKey: null, createdAt: new Date(), signal: new AbortController().signal });

    // Processed exactly once each: one inbox row and one inbound message per delivery.
    const until = Date.now() + 20_000;
    let states: Array<{ state: string; n: number }> = [];
    while (Date.now() < until) {
      states = await sql<{ state: string; n: number }>('select state, count(*)::int as n from instagram_webhook_inbox group by state order by state');
      if (states.length === 1 && states[0]!.state === 'processed' && states[0]!.n === sent.length) break;
      await sleep(200);
    }
    expect(states).toEqual([{ state: 'processed', n: sent.length }]);
    const inbound = await sql<{ platform_message_id: string }>(`select platform_message_id from messages where workspace_id = ? and direction = 'inbound'`, [ws]);
    expect(inbound.map((m) => m.platform_message_id).sort()).toEqual(sent.map((s) => s.mid).sort());
    console.info(`postgres outage: ${sent.length} webhooks, ${acked.length} acknowledged during the outage, ${refused.length} refused (${refused.filter((s) => s.status === 0).length} without an answer), ${killed} backends killed; outage ${outageMs} ms, ready again at ${recoveredMs} ms, all processed at ${Date.now() - t0} ms`);
  }, 60_000);
});
