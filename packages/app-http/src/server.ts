import { createServer, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, problemTypeUri, type ProblemSlug } from './http/problem.js';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

export interface ShutdownHook {
  readonly name: string;
  readonly run: () => Promise<void> | void;
}

export interface ShutdownOptions {
  /** How long in-flight requests may take before their connections are cut. */
  readonly graceMs: number;
  /** Run after the server has drained, last registered first (the database closes after what uses it). */
  readonly hooks: readonly ShutdownHook[];
  readonly logger: Logger;
  /** Bound on each hook, so a hung close cannot keep a stopping process alive forever. */
  readonly hookTimeoutMs?: number;
}

export interface ShutdownOutcome {
  /** 0 when every hook finished; 1 when one failed or hung. */
  readonly exitCode: 0 | 1;
  /** True when the grace period ran out and open connections were cut. */
  readonly forced: boolean;
}

const DEFAULT_HOOK_TIMEOUT_MS = 5_000;

/**
 * Stops `server` gracefully: refuse new connections at once, let in-flight requests finish within
 * the grace period (then cut what is left), and run the shutdown hooks. Never rejects.
 */
export async function shutdownGracefully(server: Server, options: ShutdownOptions): Promise<ShutdownOutcome> {
  const { logger } = options;
  // Keep-alive clients may still send on a connection they hold: tell them it is the last one.
  server.prependListener('request', (_req, res) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  });
  const drained = new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
  server.closeIdleConnections();

  let graceTimer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((resolve) => {
    graceTimer = setTimeout(() => resolve('timeout'), options.graceMs);
  });
  const forced = (await Promise.race([drained.then(() => 'drained' as const), graceOver])) === 'timeout';
  clearTimeout(graceTimer);
  if (forced) {
    logger.warn({ graceMs: options.graceMs }, 'grace period over: closing the connections still open');
    server.closeAllConnections();
    await drained;
  }

  let exitCode: 0 | 1 = 0;
  for (const hook of [...options.hooks].reverse()) {
    const outcome = await withTimeout(hook.run, options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS);
    if (outcome !== 'ok') {
      exitCode = 1;
      logger.error({ hook: hook.name, ...(outcome === 'timeout' ? { timedOut: true } : { err: outcome.error }) }, 'shutdown hook failed');
    }
  }
  return { exitCode, forced };
}

async function withTimeout(run: () => Promise<void> | void, timeoutMs: number): Promise<'ok' | 'timeout' | { error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(run).then(() => 'ok' as const, (error: unknown) => ({ error })), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where signals come from and how the process ends: the real process by default, fakes in tests. */
export interface ProcessLike {
  once(signal: NodeJS.Signals, listener: () => void): unknown;
  removeListener(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code: number): void;
}

export interface RunningServer {
  readonly server: Server;
  /** `http://host:port/` as bound (port 0 resolved to the real port). */
  readonly url: string;
  /** Runs on shutdown after the server drained; later registrations run first. */
  onShutdown(name: string, run: () => Promise<void> | void): void;
  /** What SIGTERM and SIGINT call; resolves with the outcome after exit was requested. */
  shutdown(reason: string): Promise<ShutdownOutcome>;
}

/**
 * Node's HTTP parser refuses some requests before Express sees them (a URL or headers over 16 kB, a
 * broken request line) and would answer with an empty body: answer with the same problem+json shape
 * as everything else, then close.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const slug: ProblemSlug = tooLarge ? 'headers-too-large' : 'bad-request';
  const { status, title } = PROBLEM_TYPES[slug];
  const body = JSON.stringify({ type: problemTypeUri(slug), title, status, detail: tooLarge ? 'Send a shorter URL or fewer headers.' : 'The request could not be parsed as HTTP.' });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export type ServerConfig = Pick<Config, 'port' | 'host' | 'shutdownGraceMs'>;

const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Listens on config.host:port and stops gracefully on SIGTERM or SIGINT, then exits 0 (1 if a
 * shutdown hook failed). A second signal while stopping exits 1 at once, for an impatient Ctrl-C.
 */
export async function startServer(app: RequestListener, config: ServerConfig, logger: Logger, proc: ProcessLike = process): Promise<RunningServer> {
  const server = createServer(app);
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? 'localhost' : host}:${address.port}/`;

  const hooks: ShutdownHook[] = [];
  let stopping: Promise<ShutdownOutcome> | undefined;

  const shutdown = (reason: string): Promise<ShutdownOutcome> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'shutting down');
      const outcome = await shutdownGracefully(server, { graceMs: config.shutdownGraceMs, hooks, logger });
      logger.info({ ...outcome }, 'stopped');
      for (const signal of SIGNALS) proc.removeListener(signal, listeners[signal]);
      proc.exit(outcome.exitCode);
      return outcome;
    })();
    return stopping;
  };

  const listeners = Object.fromEntries(
    SIGNALS.map((signal) => [
      signal,
      () => {
        if (stopping) {
          logger.warn({ signal }, 'second signal while stopping: exiting now');
          proc.exit(1);
          return;
        }
        void shutdown(signal);
        // Listen again so that a second signal reaches the branch above instead of killing us silently.
        proc.once(signal, listeners[signal]);
      },
    ]),
  ) as Record<NodeJS.Signals, () => void>;
  for (const signal of SIGNALS) proc.once(signal, listeners[signal]);

  return {
    server,
    url,
    onShutdown: (name, run) => {
      hooks.push({ name, run });
    },
    shutdown,
  };
}
