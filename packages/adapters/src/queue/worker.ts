import type PgBoss from 'pg-boss';
import type { QueueDefinition } from './catalogue.js';
import type { FailureOutput } from './dead-letters.js';
import type { QueueEngine } from './engine.js';
import { PermanentJobError } from './errors.js';
import type { JobHandler, JobRegistry } from './registry.js';

/** What the worker reports as it goes; the app turns these into metrics and log lines. */
export type JobEvent =
  | { readonly type: 'started'; readonly queue: string; readonly id: string; readonly attempt: number; readonly waitedMs: number }
  | { readonly type: 'completed'; readonly queue: string; readonly id: string; readonly durationMs: number }
  | {
      readonly type: 'failed';
      readonly queue: string;
      readonly id: string;
      readonly durationMs: number;
      readonly permanent: boolean;
      /** False when this failure made the job a dead letter. */
      readonly willRetry: boolean;
      readonly error: unknown;
    }
  /** An older job with the same ordering key is unfinished: this one went back to wait for it. */
  | { readonly type: 'deferred'; readonly queue: string; readonly id: string }
  /** pg-boss or the database failed outside a handler (fetch, complete, expiry); the loop carries on. */
  | { readonly type: 'error'; readonly queue: string | null; readonly error: unknown };

export interface JobWorkerOptions {
  /** How often an idle queue is polled. */
  readonly pollIntervalMs?: number;
  /** How long a job waits before it looks again at an unfinished older job with its ordering key. */
  readonly orderingRecheckMs?: number;
  /**
   * How often active jobs past their expiry are handed back (pg-boss only does it in its
   * maintenance, every two minutes, which would defeat expiries of seconds).
   */
  readonly expirySweepMs?: number;
  /** Overrides each queue's concurrency (tests, benchmarks). */
  readonly concurrency?: number;
  readonly onEvent?: (event: JobEvent) => void;
}

type FetchedJob = PgBoss.JobWithMetadata<Record<string, unknown>>;

/** Up to 100 + 200 + … + 3,200 ms ≈ 6 s of retries for complete/fail after a database error. */
const SETTLE_RETRIES = 6;
const SETTLE_BACKOFF_MS = 100;

/**
 * Fetches and runs jobs for every queue that has a handler. Per job: ordering gate, handler,
 * then complete or fail. Handlers run at least once: a crash leaves the job active until its
 * expiry, when another worker takes it.
 */
export class JobWorker {
  readonly #engine: QueueEngine;
  readonly #registry: JobRegistry;
  readonly #options: Required<Omit<JobWorkerOptions, 'onEvent' | 'concurrency'>> & Pick<JobWorkerOptions, 'onEvent' | 'concurrency'>;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #controllers = new Set<AbortController>();
  readonly #wakers = new Map<string, () => void>();
  #loops: Promise<void>[] = [];
  #stopping = false;
  #expiryTimer: NodeJS.Timeout | undefined;

  constructor(engine: QueueEngine, registry: JobRegistry, options: JobWorkerOptions = {}) {
    this.#engine = engine;
    this.#registry = registry;
    this.#options = {
      pollIntervalMs: options.pollIntervalMs ?? 500,
      orderingRecheckMs: options.orderingRecheckMs ?? 200,
      expirySweepMs: options.expirySweepMs ?? 2_000,
      onEvent: options.onEvent,
      concurrency: options.concurrency,
    };
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  start(): void {
    if (this.#loops.length > 0 || this.#stopping) throw new Error('The worker was already started');
    this.#loops = this.#registry.handled().map(({ queue, handler }) => this.#loop(queue, handler));
    this.#expiryTimer = setInterval(() => {
      this.#engine.boss.expire().catch((error: unknown) => this.#emit({ type: 'error', queue: null, error }));
    }, this.#options.expirySweepMs);
    this.#expiryTimer.unref();
  }

  /** Fetch now rather than at the next poll (a job was just sent from this process). */
  notify(queue: string): void {
    this.#wakers.get(queue)?.();
  }

