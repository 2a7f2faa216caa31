// The whole product in one process — the HTTP service and the worker on one database (embedded
// PGlite by default, so both must share its single instance) and, in sandbox mode, the Instagram
// Graph API simulator. Neither app imports the other; this module composes them, for `npm start`
// (scripts/start.ts) and for tests that drive the real product in-process.
import { simulatorSandbox, startHttpService, type Config, type Logger, type ProcessLike, type RunningServer } from '@palette/app-http';
import { startWorker, type RunningWorker } from '@palette/app-worker';
import { createSimulator, SANDBOX_APP_ID, type Simulator } from '@palette/adapters/instagram';
import type { Database } from '@palette/adapters/persistence';

export interface Product {
  readonly running: RunningServer;
  readonly worker: RunningWorker;
  /** The Graph API simulator playing Instagram, or null when INSTAGRAM_GRAPH_URL points elsewhere. */
  readonly sandbox: Simulator | null;
}

export interface ProductInput {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: Database;
  /** The built dashboard to serve; app-web's dist/ when absent. */
  readonly webRoot?: string;
  /** Signals and exit (the real process when absent): a test hosting the product passes a stand-in. */
  readonly proc?: ProcessLike;
}

/**
 * Both apps read INSTAGRAM_*, LLM_* and the keyring from `process.env`; sandbox mode writes the
 * simulator's address there, so a test starting the product sets and restores its environment.
 */
export async function startProduct({ config, logger, database, webRoot, proc }: ProductInput): Promise<Product> {
  const env = process.env;
  // Sandbox mode: without INSTAGRAM_GRAPH_URL, a local Graph API simulator plays Instagram (consent
  // page, tokens, Send API, webhooks to this app), so a fresh clone can connect an account at once.
  const sandbox = env['INSTAGRAM_GRAPH_URL'] ? null : await startSandbox(config, env);
  const worker = await startWorker({ database, logger, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) });
  const running = await startHttpService({
    config, logger, database, checks: { queue: () => worker.engine.sql('select 1').then(() => true, () => false) }, failedJobs: worker.deadLetters, jobs: worker.jobs,
    // The dashboard's Sandbox page acts as customers through this, and only in sandbox mode.
    ...(sandbox ? { sandbox: simulatorSandbox(sandbox) } : {}),
    ...(webRoot ? { webRoot } : {}),
    ...(proc ? { proc } : {}),
  });
  // Hooks run last-registered first: the worker drains before the database closes.
  running.onShutdown('worker', () => worker.stop());
  if (sandbox) {
    // The app's real address is known only now (PORT=0 picks one); Instagram's webhooks go there.
    sandbox.setWebhookUrl(new URL('webhooks/instagram', running.url).toString());
    running.onShutdown('instagram-simulator', () => sandbox.close());
    logger.debug({ simulator: sandbox.url }, 'Instagram sandbox: the Graph API simulator stands in for Instagram (set INSTAGRAM_GRAPH_URL to use another)');
  }
  return { running, worker, sandbox };
}

async function startSandbox(config: { publicUrl: string; instagramAppSecret: string }, env: NodeJS.ProcessEnv): Promise<Simulator> {
  const appId = env['INSTAGRAM_APP_ID'] || SANDBOX_APP_ID;
  const sim = await createSimulator({
    appId, appSecret: config.instagramAppSecret, port: Number(env['SIMULATOR_PORT'] ?? 0),
    webhookUrl: `${config.publicUrl}/webhooks/instagram`,
    deauthorizeUrl: `${config.publicUrl}/webhooks/instagram/deauthorize`,
    dataDeletionUrl: `${config.publicUrl}/webhooks/instagram/data-deletion`,
  });
  // Both apps read their Instagram settings from the environment: point them at the simulator.
  env['INSTAGRAM_GRAPH_URL'] = sim.url;
  env['INSTAGRAM_APP_ID'] = appId;
  env['INSTAGRAM_APP_SECRET'] = config.instagramAppSecret;
  return sim;
}
