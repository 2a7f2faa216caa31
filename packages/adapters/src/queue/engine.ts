import { createHash } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import PgBoss from 'pg-boss';
import type { JobQueue, JobRequest } from '@palette/domain';
import type { Database } from '../persistence/database.js';
import type { QueueDefinition } from './catalogue.js';
import { pgliteExecutor, type SqlExecutor } from './pglite-executor.js';

/** Where pg-boss keeps its tables: its own connection pool on PostgreSQL, or the shared PGlite. */
export type QueueConnection = { readonly connectionString: string; readonly maxConnections?: number } | { readonly pglite: PGlite };

/** The queue connection for a database the app already opened (same PostgreSQL, or the same PGlite instance). */
export function queueConnectionFor(database: Database, databaseUrl?: string): QueueConnection {
  if (database.kind === 'pglite') {
    if (!database.pglite) throw new Error('An embedded database without its PGlite instance cannot host the queue');
    return { pglite: database.pglite };
  }
  const url = databaseUrl ?? (database.orm.config.get('clientUrl') as string | undefined);
  if (!url) throw new Error('The PostgreSQL URL of the database is unknown: pass databaseUrl');
  return { connectionString: url };
}

export interface QueueEngineOptions {
  readonly connection: QueueConnection;
  /** PostgreSQL schema of pg-boss's tables. */
  readonly schema?: string;
  /**
   * `worker` runs pg-boss's maintenance (archive, delete) and cron timekeeping; `producer` only
   * sends and reads, for processes that enqueue but never work (HTTP).
   */
  readonly role: 'worker' | 'producer';
  /** Failed jobs stay listable and retryable this long before pg-boss archives them (default 14 days). */
  readonly keepDeadLettersSeconds?: number;
  /** Called with errors pg-boss reports from its timers (maintenance, cron); they never throw. */
  readonly onError?: (error: unknown) => void;
}

export const DEFAULT_QUEUE_SCHEMA = 'pgboss';

/**
 * One pg-boss instance and the SQL we add beside it. The queue tables belong to pg-boss (it
 * installs and migrates them on start); this module reads and updates them in a few documented
 * places (ordering, permanent failure, dead letters), pinned to pg-boss 10.4.2's schema.
 */
export class QueueEngine {
  private constructor(
    readonly boss: PgBoss,
    readonly schema: string,
    readonly kind: 'postgresql' | 'pglite',
  ) {}

  static async open(options: QueueEngineOptions): Promise<QueueEngine> {
    const schema = options.schema ?? DEFAULT_QUEUE_SCHEMA;
    const worker = options.role === 'worker';
    const connection: PgBoss.DatabaseOptions =
      'pglite' in options.connection
        ? { db: pgliteExecutor(options.connection.pglite) as PgBoss.Db }
        : { connectionString: options.connection.connectionString, max: options.connection.maxConnections ?? 10, application_name: `palette-${options.role}` };
    const boss = new PgBoss({
      ...connection,
      schema,
      migrate: true,
      supervise: worker,
      schedule: worker,
      archiveFailedAfterSeconds: options.keepDeadLettersSeconds ?? 14 * 24 * 3600,
    });
    boss.on('error', (error) => options.onError?.(error));
    await boss.start();
    return new QueueEngine(boss, schema, 'pglite' in options.connection ? 'pglite' : 'postgresql');
  }

  async sql<Row = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<{ rows: Row[] }> {
    const { rows } = await (this.boss.getDb() as SqlExecutor).executeSql(text, values);
    return { rows: rows as Row[] };
  }

  /** Creates missing queues, brings existing ones to these settings, and (re)registers the cron schedules. */
  async ensureQueues(queues: readonly QueueDefinition[], options: { schedules?: boolean } = {}): Promise<void> {
    for (const queue of queues) {
      const settings: PgBoss.Queue = {
        name: queue.name,
        policy: queue.cron ? 'short' : 'standard',
        retryLimit: queue.retryLimit,
        retryDelay: queue.retryDelaySeconds,
        retryBackoff: true,
        expireInSeconds: queue.expireInSeconds,
      };
      await retryOnStartupRace(() => this.boss.createQueue(queue.name, settings));
      await retryOnStartupRace(() => this.boss.updateQueue(queue.name, settings));
      if (options.schedules && queue.cron) await retryOnStartupRace(() => this.boss.schedule(queue.name, queue.cron!, {}, { tz: 'UTC' }));
    }
  }

  async stop(): Promise<void> {
    // Our own loop runs the handlers (JobWorker), so pg-boss has no work of its own to wait for.
    await this.boss.stop({ graceful: false, wait: true, close: true, timeout: 1_000 });
  }
}

/** Deadlock, duplicate key, relation already exists: what two processes creating the same queue at once get. */
const STARTUP_RACE_CODES = new Set(['40P01', '23505', '42P07']);

/**
 * Processes started together (N HTTP + M workers) create the same queues at once, and each queue
 * is a partition of pgboss.job: PostgreSQL can pick one of them as a deadlock victim, which used to
 * kill that process at boot. Creating and updating a queue is idempotent, so the loser tries again.
 */
async function retryOnStartupRace<T>(work: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (attempt >= attempts || typeof code !== 'string' || !STARTUP_RACE_CODES.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}

/**
 * A pg-boss job id derived from the dedupe key: a second send with the same key conflicts with the
 * first row and is dropped by pg-boss's `ON CONFLICT DO NOTHING`, for as long as the first job is
 * in the live table (queued, running, or finished and not yet archived).
 */
export function dedupeJobId(queue: string, dedupeKey: string): string {
  const hex = createHash('sha256').update(`${queue}\n${dedupeKey}`).digest('hex');
  // RFC 9562 version 8 (custom) with the RFC variant bits, so the value is a valid uuid.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The domain's JobQueue on pg-boss. Unknown queue names throw: a typo must not vanish silently. */
export class PgBossJobQueue implements JobQueue {
  constructor(
    private readonly engine: QueueEngine,
    private readonly queues: ReadonlyMap<string, QueueDefinition>,
    /** Told after each send, so a worker in the same process can fetch at once instead of at its next poll. */
    private readonly onEnqueued?: (queue: string) => void,
  ) {}

  async enqueue(job: JobRequest): Promise<void> {
    const queue = this.queues.get(job.name);
    if (!queue) throw new Error(`No queue named ${job.name}`);
    if (job.orderingKey !== undefined && !queue.ordered) throw new Error(`Queue ${job.name} does not keep an order: drop orderingKey`);
    const options: PgBoss.SendOptions = {};
    if (job.orderingKey !== undefined) options.singletonKey = job.orderingKey;
    if (job.startAfter) options.startAfter = job.startAfter;
    if (job.dedupeKey !== undefined) options.id = dedupeJobId(job.name, job.dedupeKey);
    await this.engine.boss.send(job.name, { ...job.data }, options);
    this.onEnqueued?.(job.name);
  }
}