  /**
   * Stops fetching, then waits up to `graceMs` for the jobs in flight. Jobs still running after
   * that are aborted and left active: they expire and run again on another worker. Returns how many.
   */
  async stop(graceMs = 10_000): Promise<{ abandoned: number }> {
    this.#stopping = true;
    clearInterval(this.#expiryTimer);
    for (const wake of this.#wakers.values()) wake();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const drained = (async () => {
      await Promise.all(this.#loops);
      await Promise.allSettled([...this.#inFlight]);
      return 'drained' as const;
    })();
    const outcome = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    const abandoned = outcome === 'drained' ? 0 : this.#inFlight.size;
    for (const controller of this.#controllers) controller.abort(new Error('The worker is shutting down'));
    return { abandoned };
  }

  async #loop(queue: QueueDefinition, handler: JobHandler): Promise<void> {
    const limit = this.#options.concurrency ?? queue.concurrency;
    const mine = new Set<Promise<void>>();
    while (!this.#stopping) {
      const free = limit - mine.size;
      if (free <= 0) {
        await Promise.race(mine);
        continue;
      }
      let jobs: FetchedJob[] = [];
      try {
        jobs = await this.#engine.boss.fetch<Record<string, unknown>>(queue.name, { batchSize: free, includeMetadata: true });
      } catch (error) {
        this.#emit({ type: 'error', queue: queue.name, error });
      }
      // Fetched jobs are already active in the database: run them even if a stop arrived meanwhile.
      for (const job of jobs) {
        const run = this.#run(queue, handler, job).finally(() => {
          mine.delete(run);
          this.#inFlight.delete(run);
        });
        mine.add(run);
        this.#inFlight.add(run);
      }
      if (jobs.length === 0) await this.#idle(queue.name);
    }
  }

  #idle(queue: string): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(wake, this.#options.pollIntervalMs);
      const wakers = this.#wakers;
      function wake(): void {
        clearTimeout(timer);
        wakers.delete(queue);
        resolve();
      }
      this.#wakers.set(queue, wake);
    });
  }

  async #run(queue: QueueDefinition, handler: JobHandler, job: FetchedJob): Promise<void> {
    try {
      if (queue.ordered && job.singletonKey) {
        const blocker = await this.#settleWith(() => this.#olderUnfinished(job));
        if (blocker) {
          await this.#settle(() => this.#deferUntil(job, blocker));
          this.#emit({ type: 'deferred', queue: queue.name, id: job.id });
          return;
        }
      }
    } catch (error) {
      // The job stays active and comes back after its expiry.
      this.#emit({ type: 'error', queue: queue.name, error });
      return;
    }

    const started = Date.now();
    const ready = Math.max(new Date(job.createdOn).getTime(), new Date(job.startAfter).getTime());
    this.#emit({ type: 'started', queue: queue.name, id: job.id, attempt: job.retryCount + 1, waitedMs: Math.max(0, started - ready) });
    const controller = new AbortController();
    this.#controllers.add(controller);
    try {
      await handler({
        id: job.id,
        queue: queue.name,
        data: job.data,
        attempt: job.retryCount + 1,
        orderingKey: job.singletonKey,
        createdAt: new Date(job.createdOn),
        signal: controller.signal,
      });
    } catch (error) {
      await this.#fail(queue, job, error, Date.now() - started);
      return;
    } finally {
      this.#controllers.delete(controller);
    }
    try {
      await this.#settle(() => this.#engine.boss.complete(queue.name, job.id));
      this.#emit({ type: 'completed', queue: queue.name, id: job.id, durationMs: Date.now() - started });
    } catch (error) {
      // The effect happened but the job stays active: it runs again after its expiry (idempotent handlers).
      this.#emit({ type: 'error', queue: queue.name, error });
    }
  }

  async #fail(queue: QueueDefinition, job: FetchedJob, error: unknown, durationMs: number): Promise<void> {
    const permanent = error instanceof PermanentJobError;
    const payloadWorkspace = typeof job.data?.workspaceId === 'string' ? job.data.workspaceId : null;
    const output: FailureOutput = {
      reason: error instanceof Error ? error.message : String(error),
      permanent,
      workspaceId: (permanent ? error.workspaceId : undefined) ?? payloadWorkspace,
    };
    try {
      await this.#settle(async () => {
        if (permanent) {
          // pg-boss's fail() retries while retry_count < retry_limit: close the budget first.
          await this.#engine.sql(`update ${this.#engine.schema}.job set retry_limit = retry_count where name = $1 and id = $2::uuid and state = 'active'`, [queue.name, job.id]);
        }
        await this.#engine.boss.fail(queue.name, job.id, output);
      });
      this.#emit({ type: 'failed', queue: queue.name, id: job.id, durationMs, permanent, willRetry: !permanent && job.retryCount < job.retryLimit, error });
    } catch (failError) {
      this.#emit({ type: 'error', queue: queue.name, error: failError });
    }
  }

  /** The start_after of the oldest unfinished job queued before this one with the same key, if any. */
  async #olderUnfinished(job: FetchedJob): Promise<{ startAfter: Date } | undefined> {
    const schema = this.#engine.schema;
    // Compared in SQL against the stored row: created_on has microseconds, a JS Date only milliseconds.
    const { rows } = await this.#engine.sql<{ start_after: Date }>(
      `select older.start_after from ${schema}.job older, ${schema}.job self
        where self.name = $1 and self.id = $2::uuid
          and older.name = $1 and older.singleton_key = $3 and older.state < 'completed'
          and (older.created_on, older.id) < (self.created_on, self.id)
        order by older.created_on, older.id limit 1`,
      [job.name, job.id, job.singletonKey],
    );
    const row = rows[0];
    return row ? { startAfter: new Date(row.start_after) } : undefined;
  }

  /**
   * Hands the job back without spending an attempt: pg-boss counts a retry when it fetches a job
   * whose started_on is set, so it is cleared. It waits at least until the older job may start.
   */
  async #deferUntil(job: FetchedJob, blocker: { startAfter: Date }): Promise<void> {
    await this.#engine.sql(
      `update ${this.#engine.schema}.job
          set state = 'created', started_on = null,
              start_after = greatest(now() + $3 * interval '1 millisecond', $4::timestamptz)
        where name = $1 and id = $2::uuid and state = 'active'`,
      [job.name, job.id, this.#options.orderingRecheckMs, blocker.startAfter.toISOString()],
    );
  }

  /**
   * Completing, failing or deferring a job right after a database blip (a restart, killed connections) would
   * otherwise leave it active until its expiry, and every later job of its ordering key behind it:
   * the bookkeeping is retried for a few seconds first, on fresh pool connections.
   */
  async #settle(work: () => Promise<unknown>): Promise<void> {
    await this.#settleWith(work);
  }

  async #settleWith<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (attempt >= SETTLE_RETRIES || this.#stopping) throw error;
        await new Promise((resolve) => setTimeout(resolve, SETTLE_BACKOFF_MS * 2 ** attempt));
      }
    }
  }

  #emit(event: JobEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // An observer's bug must not stop the queue.
    }
  }
}
