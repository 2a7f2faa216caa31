import type { Database } from '@palette/adapters/persistence';
import { loadWorkerConfig } from './config.js';
import { createWorkerLogger } from './logger.js';
import type { RunningWorker } from './start-worker.js';

const loaded = loadWorkerConfig(process.env);
if (!loaded.ok) {
  process.stderr.write(`Palette worker cannot start: invalid environment.\n${loaded.problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
const config = loaded.value;
const logger = createWorkerLogger({ level: config.logLevel });

process.on('unhandledRejection', (reason) => {
  logger.fatal({ err: reason }, 'unhandled promise rejection');
  process.exit(1);
});

let database: Database | undefined;
let worker: RunningWorker | undefined;
let shuttingDown = false;

async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, 'draining');
  // A second signal while draining means "now": jobs left active expire and run elsewhere.
  process.once(signal, () => process.exit(1));
  try {
    await worker?.stop();
    await database?.close();
    process.exit(0);
  } catch (error) {
    logger.fatal({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

try {
  // Loaded only now: the drivers take seconds to import, and a bad environment should fail at once.
  const { openDatabase, persistenceModule } = await import('@palette/adapters/persistence');
  const { startWorker } = await import('./start-worker.js');
  database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, ...persistenceModule() });
  const applied = await database.migrate();
  logger.info({ database: database.kind, migrationsApplied: applied }, 'database ready');
  worker = await startWorker({
    database,
    logger,
    databaseUrl: config.databaseUrl,
    metricsPort: config.metricsPort,
    metricsHost: config.metricsHost,
    shutdownGraceMs: config.shutdownGraceMs,
  });
  const metricsNote = worker.metricsUrl ? `, metrics at ${worker.metricsUrl}` : '';
  process.stdout.write(`Palette worker is running on ${database.kind}${metricsNote}\n`);
} catch (error) {
  logger.fatal({ err: error }, `Palette worker could not start: ${error instanceof Error ? error.message : String(error)}`);
  await worker?.stop().catch(() => undefined);
  await database?.close().catch(() => undefined);
  process.exit(1);
}
