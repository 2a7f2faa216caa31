import { z } from 'zod';
import { ConcurrencyConflictError, Ids } from '@palette/domain';
import type { Role } from '@palette/domain';
import { createApp } from '../../src/http/app.js';
import type { AppConfig, AppDeps, PaletteApp } from '../../src/http/app.js';
import type { Authenticator } from '../../src/http/auth.js';
import { HttpProblem } from '../../src/http/problem.js';
import { defineRoute } from '../../src/http/route.js';
import type { RouteTable } from '../../src/http/route.js';
import { createLogger } from '../../src/logger.js';
import type { Logger } from '../../src/logger.js';

export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: string[];
  entries(): Array<Record<string, unknown>>;
}

/** A real pino logger (with the production redaction) writing JSON lines into an array. */
export function captureLogs(level: 'info' | 'debug' = 'info'): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export const testConfig: AppConfig = {
  bodyLimitBytes: 1024,
  corsOrigins: [],
  trustProxy: false,
  publicUrl: 'http://localhost:3000',
};

/** Authenticates `Authorization: Bearer <role>` as a member with that role; anything else is anonymous. */
export const TEST_WORKSPACE_ID = '0190a000-0000-7000-8000-0000000000aa';
/** Session routes of the sample table live under this workspace; any other id is "not found". */
export const WS_THINGS = `/api/workspaces/${TEST_WORKSPACE_ID}/things`;

export const bearerRoleAuthenticator: Authenticator = {
  authenticate: async (req) => {
    const role = /^Bearer (owner|admin|agent|analyst)$/.exec(req.get('Authorization') ?? '')?.[1];
    return role === undefined ? null : { userId: Ids.user('0190a000-0000-7000-8000-000000000001'), sessionId: `test-${role}` };
  },
  roleIn: async (user, workspaceId) => (workspaceId === TEST_WORKSPACE_ID ? (user.sessionId.slice(5) as Role) : null),
};

export const Thing = z
  .object({ id: z.string(), name: z.string(), quantity: z.number().int() })
  .meta({ id: 'Thing', description: 'A thing the tests sell.' });

/** Routes shaped like real features: path params, coerced query, strict bodies, a permission. */
export const sampleRoutes: RouteTable = [
  defineRoute(
    {
      method: 'get',
      path: '/api/things/:thingId',
      summary: 'Read a thing',
      tags: ['things'],
      auth: 'public',
      params: z.object({ thingId: z.string().regex(/^t-\d+$/).describe('The thing id, t-<digits>.') }),
      query: z.object({ verbose: z.enum(['yes', 'no']).default('no'), limit: z.coerce.number().int().min(1).max(50).optional() }),
      responses: { 200: { description: 'The thing', body: Thing } },
      problems: ['not-found'],
    },
    ({ params, query }) => {
      if (params.thingId === 't-404') throw HttpProblem.notFound();
      // An extra field the contract does not name: the response schema must strip it.
      const thing = { id: params.thingId, name: query.verbose === 'yes' ? 'A verbose thing' : 'thing', quantity: query.limit ?? 1, internalNote: 'never leaves' };
      return { status: 200, body: thing };
    },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/api/workspaces/:workspaceId/things',
      summary: 'Create a thing',
      tags: ['things'],
      auth: 'session',
      permission: 'catalog.write',
      params: z.object({ workspaceId: z.uuid() }),
      body: z.object({ name: z.string().min(1).max(40), quantity: z.number().int().min(0) }).strict(),
      responses: { 201: { description: 'Created', body: Thing } },
      problems: ['conflict'],
    },
    ({ body, principal }) => {
      if (body.name === 'taken') throw HttpProblem.conflict('A thing with this name exists.', 'thing.name_taken');
      if (body.name === 'race') throw new ConcurrencyConflictError('Thing', 't-1');
      return { status: 201, body: { id: `t-${principal.role.length}`, name: body.name, quantity: body.quantity }, headers: { Location: `${WS_THINGS}/t-1` } };
    },
  ),
  defineRoute(
    {
      method: 'delete',
      path: '/api/workspaces/:workspaceId/things/:thingId',
      summary: 'Delete a thing',
      tags: ['things'],
      auth: 'session',
      permission: 'catalog.write',
      params: z.object({ workspaceId: z.uuid(), thingId: z.string() }),
      responses: { 204: { description: 'Deleted' } },
    },
    () => ({ status: 204 }),
  ),
  defineRoute(
    { method: 'get', path: '/api/boom', summary: 'Fails like a bug', tags: ['testing'], auth: 'public', responses: { 200: { description: 'never' } } },
    () => {
      throw new Error('database password is hunter2 at /srv/secret/path');
    },
  ),
  defineRoute(
    { method: 'get', path: '/api/broken-contract', summary: 'Answers outside its contract', tags: ['testing'], auth: 'public', responses: { 200: { description: 'A thing', body: Thing } } },
    // The cast stands for a handler bug the compiler could not see (data from an untyped source).
    () => ({ status: 200, body: { id: 1, name: null } as unknown as z.input<typeof Thing> }),
  ),
];

export function buildTestApp(overrides: Partial<AppDeps> = {}): { app: PaletteApp; logs: CapturedLogs } {
  const logs = captureLogs();
  const app = createApp({
    config: testConfig,
    logger: logs.logger,
    routes: sampleRoutes,
    authenticator: bearerRoleAuthenticator,
    rateLimit: false,
    defaultMetrics: false,
    ...overrides,
  });
  return { app, logs };
}
