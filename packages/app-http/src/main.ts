import type { Database } from '@palette/adapters/persistence';
import { authModule, sessionAuthenticator } from './auth/auth-module.js';
import { buildContainer } from './composition-root.js';
import { cryptoModule, mikroOrmModule, useCasesModule } from './modules.js';
import { formatConfigError, loadConfig } from './config.js';
import { createApp } from './http/app.js';
import { createLogger } from './logger.js';
import { featureRoutes } from './routes/feature-routes.js';
import { startServer } from './server.js';

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

  const db = database;
  const container = buildContainer({ config, logger, modules: [cryptoModule(), mikroOrmModule(db.orm), useCasesModule(), authModule(config, logger)] });
  const app = createApp({
    config,
    logger,
    routes: featureRoutes(container),
    authenticator: sessionAuthenticator(container, config),
    checks: { database: () => db.ping() },
  });
  const running = await startServer(app, config, logger);
  running.onShutdown('database', () => db.close());

  const publicNote = config.publicUrl === `http://localhost:${config.port}` ? '' : ` (public URL ${config.publicUrl}/)`;
  process.stdout.write(`Palette is running at ${running.url}${publicNote}\n`);
} catch (error) {
  // Port in use, database unreachable or a failed migration: one clear log line, then exit 1.
  logger.fatal({ err: error }, `Palette could not start: ${error instanceof Error ? error.message : String(error)}`);
  await database?.close().catch(() => undefined);
  process.exit(1);
}
