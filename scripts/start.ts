// `npm start`: the whole product in one process — the HTTP service and the worker on one database
// (embedded PGlite by default, so both must share its single instance). Neither app imports the
// other; this launcher composes them. For N HTTP and M worker processes use start:http / start:worker.
import { announce, runMain, startHttpService } from '@palette/app-http';
import { startWorker } from '@palette/app-worker';
import { createSimulator, SANDBOX_APP_ID, type Simulator } from '@palette/adapters/instagram';

await runMain(async ({ config, logger, database }) => {
  // Sandbox mode: without INSTAGRAM_GRAPH_URL, a local Graph API simulator plays Instagram (consent
  // page, tokens, Send API, webhooks to this app), so a fresh clone can connect an account at once.
  const sandbox = process.env['INSTAGRAM_GRAPH_URL'] ? null : await startSandbox(config);
  const worker = await startWorker({ database, logger, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) });
  const running = await startHttpService({
    config, logger, database, checks: { queue: () => worker.engine.sql('select 1').then(() => true, () => false) }, failedJobs: worker.deadLetters, jobs: worker.jobs,
  });
  // Hooks run last-registered first: the worker drains before the database closes.
  running.onShutdown('worker', () => worker.stop());
  if (sandbox) {
    // The app's real address is known only now (PORT=0 picks one); Instagram's webhooks go there.
    sandbox.setWebhookUrl(new URL('webhooks/instagram', running.url).toString());
    running.onShutdown('instagram-simulator', () => sandbox.close());
    logger.info({ simulator: sandbox.url }, 'Instagram sandbox: the Graph API simulator stands in for Instagram (set INSTAGRAM_GRAPH_URL to use another)');
  }
  process.stdout.write(announce(config, running.url));
  if (sandbox) process.stdout.write(`Instagram sandbox (simulator) at ${sandbox.url}/ — connect an account from the dashboard; nothing reaches Meta.\n`);
});

async function startSandbox(config: { publicUrl: string; instagramAppSecret: string }): Promise<Simulator> {
  const appId = process.env['INSTAGRAM_APP_ID'] || SANDBOX_APP_ID;
  const sim = await createSimulator({
    appId, appSecret: config.instagramAppSecret, port: Number(process.env['SIMULATOR_PORT'] ?? 0),
    webhookUrl: `${config.publicUrl}/webhooks/instagram`,
    deauthorizeUrl: `${config.publicUrl}/webhooks/instagram/deauthorize`,
    dataDeletionUrl: `${config.publicUrl}/webhooks/instagram/data-deletion`,
  });
  // Both apps read their Instagram settings from the environment: point them at the simulator.
  process.env['INSTAGRAM_GRAPH_URL'] = sim.url;
  process.env['INSTAGRAM_APP_ID'] = appId;
  process.env['INSTAGRAM_APP_SECRET'] = config.instagramAppSecret;
  return sim;
}
