// npm run bench:pipeline — inbound-to-reply replies/s end to end on PostgreSQL (TEST_DATABASE_URL or
// DATABASE_URL; a scratch database on that server, dropped afterwards). The Instagram simulator
// sends customer DMs as signed webhooks to the real HTTP app (signature, inbox, enqueue); the real
// worker (`startWorker`, every handler) turns each into a conversation message, runs the assistant
// (the offline assistant: no model latency) and sends its reply through the rate-limited
// outbound.send path back to the simulator, whose echoes come back as webhooks too. Many
// conversations over several accounts, each with its own Send API budget (100 text calls/s): the
// figure is assistant replies accepted by the simulator per second, from the first webhook to the
// last reply. The bench prints (does not assert) whether the simulator saw any account above its
// limit. Baseline, same run, same database: pg-boss's own work() loop with a no-op handler
// (bench:jobs' baseline). Not a test: nothing here decides pass or fail except a lost reply.
//   BENCH_ACCOUNTS (4)  BENCH_CONVERSATIONS (30 per account)  BENCH_MESSAGES (3 per conversation)
//   BENCH_SEND_CONCURRENCY (32 webhooks in flight)  BENCH_BASELINE_JOBS (1000)  BENCH_TIMEOUT_S (300)
//   BENCH_POLL_MS (500, the worker's idle polling)  BENCH_QUERIES=1 (count the run's SQL statements by text)
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { pino } from 'pino';
import { ConnectInstagramAccount, Ids, type WorkspaceId } from '@palette/domain';
import { AesGcmTokenCipher, parseKeyring } from '@palette/adapters/crypto';
import { createInstagramServices, createSimulator, loadInstagramSettings, RATE_LIMITS, sqlRowsOf, type Simulator } from '@palette/adapters/instagram';
import { createMikroOrmRepositories, createSqlAssistantRecords, createSqlInstagramWebhookStores, IN_MEMORY_DATA_DIR, openDatabase, persistenceModule } from '@palette/adapters/persistence';
import { DeadLetters, PALETTE_QUEUE_LIST, PgBossJobQueue, QueueEngine, queueConnectionFor, type QueueDefinition } from '@palette/adapters/queue';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { loadConfig, startHttpService, type RunningServer } from '@palette/app-http';
import { startWorker, type RunningWorker } from '../src/index.js';

const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
if (!serverUrl) {
  process.stderr.write('Set TEST_DATABASE_URL or DATABASE_URL to a PostgreSQL server where a scratch database may be created.\n');
  process.exit(1);
}
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 4);
const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 30);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 3);
const SEND_CONCURRENCY = Number(process.env.BENCH_SEND_CONCURRENCY ?? 32);
const BASELINE_JOBS = Number(process.env.BENCH_BASELINE_JOBS ?? 1000);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 300) * 1000;
// The worker's idle-queue polling (its default is 500 ms); every idle queue costs a fetch per interval.
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 500);
const APP = { appId: 'bench-pipeline-app', appSecret: 'bench-pipeline-secret' };
const KEYRING = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// BENCH_QUERIES=1: count the statements every pg client of this process sends (MikroORM, pg-boss
// and the inbox store share node_modules/pg), to see which ones a DM costs. Off by default.
const statements = new Map<string, number>();
let counting = false;
if (process.env.BENCH_QUERIES === '1') {
  const pg = createRequire(import.meta.url)('pg') as { Client: { prototype: { query: (...args: unknown[]) => unknown } } };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    if (counting) {
      const first = args[0] as string | { text?: string; name?: string } | undefined;
      const text = typeof first === 'string' ? first : first?.text ?? first?.name ?? '?';
      const key = text.replace(/\s+/g, ' ').replace(/\$\d+|'[^']*'|\b\d+\b/g, '?').slice(0, 110);
      statements.set(key, (statements.get(key) ?? 0) + 1);
    }
    return query.apply(this, args);
  };
}

const name = `palette_bench_${Date.now().toString(36)}`;
const url = new URL(serverUrl);
url.pathname = `/${name}`;
const admin = await openDatabase({ databaseUrl: serverUrl, dataDir: IN_MEMORY_DATA_DIR, ...persistenceModule() });
await admin.orm.em.getConnection().execute(`create database ${name}`);
const database = await openDatabase({ databaseUrl: url.toString(), dataDir: IN_MEMORY_DATA_DIR, ...persistenceModule() });
const sql = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => database.orm.em.fork().getConnection().execute<T[]>(text, params as never[]);

