import { EventEmitter } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { defineRoute } from '../src/http/route.js';
import { shutdownGracefully, startServer } from '../src/server.js';
import type { ProcessLike } from '../src/server.js';
import { buildTestApp, captureLogs } from './support/harness.js';

/** A process stand-in: signals are emitted by the test, exit codes recorded. */
class FakeProcess extends EventEmitter implements ProcessLike {
  readonly exitCodes: number[] = [];
  exit(code: number): void {
    this.exitCodes.push(code);
  }
}

/** A slow route that tells the test when it has started. */
function slowApp(delayMs: number) {
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const slow = defineRoute(
    { method: 'get', path: '/slow', summary: 'Slow', tags: [], auth: 'public', responses: { 200: { description: 'done', body: z.object({ done: z.literal(true) }) } } },
    async () => {
      markStarted();
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { status: 200, body: { done: true as const } };
    },
  );
  return { app: buildTestApp({ routes: [slow] }).app, started };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

function tryConnect(port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

const config = { port: 0, host: '127.0.0.1', shutdownGraceMs: 5_000 };

describe('graceful shutdown', () => {
  it('on SIGTERM: refuses new connections, finishes the in-flight request, runs hooks last-first, exits 0', async () => {
    const { app, started } = slowApp(400);
    const proc = new FakeProcess();
    const logs = captureLogs();
    const running = await startServer(app, config, logs.logger, proc);
    const port = Number(new URL(running.url).port);
    const order: string[] = [];
    running.onShutdown('database', async () => void order.push('database'));
    running.onShutdown('queue', async () => void order.push('queue'));

    const inFlight = get(`${running.url}slow`);
    await started;
    proc.emit('SIGTERM');
    // The listening socket closes at once: a new client is refused while /slow is still running.
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
    expect(order).toEqual([]);

    expect(await inFlight).toEqual({ status: 200, body: '{"done":true}' });
    const outcome = await running.shutdown('test');
    expect(outcome).toEqual({ exitCode: 0, forced: false });
    expect(order).toEqual(['queue', 'database']);
    expect(proc.exitCodes).toEqual([0]);
    expect(proc.listenerCount('SIGTERM') + proc.listenerCount('SIGINT')).toBe(0);
    expect(logs.entries().map((e) => e['msg'])).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  });

  it('cuts requests still running when the grace period ends, then still runs the hooks', async () => {
    const { app, started } = slowApp(5_000);
    const proc = new FakeProcess();
    const running = await startServer(app, { ...config, shutdownGraceMs: 100 }, captureLogs().logger, proc);
    let closed = false;
    running.onShutdown('database', () => void (closed = true));

    const inFlight = get(`${running.url}slow`).then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    );
    await started;
    const began = Date.now();
    const outcome = await running.shutdown('SIGINT');
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(outcome).toEqual({ exitCode: 0, forced: true });
    expect(await inFlight).toBe('ECONNRESET');
    expect(closed).toBe(true);
    expect(proc.exitCodes).toEqual([0]);
  });

  it('exits 1 when a hook fails or hangs, and still runs the others', async () => {
    const { app } = slowApp(0);
    const logs = captureLogs();
    const running = await startServer(app, config, logs.logger, new FakeProcess());
    const server = running.server;
    const ran: string[] = [];
    const outcome = await shutdownGracefully(server, {
      graceMs: 1_000,
      hookTimeoutMs: 50,
      logger: logs.logger,
      hooks: [
        { name: 'database', run: () => void ran.push('database') },
        { name: 'hangs', run: () => new Promise<void>(() => undefined) },
        {
          name: 'throws',
          run: () => {
            throw new Error('close failed');
          },
        },
      ],
    });
    expect(outcome).toEqual({ exitCode: 1, forced: false });
    expect(ran).toEqual(['database']);
    const failures = logs.entries().filter((e) => e['msg'] === 'shutdown hook failed');
    expect(failures.map((e) => e['hook'])).toEqual(['throws', 'hangs']);
  });

  it('a second signal while stopping exits 1 at once', async () => {
    const { app, started } = slowApp(1_000);
    const proc = new FakeProcess();
    const running = await startServer(app, config, captureLogs().logger, proc);
    const inFlight = get(`${running.url}slow`).catch(() => undefined);
    await started;
    proc.emit('SIGINT');
    proc.emit('SIGINT');
    expect(proc.exitCodes).toEqual([1]);
    await inFlight;
    await running.shutdown('cleanup');
  });

  it('rejects when the port is taken, so main can report it', async () => {
    const { app } = slowApp(0);
    const first = await startServer(app, config, captureLogs().logger, new FakeProcess());
    const port = Number(new URL(first.url).port);
    await expect(startServer(app, { ...config, port }, captureLogs().logger, new FakeProcess())).rejects.toThrow(/EADDRINUSE/);
    await first.shutdown('cleanup');
  });
});

describe('requests Node refuses before the app', () => {
  it('answers an oversized URL with a 431 problem document, not an empty reply', async () => {
    const proc = new FakeProcess();
    const running = await startServer((_req, res) => res.end('ok'), { port: 0, host: '127.0.0.1', shutdownGraceMs: 100 }, captureLogs().logger, proc);
    try {
      const res = await fetch(`${running.url}?q=${'x'.repeat(20_000)}`);
      expect(res.status).toBe(431);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ type: 'https://palette.dev/problems/headers-too-large', status: 431 });
    } finally {
      await new Promise((r) => running.server.close(r));
    }
  });
});
