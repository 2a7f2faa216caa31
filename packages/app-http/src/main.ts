import type { Database } from '@palette/adapters/persistence';
import { formatConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { announce, startHttpService } from './start-http.js';

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
  // Loaded only now: the drivers take seconds to import, and a bad environment should fail at once.
  const { openDatabase, persistenceModule } = await import('@palette/adapters/persistence');
  database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, ...persistenceModule() });
  const applied = await database.migrate();
  logger.info({ database: database.kind, migrationsApplied: applied }, 'database ready');

  // HTTP alone still enqueues work: a producer on the same queue tables the workers fetch from.
  const { DeadLetters, QueueEngine, PALETTE_QUEUE_LIST, queueConnectionFor } = await import('@palette/adapters/queue');
  const queue = await QueueEngine.open({ connection: queueConnectionFor(database, config.databaseUrl), role: 'producer', onError: (err) => logger.error({ err }, 'queue error') });
  await queue.ensureQueues(PALETTE_QUEUE_LIST);
  const running = await startHttpService({ config, logger, database, checks: { queue: () => queue.sql('select 1').then(() => true, () => false) }, failedJobs: new DeadLetters(queue) });
  running.onShutdown('queue', () => queue.stop());
  process.stdout.write(announce(config, running.url));
} catch (error) {
  // Port in use, database unreachable or a failed migration: one clear log line, then exit 1.
  logger.fatal({ err: error }, `Palette could not start: ${error instanceof Error ? error.message : String(error)}`);
  await database?.close().catch(() => undefined);
  process.exit(1);
}
