import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobEvent, QueueEngine } from '@palette/adapters/queue';

export interface WorkerMetrics {
  readonly registry: Registry;
  record(event: JobEvent): void;
}

const STATES = ['created', 'retry', 'active', 'failed'] as const;

/** The worker's Prometheus metrics, in their own registry (a process may run HTTP and worker side by side). */
export function createWorkerMetrics(engine: QueueEngine, queues: readonly string[], options: { defaultMetrics?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'palette_worker_' });

  new Gauge({
    name: 'palette_queue_jobs',
    help: 'Jobs per queue and state: created/retry are waiting, active are running, failed are dead letters not yet archived.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const { rows } = await engine.sql<{ name: string; state: string; count: number | string }>(
        `select name, state::text as state, count(*) as count from ${engine.schema}.job
          where state in ('created', 'retry', 'active', 'failed') group by name, state`,
      );
      this.reset();
      for (const queue of queues) for (const state of STATES) this.set({ queue, state }, 0);
      for (const row of rows) if (queues.includes(row.name)) this.set({ queue: row.name, state: row.state }, Number(row.count));
    },
  });
  const waited = new Histogram({
    name: 'palette_job_wait_seconds',
    help: 'From the moment a job could start (created or start_after) until a worker started it.',
    labelNames: ['queue'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'palette_job_duration_seconds',
    help: 'Handler run time, by outcome.',
    labelNames: ['queue', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const completed = new Counter({ name: 'palette_jobs_completed_total', help: 'Jobs whose handler succeeded.', labelNames: ['queue'], registers: [registry] });
  const failures = new Counter({
    name: 'palette_job_failures_total',
    help: 'Handler failures; kind is transient (retried) or permanent (PermanentJobError).',
    labelNames: ['queue', 'kind'],
    registers: [registry],
  });
  const retries = new Counter({ name: 'palette_job_retries_total', help: 'Failures that scheduled another attempt (with backoff).', labelNames: ['queue'], registers: [registry] });
  const deadLettered = new Counter({ name: 'palette_jobs_dead_lettered_total', help: 'Jobs that will not run again by themselves.', labelNames: ['queue'], registers: [registry] });
  const deferred = new Counter({ name: 'palette_jobs_deferred_total', help: 'Jobs sent back to wait for an older job with the same ordering key.', labelNames: ['queue'], registers: [registry] });
  const errors = new Counter({ name: 'palette_worker_errors_total', help: 'Queue errors outside handlers (fetch, complete, expiry).', registers: [registry] });

  return {
    registry,
    record(event) {
      switch (event.type) {
        case 'started':
          waited.observe({ queue: event.queue }, event.waitedMs / 1000);
          return;
        case 'completed':
          completed.inc({ queue: event.queue });
          duration.observe({ queue: event.queue, outcome: 'completed' }, event.durationMs / 1000);
          return;
        case 'failed':
          failures.inc({ queue: event.queue, kind: event.permanent ? 'permanent' : 'transient' });
          duration.observe({ queue: event.queue, outcome: 'failed' }, event.durationMs / 1000);
          if (event.willRetry) retries.inc({ queue: event.queue });
          else deadLettered.inc({ queue: event.queue });
          return;
        case 'deferred':
          deferred.inc({ queue: event.queue });
          return;
        case 'error':
          errors.inc();
          return;
      }
    },
  };
}

/** `GET /metrics` and nothing else, on its own port: kept off the public HTTP app. */
export async function serveMetrics(registry: Registry, port: number, host: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      () => res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
