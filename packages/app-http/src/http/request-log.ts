import type { RequestHandler } from 'express';
import type { Clock, IdGenerator, RequestLog, RequestLogEntry, UserId, WorkspaceId } from '@palette/domain';
import type { Logger } from '../logger.js';

/** What mount-routes leaves in `res.locals.principal` once a caller is authenticated. */
export interface LoggedPrincipal {
  readonly userId: UserId;
  readonly workspaceId?: WorkspaceId;
}

export interface RequestRecorder {
  readonly middleware: RequestHandler;
  /** Writes what is buffered; called on a timer, when the buffer fills, and at shutdown. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

// Probes and scrapes are not requests anyone needs to audit, and they would drown the log.
const UNLOGGED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The stored API request log. Entries are buffered and written in batches after the response has
 * gone, so logging adds no database round trip to a request; a failed write is reported (with the
 * count) and never fails the request it describes. The workspace is the caller's own, once the
 * route has checked membership: a stranger probing another workspace is logged without it.
 */
export function recordRequests(deps: { log: RequestLog; ids: IdGenerator; clock: Clock; logger: Logger; flushEveryMs?: number; batchSize?: number; maxBuffered?: number }): RequestRecorder {
  const batchSize = deps.batchSize ?? 200;
  const maxBuffered = deps.maxBuffered ?? 20_000;
  let buffer: RequestLogEntry[] = [];
  let writing: Promise<void> = Promise.resolve();
  let dropped = 0;

  const flush = (): Promise<void> => {
    writing = writing.then(async () => {
      while (buffer.length > 0) {
        const batch = buffer.slice(0, batchSize);
        buffer = buffer.slice(batch.length);
        try {
          await deps.log.append(batch);
        } catch (error) {
          deps.logger.warn({ err: error, entries: batch.length }, 'API request log: a batch could not be stored');
          return;
        }
      }
    });
    return writing;
  };
  const timer = setInterval(() => void flush(), deps.flushEveryMs ?? 1_000);
  timer.unref();

  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = res.locals['route'] as string | undefined;
      if (route === undefined || UNLOGGED.has(route)) return;
      if (buffer.length >= maxBuffered) {
        dropped += 1;
        if (dropped === 1 || dropped % 1000 === 0) deps.logger.warn({ dropped }, 'API request log: the database is not keeping up; entries dropped');
        return;
      }
      const principal = res.locals['principal'] as LoggedPrincipal | undefined;
      buffer.push({
        id: deps.ids.next(), at: deps.clock.now(), workspaceId: principal?.workspaceId ?? null, userId: principal?.userId ?? null,
        method: req.method, route, status: res.statusCode, durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6), requestId: String(req.id),
      });
      if (buffer.length >= batchSize) void flush();
    });
    next();
  };

  return {
    middleware,
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
