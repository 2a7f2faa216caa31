import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { persistenceModule } from '@palette/adapters/persistence';
import { PALETTE_QUEUE_LIST, PermanentJobError, type QueueDefinition } from '@palette/adapters/queue';
import { loadWorkerConfig, startWorker, type RunningWorker } from '@palette/app-worker';
import { openTestDatabase, type TestDatabase } from '../../adapters/test/support/databases.js';

describe('loadWorkerConfig', () => {
  it('has defaults, and lists every bad variable without echoing DATABASE_URL', () => {
    expect(loadWorkerConfig({})).toEqual({
      ok: true,
      value: { databaseUrl: undefined, dataDir: './.palette', logLevel: 'info', metricsPort: 9464, metricsHost: '127.0.0.1', shutdownGraceMs: 10_000 },
    });
    expect(loadWorkerConfig({ WORKER_METRICS_PORT: '0', PALETTE_DATA_DIR: '' })).toMatchObject({ ok: true, value: { metricsPort: 0, dataDir: './.palette' } });
    const bad = loadWorkerConfig({ WORKER_METRICS_PORT: '70000', DATABASE_URL: 'mysql://user:pw@host/db', LOG_LEVEL: 'loud' });
    expect(bad.ok).toBe(false);
    const problems = bad.ok ? [] : bad.problems;
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'WORKER_METRICS_PORT']);
    expect(problems.join('\n')).not.toContain('pw@host');
  });
});

describe('startWorker (embedded PGlite)', () => {
  let db: TestDatabase;
  let running: RunningWorker;
  const extra: QueueDefinition = { name: 'test.metrics', expireInSeconds: 5, retryLimit: 1, retryDelaySeconds: 1, ordered: false, concurrency: 1 };

  beforeAll(async () => {
    db = await openTestDatabase('pglite', persistenceModule());
    running = await startWorker({
      database: db.database,
      logger: pino({ level: 'silent' }),
      queues: [...PALETTE_QUEUE_LIST, extra],
      metricsPort: 0,
      worker: { pollIntervalMs: 100 },
      register: (registry) =>
        registry.handle(extra.name, async (job) => {
          if ((job.data as { fail?: boolean }).fail) throw new PermanentJobError('told to fail', { workspaceId: 'ws-m' });
        }),
    });
  });
  afterAll(async () => {
    await running?.stop();
    await db?.teardown();
  });

  it('runs the hourly retention sweep: audit entries older than a year are deleted, younger ones kept', async () => {
    const em = db.database.orm.em.fork();
    const ws = '0190b000-0000-7000-8000-000000000001';
    await em.execute(`insert into workspaces (id, name, timezone, default_currency, retention, created_at, updated_at) values ('${ws}', 'Shop', 'UTC', 'EUR', '{}', now(), now())`);
    await em.execute(`insert into audit_entries (id, workspace_id, actor, action, at) values
      ('0190b000-0000-7000-8000-000000000002', '${ws}', '{"kind":"system"}', 'old', now() - interval '400 days'),
      ('0190b000-0000-7000-8000-000000000003', '${ws}', '{"kind":"system"}', 'recent', now() - interval '10 days')`);
    await running.jobs.enqueue({ name: 'privacy.retention-sweep', data: {} });
    const remaining = async () => (await em.execute<Array<{ action: string }>>(`select action from audit_entries where workspace_id = '${ws}' order by action`)).map((r) => r.action);
    const deadline = Date.now() + 15_000;
    while ((await remaining()).includes('old') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await remaining()).toEqual(['recent']);
  });

  it('creates every queue and the cron schedules', async () => {
    const queues = (await running.engine.boss.getQueues()).filter((q) => !q.name.startsWith('__pgboss'));
    expect(queues.map((q) => q.name).sort()).toEqual([...PALETTE_QUEUE_LIST.map((q) => q.name), extra.name].sort());
    expect(queues.find((q) => q.name === 'outbound.send')?.expireInSeconds).toBe(30);
    const schedules = await running.engine.boss.getSchedules();
    expect(Object.fromEntries(schedules.map((s) => [s.name, s.cron]))).toEqual(
      Object.fromEntries(PALETTE_QUEUE_LIST.filter((q) => q.cron).map((q) => [q.name, q.cron])),
    );
  });

  it('runs handlers registered by later features, and lists a permanent failure as a dead letter of its workspace', async () => {
    await running.jobs.enqueue({ name: extra.name, data: {} });
    await running.jobs.enqueue({ name: extra.name, data: { fail: true } });
    const deadline = Date.now() + 15_000;
    while ((await running.deadLetters.list('ws-m')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [dead] = await running.deadLetters.list('ws-m');
    expect(dead).toMatchObject({ queue: extra.name, reason: 'told to fail', permanent: true });
  });
});

describe('startWorker metrics endpoint', () => {
  it('serves /metrics on the given port and 404 elsewhere', async () => {
    const db = await openTestDatabase('pglite', persistenceModule());
    const running = await startWorker({ database: db.database, logger: pino({ level: 'silent' }), metricsPort: 39464 });
    try {
      expect(running.metricsUrl).toBe('http://127.0.0.1:39464/metrics');
      const response = await fetch(running.metricsUrl!);
      expect(response.status).toBe(200);
      const body = await response.text();
      expect(body).toContain('palette_queue_jobs{queue="inbound.message",state="created"} 0');
      for (const name of ['palette_job_wait_seconds', 'palette_job_duration_seconds', 'palette_job_failures_total', 'palette_job_retries_total', 'palette_jobs_dead_lettered_total']) {
        expect(body).toContain(`# TYPE ${name}`);
      }
      expect((await fetch('http://127.0.0.1:39464/')).status).toBe(404);
    } finally {
      await running.stop();
      await db.teardown();
    }
    await expect(fetch('http://127.0.0.1:39464/metrics')).rejects.toThrow();
  });
});
