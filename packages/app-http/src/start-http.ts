import type { Database } from '@palette/adapters/persistence';
import { authModule, sessionAuthenticator } from './auth/auth-module.js';
import { buildContainer } from './composition-root.js';
import { formatConfigError, loadConfig, type Config } from './config.js';
import { createApp } from './http/app.js';
import { recordRequests } from './http/request-log.js';
import type { ReadinessChecks } from './http/operational.js';
import { createLogger, type Logger } from './logger.js';
import { jobsModule, type FailedJobs } from './jobs/failed-jobs.js';
import { cryptoModule, mikroOrmModule, useCasesModule } from './modules.js';
import { featureRoutes } from './routes/feature-routes.js';
import { instagramHttpDepsFromEnv, type InstagramHttpDeps } from './routes/instagram.route.js';
import { registerInstagramWebhookMetrics } from './routes/instagram-webhooks.route.js';
import type { SandboxPort } from './routes/sandbox-port.js';
import { TOKENS } from './tokens.js';
import type { JobQueue } from '@palette/domain';
import { startServer, type ProcessLike, type RunningServer } from './server.js';

/**
 * Composes and starts the HTTP service on an opened, migrated database. Shared by this package's
 * main (HTTP alone) and the root launcher (HTTP and worker in one process on the embedded default).
 */
export async function startHttpService(input: { config: Config; logger: Logger; database: Database; checks?: ReadinessChecks; failedJobs?: FailedJobs; jobs?: JobQueue; instagram?: InstagramHttpDeps; sandbox?: SandboxPort; webRoot?: string; proc?: ProcessLike }): Promise<RunningServer> {
  const { config, logger, database } = input;
  const container = buildContainer({ config, logger, modules: [cryptoModule(), mikroOrmModule(database.orm), useCasesModule(), authModule(config, logger), jobsModule(input.failedJobs)] });
  // The producer side of the queue (webhook deliveries, revocation deletions); the worker's own in `npm start`.
  if (input.jobs) container.bind(TOKENS.JobQueue).toConstantValue(input.jobs);
  // Instagram connect (Graph client, limiter, token cipher): from INSTAGRAM_* and the keyring unless given.
  container.bind(TOKENS.Instagram).toConstantValue(input.instagram ?? instagramHttpDepsFromEnv(process.env, { orm: database.orm, dataDir: config.dataDir }));
  // The sandbox routes exist only beside an in-process simulator (`npm start` in sandbox mode).
  if (input.sandbox) container.bind(TOKENS.Sandbox).toConstantValue(input.sandbox);
  const requestRecorder = recordRequests({ log: container.get(TOKENS.RequestLog), ids: container.get(TOKENS.Ids), clock: container.get(TOKENS.Clock), logger });
  const app = createApp({
    config,
    logger,
    requestRecorder,
    registerMetrics: registerInstagramWebhookMetrics(container),
    routes: featureRoutes(container),
    authenticator: sessionAuthenticator(container, config),
    checks: { database: () => database.ping(), ...input.checks },
    ...(input.webRoot ? { webRoot: input.webRoot } : {}),
  });
  // `proc`: signals and exit; a test running the product in its own process passes a stand-in.
  const running = await startServer(app, config, logger, input.proc);
  running.onShutdown('database', () => database.close());
  // Hooks run last-registered first: the buffered request log is written before the database closes.
  running.onShutdown('request-log', () => requestRecorder.stop());
  return running;
}

export function announce(config: Config, url: string): string {
  const publicNote = config.publicUrl === `http://localhost:${config.port}` ? '' : ` (public URL ${config.publicUrl}/)`;
  return `Palette is running at ${url}${publicNote}\n`;
}

/**
 * The boot sequence every entry point shares: validate the environment (exit 1 with every bad
 * variable), open and migrate the database, then run `start`; any failure is one fatal log line and
 * exit 1, with the database closed.
 */
export async function runMain(start: (ctx: { config: Config; logger: Logger; database: Database }) => Promise<void>): Promise<void> {
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
    await start({ config, logger, database });
  } catch (error) {
    // Port in use, database unreachable or a failed migration: one clear log line, then exit 1.
    logger.fatal({ err: error }, `Palette could not start: ${error instanceof Error ? error.message : String(error)}`);
    await database?.close().catch(() => undefined);
    process.exit(1);
  }
}
