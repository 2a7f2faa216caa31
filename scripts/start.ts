// `npm start`: the whole product in one process (scripts/product.ts) — the HTTP service and the
// worker on one database and, without INSTAGRAM_GRAPH_URL, the Instagram sandbox simulator.
// For N HTTP and M worker processes use start:http / start:worker.
import { announce, runMain } from '@palette/app-http';
import { startProduct } from './product.js';

await runMain(async ({ config, logger, database }) => {
  const { running, sandbox } = await startProduct({ config, logger, database });
  process.stdout.write(announce(config, running.url));
  if (sandbox) process.stdout.write(`Instagram sandbox (simulator) at ${sandbox.url}/ — connect an account from the dashboard; nothing reaches Meta.\n`);
});
