// `npm start`: the whole product in one process — the HTTP service and the worker on one database
// (embedded PGlite by default, so both must share its single instance). Neither app imports the
// other; this launcher composes them. For N HTTP and M worker processes use start:http / start:worker.
import { announce, runMain, startHttpService } from '@palette/app-http';
import { startWorker } from '@palette/app-worker';

await runMain(async ({ config, logger, database }) => {
  const worker = await startWorker({ database, logger, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) });
  const running = await startHttpService({
    config, logger, database, checks: { queue: () => worker.engine.sql('select 1').then(() => true, () => false) }, failedJobs: worker.deadLetters,
  });
  // Hooks run last-registered first: the worker drains before the database closes.
  running.onShutdown('worker', () => worker.stop());
  process.stdout.write(announce(config, running.url));
});
