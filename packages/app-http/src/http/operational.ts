import { z } from 'zod';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { HttpProblem } from './problem.js';
import { defineRoute } from './route.js';
import type { RouteDefinition } from './route.js';

/** A dependency the service needs to do useful work (database, queue); true when it answers. */
export type ReadinessCheck = () => Promise<boolean>;
export type ReadinessChecks = Readonly<Record<string, ReadinessCheck>>;
export type CheckStatus = 'ok' | 'failing' | 'timeout';

/** Operational endpoints skip the rate limiter: probes and scrapers call them all day from one address. */
export const OPERATIONAL_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

const NO_STORE = { 'Cache-Control': 'no-store' } as const;

async function runCheck(name: string, check: ReadinessCheck, timeoutMs: number, logger: Logger): Promise<CheckStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const answered = (async (): Promise<CheckStatus> => ((await check()) ? 'ok' : 'failing'))().catch((error: unknown) => {
    logger.warn({ err: error, check: name }, 'readiness check threw');
    return 'failing' as const;
  });
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export function operationalRoutes(deps: { checks: ReadinessChecks; checkTimeoutMs: number; registry: Registry; logger: Logger }): RouteDefinition[] {
  const CheckResults = z.record(z.string(), z.enum(['ok', 'failing', 'timeout']));
  return [
    defineRoute(
      {
        method: 'get',
        path: '/healthz',
        summary: 'Liveness: the process is up and serving HTTP',
        description: 'Checks nothing else, so a database outage never gets the process restarted in a loop.',
        tags: ['operations'],
        auth: 'public',
        responses: { 200: { description: 'The process is up', body: z.object({ status: z.literal('ok') }) } },
      },
      () => ({ status: 200, body: { status: 'ok' }, headers: NO_STORE }),
    ),
    defineRoute(
      {
        method: 'get',
        path: '/readyz',
        summary: 'Readiness: every dependency answers',
        description: 'Runs each check in parallel with a timeout; 503 lists which failed.',
        tags: ['operations'],
        auth: 'public',
        responses: {
          200: { description: 'Ready', body: z.object({ status: z.literal('ok'), checks: CheckResults }) },
        },
        problems: ['unavailable'],
      },
      async () => {
        const names = Object.keys(deps.checks);
        const statuses = await Promise.all(names.map((name) => runCheck(name, deps.checks[name] as ReadinessCheck, deps.checkTimeoutMs, deps.logger)));
        const checks = Object.fromEntries(names.map((name, i) => [name, statuses[i] as CheckStatus]));
        const failing = names.filter((name) => checks[name] !== 'ok');
        if (failing.length > 0) {
          throw new HttpProblem('unavailable', { detail: `Not ready: ${failing.join(', ')}.`, extensions: { checks }, headers: NO_STORE });
        }
        return { status: 200, body: { status: 'ok', checks }, headers: NO_STORE };
      },
    ),
    defineRoute(
      {
        method: 'get',
        path: '/metrics',
        summary: 'Prometheus metrics',
        tags: ['operations'],
        auth: 'public',
        responses: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain; version=0.0.4' } },
      },
      async ({ res }) => {
        res.setHeader('Content-Type', deps.registry.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.send(await deps.registry.metrics());
      },
    ),
  ];
}
