import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { QueueEngine } from '@palette/adapters/queue';
import { createScratchPostgresDatabase, describeOnPostgres, type ScratchPostgresDatabase } from '../support/databases.js';
import { crashQueue, splitQueue } from './fixtures/queues.js';
import { startTestWorker, waitFor } from './support.js';

const script = fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url));

describeOnPostgres('worker processes sharing PostgreSQL', () => {
  let scratch: ScratchPostgresDatabase;
  let admin: QueueEngine;
  const children: ChildProcess[] = [];

  function spawnWorker(mode: 'crash' | 'split', name: string): { child: ChildProcess; output: () => string; ready: Promise<void> } {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, QUEUE_TEST_DATABASE_URL: scratch.url, MODE: mode, WORKER_NAME: name },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return { child, output: () => output, ready: waitFor(() => output.includes('READY'), 20_000, `${name} to start`) };
  }

  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase();
    admin = await QueueEngine.open({ connection: { connectionString: scratch.url }, role: 'producer' });
    await admin.ensureQueues([crashQueue, splitQueue]);
    await admin.sql('create table effects (key text primary key, at timestamptz not null default now())');
    await admin.sql('create table attempts (key text not null, worker text not null, at timestamptz not null default now())');
    await admin.sql('create table runs (job_id uuid primary key, worker text not null)');
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await admin?.stop();
    await scratch?.drop();
  });

  it('after a SIGKILL mid-job, another worker runs the job once its expiry passes; the effect happens once', async () => {
    const victim = spawnWorker('crash', 'victim');
    await victim.ready;
    await admin.boss.send(crashQueue.name, { key: 'order-42-confirmation' });
    await waitFor(() => victim.output().includes('EFFECT order-42-confirmation'), 15_000, 'the effect');
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await once(victim.child, 'exit');

    const effects: string[] = [];
    const rescuer = await startTestWorker({ connectionString: scratch.url }, [crashQueue], {
      [crashQueue.name]: async (job) => {
        const { key } = job.data as { key: string };
        await admin.sql('insert into attempts (key, worker) values ($1, $2)', [key, 'rescuer']);
        await admin.sql('insert into effects (key) values ($1) on conflict (key) do nothing', [key]);
        effects.push(key);
      },
    });
    try {
      await waitFor(async () => (await admin.sql(`select 1 from pgboss.job where name = $1 and state = 'completed'`, [crashQueue.name])).rows.length === 1, 15_000, 'completion');
      // Not before the 2 s expiry: the job was still active, owned by the dead worker.
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1_500);
      expect(effects).toEqual(['order-42-confirmation']);
      const attempts = await admin.sql<{ worker: string }>('select worker from attempts order by at');
      expect(attempts.rows.map((r) => r.worker)).toEqual(['victim', 'rescuer']);
      expect((await admin.sql('select key from effects')).rows).toEqual([{ key: 'order-42-confirmation' }]);
      const job = await admin.sql<{ retry_count: number }>(`select retry_count from pgboss.job where name = $1`, [crashQueue.name]);
      expect(job.rows).toEqual([{ retry_count: 1 }]);
    } finally {
      await rescuer.stop();
    }
  });

  it('two worker processes split the work between them, each job run once', async () => {
    const one = spawnWorker('split', 'one');
    const two = spawnWorker('split', 'two');
    await Promise.all([one.ready, two.ready]);
    await admin.boss.insert(Array.from({ length: 200 }, (_, n) => ({ name: splitQueue.name, data: { n } })));
    await waitFor(async () => Number((await admin.sql<{ c: string }>('select count(*) as c from runs')).rows[0]!.c) === 200, 30_000, '200 runs');
    const { rows } = await admin.sql<{ worker: string; count: string }>('select worker, count(*) as count from runs group by worker order by worker');
    const split = Object.fromEntries(rows.map((r) => [r.worker, Number(r.count)]));
    expect(Object.keys(split)).toEqual(['one', 'two']);
    expect(split.one! + split.two!).toBe(200);
    expect(Math.min(split.one!, split.two!)).toBeGreaterThanOrEqual(40);
    one.child.kill('SIGTERM');
    two.child.kill('SIGTERM');
    const codes = await Promise.all([once(one.child, 'exit'), once(two.child, 'exit')]);
    expect(codes.map(([code]) => code)).toEqual([0, 0]);
  });
});
