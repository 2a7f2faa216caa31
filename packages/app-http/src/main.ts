import { announce, runMain, startHttpService } from './start-http.js';

// `npm run start:http`: the HTTP service alone (scale out next to `start:worker` processes).
await runMain(async ({ config, logger, database }) => {
  // HTTP alone still enqueues work: a producer on the same queue tables the workers fetch from.
  const { DeadLetters, QueueEngine, PALETTE_QUEUE_LIST, PgBossJobQueue, queueConnectionFor } = await import('@palette/adapters/queue');
  const queue = await QueueEngine.open({ connection: queueConnectionFor(database, config.databaseUrl), role: 'producer', onError: (err) => logger.error({ err }, 'queue error') });
  await queue.ensureQueues(PALETTE_QUEUE_LIST);
  const running = await startHttpService({ config, logger, database, checks: { queue: () => queue.sql('select 1').then(() => true, () => false) }, failedJobs: new DeadLetters(queue), jobs: new PgBossJobQueue(queue, new Map(PALETTE_QUEUE_LIST.map((q) => [q.name, q]))) });
  running.onShutdown('queue', () => queue.stop());
  process.stdout.write(announce(config, running.url));
});
