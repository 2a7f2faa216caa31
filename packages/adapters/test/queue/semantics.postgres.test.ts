import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { PermanentJobError, PgBossJobQueue, type QueueDefinition } from '@palette/adapters/queue';
import { createScratchPostgresDatabase, describeOnPostgres, type ScratchPostgresDatabase } from '../support/databases.js';
import { sleep, startTestWorker, testQueue, waitFor, type TestWorker } from './support.js';

describeOnPostgres('job semantics on PostgreSQL', () => {
  let scratch: ScratchPostgresDatabase;
  const workers: TestWorker[] = [];
  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });
  afterAll(async () => {
    await scratch?.drop();
  });
  const start = async (...args: Parameters<typeof startTestWorker> extends [unknown, ...infer Rest] ? Rest : never) => {
    const w = await startTestWorker({ connectionString: scratch.url }, ...args);
    workers.push(w);
    return w;
  };
  const queueOf = (w: TestWorker, queues: QueueDefinition[]) => new PgBossJobQueue(w.engine, new Map(queues.map((q) => [q.name, q])));

  it('runs jobs with the same ordering key one at a time in arrival order, and different keys in parallel', async () => {
    const queues = [testQueue('test.ordered', { ordered: true, concurrency: 4 })];
    const runs: Array<{ key: string; seq: number; start: number; end: number }> = [];
    const handler = async (job: { data: unknown }) => {
      const { key, seq } = job.data as { key: string; seq: number };
      const start = performance.now();
      await sleep(150);
      runs.push({ key, seq, start, end: performance.now() });
    };
    // Two workers on the same queue, so the gate is tested across processes' connections, not only within one.
    const producer = await start(queues);
    const jobs = queueOf(producer, queues);
    for (let seq = 0; seq < 4; seq++) {
      for (const key of ['a', 'b', 'c']) await jobs.enqueue({ name: 'test.ordered', data: { key, seq }, orderingKey: `conversation:${key}` });
    }
    await start(queues, { 'test.ordered': handler });
    await start(queues, { 'test.ordered': handler });
    await waitFor(() => runs.length === 12, 20_000, 'twelve ordered jobs');

    for (const key of ['a', 'b', 'c']) {
      const mine = runs.filter((r) => r.key === key).sort((x, y) => x.start - y.start);
      expect(mine.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.start).toBeGreaterThanOrEqual(mine[i - 1]!.end);
    }
    const overlapping = runs.some((x) => runs.some((y) => x.key !== y.key && x.start < y.end && y.start < x.end));
    expect(overlapping).toBe(true);
    // Sequential per key would take 4 × 150 ms per key; three keys serially would be 12 × 150 ms.
    const span = Math.max(...runs.map((r) => r.end)) - Math.min(...runs.map((r) => r.start));
    expect(span).toBeLessThan(12 * 150);
  });

  it('keeps a later job waiting while an older one with its key is between retries', async () => {
    const queues = [testQueue('test.ordered-retry', { ordered: true, retryDelaySeconds: 1 })];
    const order: string[] = [];
    let failedOnce = false;
    const w = await start(queues, {
      'test.ordered-retry': async (job) => {
        const { n } = job.data as { n: number };
        if (n === 1 && !failedOnce) {
          failedOnce = true;
          throw new Error('transient');
        }
        order.push(`${n}@${job.attempt}`);
      },
    });
    const jobs = queueOf(w, queues);
    await jobs.enqueue({ name: 'test.ordered-retry', data: { n: 1 }, orderingKey: 'k' });
    await jobs.enqueue({ name: 'test.ordered-retry', data: { n: 2 }, orderingKey: 'k' });
    await waitFor(() => order.length === 2, 15_000, 'both jobs');
    expect(order).toEqual(['1@2', '2@1']);
  });

  it('retries transient failures with exponential backoff and jitter, then dead-letters with the reason', async () => {
    const queues = [testQueue('test.flaky', { retryLimit: 2, retryDelaySeconds: 1 })];
    const attempts: number[] = [];
    const w = await start(queues, {
      'test.flaky': async () => {
        attempts.push(Date.now());
        throw new Error('graph api 500');
      },
    });
    await w.engine.boss.send('test.flaky', { workspaceId: 'ws-flaky' });
    await waitFor(() => w.events.some((e) => e.type === 'failed' && !e.willRetry), 15_000, 'the dead letter');
    expect(attempts).toHaveLength(3);
    const gaps = [attempts[1]! - attempts[0]!, attempts[2]! - attempts[1]!];
    // pg-boss: delay × 2^n / 2 plus up to as much again at random → [1 s, 2 s] then [2 s, 4 s] (+ poll slack).
    expect(gaps[0]).toBeGreaterThanOrEqual(950);
    expect(gaps[0]).toBeLessThan(2_500);
    expect(gaps[1]).toBeGreaterThanOrEqual(1_950);
    expect(gaps[1]).toBeLessThan(4_500);
    const { rows } = await w.engine.sql<{ state: string; output: { reason: string; permanent: boolean; workspaceId: string } }>(
      `select state, output from pgboss.job where name = 'test.flaky'`,
    );
    expect(rows).toEqual([{ state: 'failed', output: { reason: 'graph api 500', permanent: false, workspaceId: 'ws-flaky' } }]);
  });

  it('spreads the retry times of simultaneous failures (jitter)', async () => {
    const queues = [testQueue('test.jitter', { retryLimit: 1, retryDelaySeconds: 2, concurrency: 20 })];
    const w = await start(queues);
    await w.engine.boss.insert(Array.from({ length: 20 }, (_, n) => ({ name: 'test.jitter', data: { n } })));
    const fetched = await w.engine.boss.fetch('test.jitter', { batchSize: 20 });
    expect(fetched).toHaveLength(20);
    for (const job of fetched) await w.engine.boss.fail('test.jitter', job.id, { reason: 'x' });
    const { rows } = await w.engine.sql<{ delay: number }>(
      `select extract(epoch from start_after - started_on)::float8 as delay from pgboss.job where name = 'test.jitter' and state = 'retry'`,
    );
    const delays = rows.map((r) => Number(r.delay));
    expect(delays).toHaveLength(20);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(1.9);
    for (const d of delays) expect(d).toBeLessThanOrEqual(4.5);
    expect(new Set(delays.map((d) => d.toFixed(2))).size).toBeGreaterThan(10);
  });

  it('sends a PermanentJobError straight to the dead letters, with no retry', async () => {
    const queues = [testQueue('test.permanent', { retryLimit: 5 })];
    let runs = 0;
    const w = await start(queues, {
      'test.permanent': async () => {
        runs++;
        throw new PermanentJobError('malformed payload');
      },
    });
    await w.engine.boss.send('test.permanent', { workspaceId: 'ws-p' });
    await waitFor(() => w.events.some((e) => e.type === 'failed'), 10_000, 'the failure');
    await sleep(300);
    expect(runs).toBe(1);
    const { rows } = await w.engine.sql<{ state: string }>(`select state from pgboss.job where name = 'test.permanent'`);
    expect(rows).toEqual([{ state: 'failed' }]);
  });

  it('on stop, fetches nothing more and lets the jobs in flight finish within the grace period', async () => {
    const queues = [testQueue('test.drain', { concurrency: 2 })];
    const finished: number[] = [];
    const startedJobs: number[] = [];
    const w = await start(queues, {
      'test.drain': async (job) => {
        const { n } = job.data as { n: number };
        startedJobs.push(n);
        await sleep(400);
        finished.push(n);
      },
    });
    await w.engine.boss.insert(Array.from({ length: 6 }, (_, n) => ({ name: 'test.drain', data: { n } })));
    await waitFor(() => startedJobs.length === 2, 5_000, 'two jobs in flight');
    const stopping = w.worker.stop(5_000);
    expect(await stopping).toEqual({ abandoned: 0 });
    expect(finished.sort()).toEqual(startedJobs.sort());
    expect(startedJobs).toHaveLength(2);
    const { rows } = await w.engine.sql<{ state: string; count: string }>(`select state::text, count(*) from pgboss.job where name = 'test.drain' group by 1 order by 1`);
    expect(rows.map((r) => [r.state, Number(r.count)])).toEqual([['created', 4], ['completed', 2]].sort());
  });

  it('abandons a job that outlives the grace period, leaving it to expire', async () => {
    const queues = [testQueue('test.slow')];
    let aborted = false;
    const w = await start(queues, {
      'test.slow': (job) =>
        new Promise<void>((resolve) => {
          job.signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        }),
    });
    await w.engine.boss.send('test.slow', {});
    await waitFor(() => w.worker.inFlight === 1, 5_000, 'the job in flight');
    const started = Date.now();
    expect(await w.worker.stop(200)).toEqual({ abandoned: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(aborted).toBe(true);
  });
});
