// `npm start`: the whole product in one process — the HTTP service and the worker on one database
// (embedded PGlite by default, so both must share its single instance). Neither app imports the
// other; this launcher composes them. For N HTTP and M worker processes use start:http / start:worker.
import { announce, createLogger, formatConfigError, loadConfig, startHttpService } from '@palette/app-http';
import { startWorker } from '@palette/app-worker';
import type { Database } from '@palette/adapters/persistence';

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  process.stderr.write(`${formatConfigError(loaded.error)}\n`);
  process.exit(1);
}
const config = loaded.value;
const logger = createLogger({ level: config.logLevel });
process.on('unhandledRejection', (reason) => {
  logger.fatal({ err: reason }, 'unhandled promise rejection');
  process.exit(1);
});

let database: Database | undefined;
try {
  const { openDatabase, persistenceModule } = await import('@palette/adapters/persistence');
  database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, ...persistenceModule() });
  const applied = await database.migrate();
  logger.info({ database: database.kind, migrationsApplied: applied }, 'database ready');
  const worker = await startWorker({ database, logger, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) });
  const running = await startHttpService({ config, logger, database, checks: { queue: () => worker.engine.sql('select 1').then(() => true, () => false) }, failedJobs: worker.deadLetters });
  // Hooks run last-registered first: the worker drains before the database closes.
  running.onShutdown('worker', () => worker.stop());
  process.stdout.write(announce(config, running.url));
} catch (error) {
  logger.fatal({ err: error }, `Palette could not start: ${error instanceof Error ? error.message : String(error)}`);
  await database?.close().catch(() => undefined);
  process.exit(1);
}
