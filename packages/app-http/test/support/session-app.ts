import { ContainerModule, type Container } from 'inversify';
import request from 'supertest';
import type { LoginThrottlePolicy, Mailer } from '@palette/domain';
import { FakeClock } from '@palette/domain/in-memory';
import type { DatabaseOrm } from '@palette/adapters/persistence';
import { authModule, sessionAuthenticator } from '../../src/auth/auth-module.js';
import { buildContainer } from '../../src/composition-root.js';
import { loadConfig, type Config, type Environment } from '../../src/config.js';
import { createApp, type PaletteApp } from '../../src/http/app.js';
import { recordRequests, type RequestRecorder } from '../../src/http/request-log.js';
import type { RouteTable } from '../../src/http/route.js';
import { cryptoModule, inMemoryModule, mikroOrmModule, TEST_SCRYPT, useCasesModule } from '../../src/modules.js';
import { featureRoutes } from '../../src/routes/feature-routes.js';
import { TOKENS } from '../../src/tokens.js';
import { captureLogs, type CapturedLogs } from './harness.js';

export interface SessionAppOptions {
  /** An open ORM (PGlite or PostgreSQL, migrated); fresh in-memory repositories when absent. */
  readonly orm?: DatabaseOrm;
  /** Extra environment on top of the defaults (TRUST_PROXY, CORS_ORIGINS, SESSION_*). */
  readonly env?: Environment;
  readonly throttle?: LoginThrottlePolicy;
  readonly mailer?: Mailer;
  /** Defaults to every feature route; the per-IP rate limit is off so throttling tests see only the login throttle. */
  readonly routes?: (container: Container) => RouteTable;
  /** Store API requests as start-http does (off by default: a flush timer per app). */
  readonly recordRequests?: boolean;
  /** The dashboard build to serve at `/`; app-web's dist/ when absent. */
  readonly webRoot?: string;
}

export interface SessionApp {
  readonly app: PaletteApp;
  readonly container: Container;
  readonly config: Config;
  readonly clock: FakeClock;
  readonly logs: CapturedLogs;
  readonly recorder: RequestRecorder | null;
}

/**
 * The real app as main.ts composes it (feature routes, the session authenticator, the auth module)
 * with a fake clock, cheap scrypt and captured logs: for any test that needs signed-in users.
 */
export function buildSessionApp(options: SessionAppOptions = {}): SessionApp {
  const loaded = loadConfig({ PUBLIC_URL: 'http://localhost:3000', ...options.env });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const config = loaded.value;
  const logs = captureLogs();
  const clock = new FakeClock('2026-03-01T10:00:00Z');
  const container = buildContainer({
    config,
    logger: logs.logger,
    modules: [
      cryptoModule({ scrypt: TEST_SCRYPT }),
      options.orm ? mikroOrmModule(options.orm) : inMemoryModule(),
      useCasesModule(),
      authModule(config, logs.logger, { ...(options.throttle ? { throttle: options.throttle } : {}), ...(options.mailer ? { mailer: options.mailer } : {}) }),
      new ContainerModule(({ rebind }) => {
        rebind(TOKENS.Clock).toConstantValue(clock);
      }),
    ],
  });
  const recorder = options.recordRequests
    ? recordRequests({ log: container.get(TOKENS.RequestLog), ids: container.get(TOKENS.Ids), clock, logger: logs.logger })
    : null;
  const app = createApp({
    config,
    logger: logs.logger,
    ...(recorder ? { requestRecorder: recorder } : {}),
    ...(options.webRoot ? { webRoot: options.webRoot } : {}),
    routes: (options.routes ?? featureRoutes)(container),
    authenticator: sessionAuthenticator(container, config),
    rateLimit: false,
    defaultMetrics: false,
  });
  return { app, container, config, clock, logs, recorder };
}

export interface SignedUp {
  readonly cookie: string;
  readonly token: string;
  readonly userId: string;
  readonly workspaceId: string;
  readonly email: string;
  readonly password: string;
}

let counter = 0;

/** Registers a fresh account through the API and returns its session cookie (`name=value`). */
export async function signUp(app: PaletteApp, overrides: { name?: string; email?: string; password?: string } = {}): Promise<SignedUp> {
  counter += 1;
  const email = overrides.email ?? `merchant${counter}-${Date.now()}@example.com`;
  const password = overrides.password ?? `correct horse battery ${counter}`;
  const res = await request(app).post('/api/auth/register').send({ name: overrides.name ?? `Merchant ${counter}`, email, password });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  const cookie = sessionCookieOf(res.headers['set-cookie']);
  if (!cookie) throw new Error('register set no session cookie');
  return { cookie, token: cookie.split('=')[1]!, userId: res.body.user.id, workspaceId: res.body.workspace.id, email, password };
}

/** `name=value` of the session cookie a response sets, if any. */
export function sessionCookieOf(setCookie: string | string[] | undefined): string | undefined {
  const all = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  const header = all.find((c) => /^(__Host-)?palette_session=[^;]+/.test(c));
  return header?.split(';')[0];
}

export function setCookieHeader(setCookie: string | string[] | undefined, name: string): string | undefined {
  const all = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  return all.find((c) => c.startsWith(`${name}=`));
}