let sim: Simulator | undefined;
let worker: RunningWorker | undefined;
let http: RunningServer | undefined;
let producer: QueueEngine | undefined;
let baselineEngine: QueueEngine | undefined;
try {
  await database.migrate();
  const igUsers = Array.from({ length: ACCOUNTS }, (_, i) => `178414555${String(i).padStart(8, '0')}`);
  sim = await createSimulator({ ...APP, accounts: igUsers.map((igUserId, i) => ({ igUserId, username: `bench_shop_${i}` })), requireSubscription: false });
  const cipher = new AesGcmTokenCipher(parseKeyring(KEYRING));
  const clock = new SystemClock();
  const ids = new UuidV7Generator();
  // One workspace per account, as separate shops would be; the offline assistant answers every DM.
  for (const [i, igUserId] of igUsers.entries()) {
    const ws = Ids.workspace(randomUUID()) as WorkspaceId;
    const repos = createMikroOrmRepositories(database.orm);
    await sql(`insert into workspaces (id, name, timezone, default_currency, retention, created_at, updated_at) values (?, ?, 'UTC', 'EUR', '{}', now(), now())`, [ws, `Bench shop ${i}`]);
    const connected = await new ConnectInstagramAccount({ ...repos, cipher, clock, ids }).execute({
      workspaceId: ws, igUserId, username: `bench_shop_${i}`, accountType: 'Business', grantedScopes: ['instagram_business_basic', 'instagram_business_manage_messages'],
      accessToken: sim.issueToken({ igUserId }), tokenExpiresAt: new Date(Date.now() + 60 * 86400_000),
    });
    if (!connected.ok) throw new Error(connected.error.kind);
    await repos.uow.run(() => createSqlAssistantRecords(repos.uow).save({
      workspaceId: ws, enabled: true, provider: 'offline', model: null, baseUrl: null, apiKeyRef: null, restorePersonalData: false, timeoutMs: 5_000, updatedAt: new Date(),
    }));
    await createSqlInstagramWebhookStores(repos.uow).aliases.remember(sim.account(igUserId).appScopedId, { workspaceId: ws, accountId: connected.value.account.id });
  }

  const settings = loadInstagramSettings({ INSTAGRAM_GRAPH_URL: sim.url, INSTAGRAM_APP_ID: APP.appId, INSTAGRAM_APP_SECRET: APP.appSecret });
  if (!settings.ok) throw new Error(settings.problems.join('; '));
  const logger = pino({ level: 'silent' });
  worker = await startWorker({
    database, databaseUrl: url.toString(), logger, worker: { pollIntervalMs: POLL_MS },
    instagram: { cipher, instagram: createInstagramServices({ settings: settings.value, sql: sqlRowsOf(database.orm.em.fork()) }) },
    llm: { provider: 'offline', model: null, baseUrl: null, apiKey: null, timeoutMs: 5_000 },
  });
  const loaded = loadConfig({ PORT: '0', HOST: '127.0.0.1', INSTAGRAM_APP_SECRET: APP.appSecret, LOG_LEVEL: 'silent' });
  if (!loaded.ok) throw new Error('config');
  producer = await QueueEngine.open({ connection: queueConnectionFor(database), role: 'producer' });
  http = await startHttpService({ config: loaded.value, logger, database, jobs: new PgBossJobQueue(producer, new Map(PALETTE_QUEUE_LIST.map((q) => [q.name, q]))), failedJobs: new DeadLetters(producer) });
  sim.setWebhookUrl(`${http.url.replace(/\/$/, '')}/webhooks/instagram`);

  const replies = async (): Promise<number> =>
    (await sql<{ n: number }>("select count(*)::int as n from messages where direction = 'outbound' and author_kind = 'assistant' and delivery_state = 'sent'"))[0]!.n;
  const inboundCount = async (): Promise<number> => (await sql<{ n: number }>("select count(*)::int as n from messages where direction = 'inbound'"))[0]!.n;
  async function drive(actions: Array<{ igUserId: string; igsid: string; text: string }>): Promise<number> {
    let next = 0;
    let refused = 0;
    await Promise.all(Array.from({ length: SEND_CONCURRENCY }, async () => {
      while (next < actions.length) {
        const r = await sim!.customerSends(actions[next++]!);
        if (r.deliveries.some((d) => d.status !== 200)) refused += 1;
      }
    }));
    return refused;
  }
  async function until(target: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) { if (await target()) return true; await sleep(100); }
    return false;
  }

  // Warm-up: one conversation per account (first messages also open the conversations' paths in the JIT).
  const warm = igUsers.map((igUserId) => ({ igUserId, igsid: `${igUserId.slice(-6)}0000000000`, text: 'Hi! Do you ship to Lisbon?' }));
  await drive(warm);
  const warmRepliesNeeded = warm.length;
  if (!(await until(async () => (await replies()) >= warmRepliesNeeded, 120_000))) throw new Error(`warm-up: ${await replies()} of ${warmRepliesNeeded} replies`);
  await sim.idle();
  const repliesBefore = await replies();
  const inboundBefore = await inboundCount();

  // The run: CONVERSATIONS customers per account, MESSAGES each, interleaved across accounts.
  const actions: Array<{ igUserId: string; igsid: string; text: string }> = [];
  for (let m = 0; m < MESSAGES; m++) {
    for (let c = 0; c < CONVERSATIONS; c++) {
      for (const igUserId of igUsers) actions.push({ igUserId, igsid: `${igUserId.slice(-6)}${String(c + 1).padStart(10, '0')}`, text: `Is the linen shirt in size M available? (${m + 1})` });
    }
  }
  sim.resetStats();
  counting = true;
  const began = performance.now();
  const refused = await drive(actions);
  const ackedMs = performance.now() - began;
  // Done when nothing is left to do: no customer-facing job waiting or running and no reply still
  // queued. (The assistant answers a burst of messages from one customer once, so replies can be
  // fewer than DMs; its audit records say so below.) The time is that of the last reply sent.
  const pending = async (): Promise<number> => (await sql<{ n: number }>(
    `select (select count(*)::int from pgboss.job where name in ('instagram.webhook', 'inbound.message', 'assistant.reply', 'outbound.send') and state in ('created', 'retry', 'active'))
          + (select count(*)::int from messages where direction = 'outbound' and delivery_state in ('queued', 'sending')) as n`))[0]!.n;
  let lastCount = -1;
  let done = false;
  const deadline = Date.now() + TIMEOUT_MS;
  let doneMs = 0;
  while (Date.now() < deadline) {
    const n = (await replies()) - repliesBefore;
    if (n !== lastCount) { lastCount = n; doneMs = performance.now() - began; }
    if ((await pending()) === 0 && (await inboundCount()) - inboundBefore >= actions.length) { done = true; break; }
    await sleep(50);
  }
  counting = false;
  const replied = lastCount;
  const inbound = (await inboundCount()) - inboundBefore;
  // Where the replies that did not go out stand: the assistant's outcomes and the outbound states.
  const outcomes = await sql<{ outcome: string; n: number }>('select outcome, count(*)::int as n from ai_audit_records group by outcome order by outcome');
  const outbound = await sql<{ author_kind: string; delivery_state: string; n: number }>(
    "select author_kind, delivery_state, count(*)::int as n from messages where direction = 'outbound' group by author_kind, delivery_state order by 1, 2");
  // Per queue: how long jobs waited to start and how long they ran (milliseconds, this run only).
  const queues = await sql<{ name: string; n: number; wait_p50: number; wait_p95: number; run_p50: number; run_p95: number }>(
    `select name, count(*)::int as n,
            round(percentile_cont(0.5) within group (order by extract(epoch from started_on - created_on)) * 1000)::int as wait_p50,
            round(percentile_cont(0.95) within group (order by extract(epoch from started_on - created_on)) * 1000)::int as wait_p95,
            round(percentile_cont(0.5) within group (order by extract(epoch from completed_on - started_on)) * 1000)::int as run_p50,
            round(percentile_cont(0.95) within group (order by extract(epoch from completed_on - started_on)) * 1000)::int as run_p95
       from pgboss.job where state = 'completed' and created_on >= now() - make_interval(secs => ?) and name not like 'bench.%'
      group by name order by name`, [Math.ceil((performance.now() - began) / 1000)]);
  const stats = igUsers.map((ig) => ({ ig, ...sim!.stats(ig) }));
  const peakByAccount = stats.map((s) => s.maxPerWindow.text);
  const overLimit = stats.filter((s) => s.maxPerWindow.text > RATE_LIMITS.text.limit || s.rejectedForRate > 0);
  await sim.idle();

  // Baseline in the same run and database: pg-boss's work() loop, no-op, batchSize 1, 8 loops.
  baselineEngine = await QueueEngine.open({ connection: { connectionString: url.toString(), maxConnections: 12 }, role: 'worker' });
  const baselineQueue: QueueDefinition = { name: 'bench.pgboss-noop', expireInSeconds: 30, retryLimit: 3, retryDelaySeconds: 1, ordered: false, concurrency: 8 };
  await baselineEngine.ensureQueues([baselineQueue]);
  for (let from = 0; from < BASELINE_JOBS; from += 500) {
    await baselineEngine.boss.insert(Array.from({ length: Math.min(500, BASELINE_JOBS - from) }, (_, i) => ({ name: baselineQueue.name, data: { n: from + i } })));
  }
  const completed = async () => Number((await baselineEngine!.sql<{ c: string }>(`select count(*) as c from ${baselineEngine!.schema}.job where name = $1 and state = 'completed'`, [baselineQueue.name])).rows[0]!.c);
  const baselineBegan = performance.now();
  for (let i = 0; i < 8; i++) await baselineEngine.boss.work(baselineQueue.name, { pollingIntervalSeconds: 0.5 }, async () => undefined);
  while ((await completed()) < BASELINE_JOBS) await sleep(20);
  const baseline = BASELINE_JOBS / ((performance.now() - baselineBegan) / 1000);
  await baselineEngine.boss.offWork(baselineQueue.name);

  const rate = replied / (doneMs / 1000);
  process.stdout.write([
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; PostgreSQL at ${url.host}`,
    `pipeline: ${ACCOUNTS} accounts × ${CONVERSATIONS} conversations × ${MESSAGES} DMs = ${actions.length} signed webhooks (${SEND_CONCURRENCY} in flight, worker polling ${POLL_MS} ms), simulator → HTTP → worker (offline assistant) → outbound.send → simulator`,
    `  webhooks acknowledged in ${(ackedMs / 1000).toFixed(1)} s (${refused} not answered 200); ${inbound} inbound messages stored`,
    `  assistant replies sent: ${replied} for ${actions.length} DMs in ${(doneMs / 1000).toFixed(1)} s = ${rate.toFixed(1)} replies/s end to end${done ? '' : ' (INCOMPLETE: timed out with work pending)'}`,
    `  Send API peak per account (text calls in any 1 s window): ${peakByAccount.join(', ')} (limit ${RATE_LIMITS.text.limit}); ${overLimit.length === 0 ? 'no account above its limit, none refused for rate' : `ABOVE THE LIMIT: ${overLimit.map((s) => `${s.ig} peak ${s.maxPerWindow.text}, ${s.rejectedForRate} refused`).join('; ')}`}`,
    `  assistant outcomes (warm-up included): ${outcomes.map((o) => `${o.outcome} ${o.n}`).join(', ')}; outbound messages: ${outbound.map((o) => `${o.author_kind}/${o.delivery_state} ${o.n}`).join(', ')}`,
    ...queues.map((q) => `  queue ${q.name}: ${q.n} jobs, waited p50 ${q.wait_p50} ms / p95 ${q.wait_p95} ms, ran p50 ${q.run_p50} ms / p95 ${q.run_p95} ms`),
    ...(statements.size === 0 ? [] : [
      `  statements sent during the run (BENCH_QUERIES=1): ${[...statements.values()].reduce((a, b) => a + b, 0)} = ${([...statements.values()].reduce((a, b) => a + b, 0) / actions.length).toFixed(1)} per DM (the bench's own polling included); most frequent:`,
      ...[...statements].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, n]) => `    ${String(n).padStart(6)}  ${k}`),
    ]),
    `baseline pg-boss work() no-op: ${baseline.toFixed(0)} jobs/s (${BASELINE_JOBS} jobs, 8 loops, batchSize 1)`,
    `ratio replies/s ÷ no-op jobs/s: ${(rate / baseline).toFixed(2)}×; target ≥ 300 replies/s: ${rate >= 300 ? 'met' : 'missed'}`,
  ].join('\n') + '\n');
  if (!done || overLimit.length > 0) process.exitCode = 1;
} finally {
  await sim?.close().catch(() => undefined);
  if (http) await new Promise<void>((resolve) => { http!.server.closeAllConnections(); http!.server.close(() => resolve()); });
  await worker?.stop().catch(() => undefined);
  await producer?.stop().catch(() => undefined);
  await baselineEngine?.stop().catch(() => undefined);
  await database.close();
  await admin.orm.em.getConnection().execute(`drop database if exists ${name} with (force)`);
  await admin.close();
}
