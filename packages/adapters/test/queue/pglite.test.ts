import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMikroOrmRepositories, persistenceModule } from '@palette/adapters/persistence';
import { DeadLetters, PermanentJobError, PgBossJobQueue, queueConnectionFor, type JobContext } from '@palette/adapters/queue';
import { make } from '@palette/domain/testing';
import { Ids } from '@palette/domain';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { startTestWorker, testQueue, waitFor, type TestWorker } from './support.js';

const T0 = new Date('2026-03-01T10:00:00Z');
const WS = '00000000-0000-7000-8000-0000000000a1';

describe('pg-boss on the embedded PGlite, sharing the instance with MikroORM', () => {
  let db: TestDatabase;
  let running: TestWorker;
  const handled: Array<JobContext> = [];
  const queues = [testQueue('test.orm-write'), testQueue('test.fails', { retryLimit: 5 }), testQueue('test.dedupe')];

  beforeAll(async () => {
    db = await openTestDatabase('pglite', persistenceModule());
    running = await startTestWorker(queueConnectionFor(db.database), queues, {
      // Each job commits a MikroORM transaction on the same PGlite the queue is using.
      'test.orm-write': async (job) => {
        const repos = createMikroOrmRepositories(db.database.orm);
        await repos.uow.run(async () => {
          await repos.workspaces.save(make.workspace(String((job.data as { id: string }).id), T0, { name: `ws ${(job.data as { n: number }).n}` }));
        });
        handled.push(job);
      },
      'test.fails': async (job) => {
        throw new PermanentJobError(`cannot do ${(job.data as { what: string }).what}`, { workspaceId: WS });
      },
      'test.dedupe': async (job) => {
        handled.push(job);
      },
    });
  });
  afterAll(async () => {
    await running?.stop();
    await db?.teardown();
  });

  it('runs enqueued jobs whose handlers write through the ORM, while the ORM works beside them', async () => {
    const jobs = new PgBossJobQueue(running.engine, new Map(queues.map((q) => [q.name, q])), (q) => running.worker.notify(q));
    const ids = Array.from({ length: 10 }, (_, n) => `00000000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`);
    // ORM transactions keep starting while pg-boss sends and fetches on the same single session.
    const busyOrm = (async () => {
      for (let i = 0; i < 20; i++) {
        const repos = createMikroOrmRepositories(db.database.orm);
        await repos.uow.run(async () => { await repos.workspaces.get(Ids.workspace(ids[0]!)); });
      }
    })();
    await Promise.all(ids.map((id, n) => jobs.enqueue({ name: 'test.orm-write', data: { id, n } })));
    await busyOrm;
    await waitFor(() => handled.filter((j) => j.queue === 'test.orm-write').length === 10, 20_000, 'ten jobs');
    const repos = createMikroOrmRepositories(db.database.orm);
    const stored = await Promise.all(ids.map((id) => repos.workspaces.get(Ids.workspace(id))));
    expect(stored.map((w) => w?.name)).toEqual(ids.map((_, n) => `ws ${n}`));
    await waitFor(async () => (await running.engine.sql(`select 1 from pgboss.job where name = 'test.orm-write' and state = 'completed'`)).rows.length === 10, 5_000, 'completion');
  });

  it('drops a second job with the same dedupe key', async () => {
    const jobs = new PgBossJobQueue(running.engine, new Map(queues.map((q) => [q.name, q])));
    await jobs.enqueue({ name: 'test.dedupe', data: { n: 1 }, dedupeKey: 'k1' });
    await jobs.enqueue({ name: 'test.dedupe', data: { n: 2 }, dedupeKey: 'k1' });
    await jobs.enqueue({ name: 'test.dedupe', data: { n: 3 }, dedupeKey: 'k2' });
    await waitFor(() => handled.filter((j) => j.queue === 'test.dedupe').length >= 2, 10_000, 'dedupe jobs');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(handled.filter((j) => j.queue === 'test.dedupe').map((j) => (j.data as { n: number }).n).sort()).toEqual([1, 3]);
    await expect(jobs.enqueue({ name: 'test.nope', data: {} })).rejects.toThrow(/No queue named test.nope/);
  });

  it('makes a permanently failing job a dead letter at once, listed for its workspace and retryable', async () => {
    const id = await running.engine.boss.send('test.fails', { what: 'the impossible' });
    await waitFor(async () => (await new DeadLetters(running.engine).list(WS)).length === 1, 10_000, 'a dead letter');
    const deadLetters = new DeadLetters(running.engine);
    const [dead] = await deadLetters.list(WS);
    expect(dead).toMatchObject({ id, queue: 'test.fails', reason: 'cannot do the impossible', permanent: true, attempts: 1, workspaceId: WS });
    expect(running.events.filter((e) => e.type === 'failed' && e.id === id)).toHaveLength(1);
    expect(await deadLetters.list('00000000-0000-7000-8000-0000000000ff')).toEqual([]);
    expect(await deadLetters.retry('00000000-0000-7000-8000-0000000000ff', id!)).toBe(false);

    expect(await deadLetters.retry(WS, id!)).toBe(true);
    await waitFor(() => running.events.filter((e) => e.type === 'failed' && e.id === id).length === 2, 10_000, 'the retried run');
    await waitFor(async () => (await deadLetters.list(WS)).length === 1, 5_000, 'the dead letter again');
  });
});
