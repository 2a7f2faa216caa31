import type { Database } from '@palette/adapters/persistence';
import { authModule, sessionAuthenticator } from './auth/auth-module.js';
import { buildContainer } from './composition-root.js';
import type { Config } from './config.js';
import { createApp } from './http/app.js';
import type { ReadinessChecks } from './http/operational.js';
import type { Logger } from './logger.js';
import { jobsModule, type FailedJobs } from './jobs/failed-jobs.js';
import { cryptoModule, mikroOrmModule, useCasesModule } from './modules.js';
import { featureRoutes } from './routes/feature-routes.js';
import { startServer, type RunningServer } from './server.js';

/**
 * Composes and starts the HTTP service on an opened, migrated database. Shared by this package's
 * main (HTTP alone) and the root launcher (HTTP and worker in one process on the embedded default).
 */
export async function startHttpService(input: { config: Config; logger: Logger; database: Database; checks?: ReadinessChecks; failedJobs?: FailedJobs }): Promise<RunningServer> {
  const { config, logger, database } = input;
  const container = buildContainer({ config, logger, modules: [cryptoModule(), mikroOrmModule(database.orm), useCasesModule(), authModule(config, logger), jobsModule(input.failedJobs)] });
  const app = createApp({
    config,
    logger,
    routes: featureRoutes(container),
    authenticator: sessionAuthenticator(container, config),
    checks: { database: () => database.ping(), ...input.checks },
  });
  const running = await startServer(app, config, logger);
  running.onShutdown('database', () => database.close());
  return running;
}

export function announce(config: Config, url: string): string {
  const publicNote = config.publicUrl === `http://localhost:${config.port}` ? '' : ` (public URL ${config.publicUrl}/)`;
  return `Palette is running at ${url}${publicNote}\n`;
}
