import { GraphApiClient, createSimulator } from '../../src/instagram/index.js';
import type { GraphApiClientOptions, Simulator, SimulatorOptions } from '../../src/instagram/index.js';
import { startReceiver } from './receiver.js';
import type { Receiver } from './receiver.js';

export const APP_ID = '990011223344';
export const APP_SECRET = 'sim-instagram-app-secret';
export const IG = '17841455500112233';
export const CUSTOMER = '7432198865012345';
export const START = Date.parse('2026-03-01T10:00:00Z');

export interface Harness {
  readonly sim: Simulator;
  readonly client: GraphApiClient;
  readonly receiver: Receiver;
  /** Everything the client logged, to prove tokens never reach a log line. */
  readonly logs: string[];
  close(): Promise<void>;
}

/**
 * The real client against the real simulator over loopback. The simulator's clock is frozen at
 * START and moves only through `sim.advanceTime`, so windows and per-second limits are exact.
 */
export async function harness(simOptions: Partial<SimulatorOptions> = {}, clientOptions: Partial<GraphApiClientOptions> = {}): Promise<Harness> {
  const receiver = await startReceiver();
  const sim = await createSimulator({ appId: APP_ID, appSecret: APP_SECRET, webhookUrl: receiver.url, clock: { now: () => new Date(START) }, ...simOptions });
  const logs: string[] = [];
  const client = new GraphApiClient({
    appId: APP_ID, appSecret: APP_SECRET, graphUrl: sim.url, oauthUrl: sim.url, authorizeUrl: `${sim.url}/oauth/authorize`,
    timeoutMs: 1500, defaultRetryAfterMs: 1234, clock: { now: () => sim.now() },
    logger: { warn: (message, fields) => logs.push(`${message} ${JSON.stringify(fields)}`) },
    ...clientOptions,
  });
  return {
    sim, client, receiver, logs,
    close: async () => {
      await sim.close();
      await receiver.close();
    },
  };
}

/** A connected merchant: long-lived token, subscribed to the usual fields. */
export function connect(sim: Simulator, igUserId = IG, ageMs = 0): string {
  sim.subscribe(igUserId);
  return sim.issueToken({ igUserId, ageMs });
}
