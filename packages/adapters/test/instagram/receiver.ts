import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: Buffer;
}

/** A stand-in for the app's webhook endpoint: records every request, answers what the test says. */
export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  respondWith(fn: (r: Received) => { status: number; body?: string; contentType?: string }): void;
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let responder: (r: Received) => { status: number; body?: string; contentType?: string } = () => ({ status: 200, body: 'EVENT_RECEIVED' });
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, raw: Buffer.concat(chunks) };
      received.push(r);
      const out = responder(r);
      res.writeHead(out.status, { 'content-type': out.contentType ?? 'text/plain' });
      res.end(out.body ?? '');
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/instagram`,
    received,
    respondWith: (fn) => { responder = fn; },
    waitFor: async (count, timeoutMs = 3000) => {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} webhook requests, got ${received.length}`);
        await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 50); });
      }
      return received.slice(0, count);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
