// npm run bench:jobs — jobs/s on PostgreSQL (TEST_DATABASE_URL or DATABASE_URL) in a scratch database
// on that server, dropped afterwards: pg-boss's own work() loop with a no-op handler (the baseline),
// our JobWorker with a no-op handler, and our JobWorker running inbound.message.
import { cpus, totalmem } from 'node:os';
import { openDatabase, persistenceModule, createMikroOrmRepositories } from '@palette/adapters/persistence';
import { JobRegistry, JobWorker, PALETTE_QUEUES, QueueEngine, type QueueDefinition } from '@palette/adapters/queue';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { Ids, InstagramAccount, ReceiveInboundMessage, Workspace } from '@palette/domain';
import { inboundMessageHandler } from '../src/handlers/inbound-message.js';

const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
if (!serverUrl) {
  process.stderr.write('Set TEST_DATABASE_URL or DATABASE_URL to a PostgreSQL server where a scratch database may be created.\n');
  process.exit(1);
}
const NOOP_JOBS = Number(process.env.BENCH_JOBS ?? 3000);
const INBOUND_JOBS = Number(process.env.BENCH_INBOUND_JOBS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

const name = `palette_bench_${Date.now().toString(36)}`;
const url = new URL(serverUrl);
url.pathname = `/${name}`;
const admin = await openDatabase({ databaseUrl: serverUrl, dataDir: 'unused', ...persistenceModule() });
await admin.orm.em.getConnection().execute(`create database ${name}`);
const database = await openDatabase({ databaseUrl: url.toString(), dataDir: 'unused', ...persistenceModule() });
await database.migrate();
const engine = await QueueEngine.open({ connection: { connectionString: url.toString(), maxConnections: CONCURRENCY + 4 }, role: 'worker' });

async function completed(queue: string): Promise<number> {
  const { rows } = await engine.sql<{ c: string }>(`select count(*) as c from ${engine.schema}.job where name = $1 and state = 'completed'`, [queue]);
  return Number(rows[0]!.c);
}
async function insert(queue: string, count: number, data: (n: number) => { data: object; singletonKey?: string }): Promise<void> {
  for (let from = 0; from < count; from += 500) {
    const batch = Array.from({ length: Math.min(500, count - from) }, (_, i) => ({ name: queue, ...data(from + i) }));
    await engine.boss.insert(batch);
  }
}
async function timeUntilDone(queue: string, count: number, start: () => Promise<unknown> | unknown): Promise<number> {
  const began = performance.now();
  await start();
  while ((await completed(queue)) < count) await new Promise((r) => setTimeout(r, 20));
  return count / ((performance.now() - began) / 1000);
}
const queue = (q: string, extra: Partial<QueueDefinition> = {}): QueueDefinition => ({ name: q, expireInSeconds: 30, retryLimit: 3, retryDelaySeconds: 1, ordered: false, concurrency: CONCURRENCY, ...extra });

try {
  // 1. Baseline: pg-boss's own work() loops (one per slot, batchSize 1), no-op handler.
  const baselineQueue = queue('bench.pgboss-noop');
  await engine.ensureQueues([baselineQueue]);
  await insert(baselineQueue.name, NOOP_JOBS, (n) => ({ data: { n } }));
  const baseline = await timeUntilDone(baselineQueue.name, NOOP_JOBS, async () => {
    for (let i = 0; i < CONCURRENCY; i++) await engine.boss.work(baselineQueue.name, { pollingIntervalSeconds: 0.5 }, async () => undefined);
  });
  await engine.boss.offWork(baselineQueue.name);
  // pg-boss 10 waits a polling interval after every fetch, busy or not: batches are its way to throughput.
  const batchedQueue = queue('bench.pgboss-noop-batched');
  await engine.ensureQueues([batchedQueue]);
  await insert(batchedQueue.name, NOOP_JOBS, (n) => ({ data: { n } }));
  const batched = await timeUntilDone(batchedQueue.name, NOOP_JOBS, async () => {
    for (let i = 0; i < CONCURRENCY; i++) await engine.boss.work(batchedQueue.name, { pollingIntervalSeconds: 0.5, batchSize: 50 }, async () => undefined);
  });
  await engine.boss.offWork(batchedQueue.name);

  // 2. Our worker, no-op handler.
  const noopQueue = queue('bench.noop');
  await engine.ensureQueues([noopQueue]);
  await insert(noopQueue.name, NOOP_JOBS, (n) => ({ data: { n } }));
  const noopRegistry = new JobRegistry([noopQueue]).handle(noopQueue.name, async () => undefined);
  const noopWorker = new JobWorker(engine, noopRegistry, { pollIntervalMs: 50 });
  const noop = await timeUntilDone(noopQueue.name, NOOP_JOBS, () => noopWorker.start());
  await noopWorker.stop();

  // 3. inbound.message through ReceiveInboundMessage (MikroORM), 50 customers, ordered per customer.
  const now = new Date();
  const repos = createMikroOrmRepositories(database.orm);
  await repos.uow.run(async () => {
    const ws = Workspace.create({ id: Ids.workspace(new UuidV7Generator().next()), name: 'Bench', timezone: 'UTC', defaultCurrency: 'EUR', now }, { isKnownTimezone: () => true });
    if (!ws.ok) throw new Error('workspace');
    await repos.workspaces.save(ws.value);
    const account = InstagramAccount.connect({
      id: Ids.instagramAccount(new UuidV7Generator().next()), workspaceId: ws.value.id, igUserId: '17841400000000001', username: 'bench', accountType: 'Business',
      grantedScopes: ['instagram_business_basic', 'instagram_business_manage_messages'], tokenRef: Ids.secret(new UuidV7Generator().next()), tokenExpiresAt: new Date(now.getTime() + 86400_000), now,
    });
    if (!account.ok) throw new Error('account');
    await repos.accounts.save(account.value);
  });
  const inboundQueue = { ...PALETTE_QUEUES.inboundMessage, concurrency: CONCURRENCY };
  await engine.ensureQueues([inboundQueue]);
  await insert(inboundQueue.name, INBOUND_JOBS, (n) => ({
    data: { igUserId: '17841400000000001', senderIgsid: `igsid-${n % 50}`, platformMessageId: `mid.${n}`, text: `message ${n}`, attachments: [], replyTo: null, sentAt: new Date(now.getTime() + n).toISOString(), entryPoint: 'organic_dm' },
    singletonKey: `sender:${n % 50}`,
  }));
  const ids = new UuidV7Generator();
  const clock = new SystemClock();
  const inboundRegistry = new JobRegistry([inboundQueue]).handle(
    inboundQueue.name,
    inboundMessageHandler(() => new ReceiveInboundMessage({ ...createMikroOrmRepositories(database.orm), clock, ids })),
  );
  const inboundWorker = new JobWorker(engine, inboundRegistry, { pollIntervalMs: 50, orderingRecheckMs: 20 });
  const inbound = await timeUntilDone(inboundQueue.name, INBOUND_JOBS, () => inboundWorker.start());
  await inboundWorker.stop();
  const counted = await database.orm.em.fork().getConnection().execute<Array<{ count: string }>>('select count(*) as count from messages');
  const count = counted[0]?.count;

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    [
      `machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
      `concurrency ${CONCURRENCY} per queue, one process, PostgreSQL at ${url.host}`,
      `pg-boss work() no-op (baseline): ${baseline.toFixed(0)} jobs/s (${NOOP_JOBS} jobs, ${CONCURRENCY} work() loops, batchSize 1)`,
      `pg-boss work() no-op, batches:   ${batched.toFixed(0)} jobs/s (${NOOP_JOBS} jobs, ${CONCURRENCY} work() loops, batchSize 50)`,
      `JobWorker no-op:                 ${noop.toFixed(0)} jobs/s (${NOOP_JOBS} jobs)`,
      `JobWorker inbound.message:       ${inbound.toFixed(0)} jobs/s (${INBOUND_JOBS} jobs, 50 ordered conversations, ${count} messages stored)`,
    ].join('\n') + '\n',
  );
} finally {
  await engine.stop();
  await database.close();
  await admin.orm.em.getConnection().execute(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`);
  await admin.orm.em.getConnection().execute(`drop database if exists ${name}`);
  await admin.close();
}
