import { createSimulator } from './server.js';

// Standalone: `npm run simulator`. Point the app's Instagram settings at the printed URL.
const port = Number(process.env['SIMULATOR_PORT'] ?? 4010);
const sim = await createSimulator({
  port,
  host: process.env['SIMULATOR_HOST'] ?? '127.0.0.1',
  appId: process.env['SIMULATOR_APP_ID'] ?? 'sim-app-id',
  appSecret: process.env['SIMULATOR_APP_SECRET'] ?? 'sim-app-secret',
  ...(process.env['SIMULATOR_WEBHOOK_URL'] ? { webhookUrl: process.env['SIMULATOR_WEBHOOK_URL'] } : {}),
  ...(process.env['SIMULATOR_DEAUTHORIZE_URL'] ? { deauthorizeUrl: process.env['SIMULATOR_DEAUTHORIZE_URL'] } : {}),
  ...(process.env['SIMULATOR_DATA_DELETION_URL'] ? { dataDeletionUrl: process.env['SIMULATOR_DATA_DELETION_URL'] } : {}),
});
console.log(`Instagram Graph API simulator listening on ${sim.url}`);
console.log(`  authorize: ${sim.url}/oauth/authorize   graph: ${sim.url}/v25.0/…   admin: ${sim.url}/__admin/…`);

const stop = () => { void sim.close().then(() => process.exit(0)); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
