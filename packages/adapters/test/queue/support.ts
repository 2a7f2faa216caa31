import { JobRegistry, JobWorker, QueueEngine, type JobEvent, type JobHandler, type JobWorkerOptions, type QueueConnection, type QueueDefinition } from '@palette/adapters/queue';

/** A queue for tests: short expiry, fast retries. */
export function testQueue(name: string, overrides: Partial<QueueDefinition> = {}): QueueDefinition {
  return { name, expireInSeconds: 30, retryLimit: 3, retryDelaySeconds: 1, ordered: false, concurrency: 4, ...overrides };
}

export interface TestWorker {
  readonly engine: QueueEngine;
  readonly worker: JobWorker;
  readonly events: JobEvent[];
  stop(graceMs?: number): Promise<{ abandoned: number }>;
}

/** An engine with these queues created, and (when handlers are given) a worker on them, polling fast. */
export async function startTestWorker(
  connection: QueueConnection,
  queues: readonly QueueDefinition[],
  handlers: Record<string, JobHandler> = {},
  options: JobWorkerOptions = {},
): Promise<TestWorker> {
  const engine = await QueueEngine.open({ connection, role: 'worker' });
  await engine.ensureQueues(queues);
  const registry = new JobRegistry(queues);
  for (const [name, handler] of Object.entries(handlers)) registry.handle(name, handler);
  const events: JobEvent[] = [];
  const worker = new JobWorker(engine, registry, { pollIntervalMs: 50, orderingRecheckMs: 50, expirySweepMs: 500, ...options, onEvent: (e) => events.push(e) });
  worker.start();
  let stopped: Promise<{ abandoned: number }> | undefined;
  return {
    engine,
    worker,
    events,
    stop: (graceMs = 5_000) =>
      (stopped ??= (async () => {
        const result = await worker.stop(graceMs);
        await engine.stop();
        return result;
      })()),
  };
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
