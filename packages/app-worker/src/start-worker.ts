import type { JobQueue } from '@palette/domain';
import type { Database } from '@palette/adapters/persistence';
import {
  DeadLetters,
  JobRegistry,
  JobWorker,
  PALETTE_QUEUES,
  PALETTE_QUEUE_LIST,
  PgBossJobQueue,
  QueueEngine,
  queueConnectionFor,
  type JobEvent,
  type JobWorkerOptions,
  type QueueDefinition,
} from '@palette/adapters/queue';
import { assistantModule, buildWorkerContainer, mikroOrmModule, systemModule, useCasesModule } from './composition-root.js';
import { registerAssistantHandlers } from './handlers/assistant-reply.js';
import { llmConfigFromEnv, type LlmConfig } from '@palette/adapters/llm';
import { LazyKeyringCipher } from '@palette/adapters/instagram';
import { inboundMessageHandler } from './handlers/inbound-message.js';
import { ReleaseExpiredHolds } from '@palette/domain';
import { stockHoldsHandler } from './handlers/stock-holds.js';
import { registerInstagramWebhookHandlers } from './handlers/instagram-webhook.js';
import { instagramWorkerOptionsFromEnv, registerInstagramSendHandlers, type InstagramWorkerOptions } from './handlers/outbound-send.js';
import { privacyServicesFactory, retentionSweepHandler } from './handlers/retention-sweep.js';
import { revocationDeletionHandler } from './handlers/revocation-deletion.js';
import { buildPendingExports, exportBundleHandler } from './handlers/export-bundle.js';
import { reportRepairHandler } from './handlers/report-repair.js';
import { RepairReports } from '@palette/domain';
import { createSqlReportStore } from '@palette/adapters/persistence';
import type { Logger } from './logger.js';
import { createWorkerMetrics, serveMetrics } from './metrics.js';
import { TOKENS } from './tokens.js';

export interface StartWorkerOptions {
  /** An opened and migrated database; the worker does not close it. */
  readonly database: Database;
  readonly logger: Logger;
  /** The PostgreSQL URL pg-boss connects with; defaults to the one the ORM was opened with. */
  readonly databaseUrl?: string;
  /** Registers more handlers (later features) on top of the built-in ones. */
  readonly register?: (registry: JobRegistry) => void;
  /** Defaults to every Palette queue. */
  readonly queues?: readonly QueueDefinition[];
  /** Port of GET /metrics; 0 or undefined serves none. */
  readonly metricsPort?: number;
  readonly metricsHost?: string;
  /** Upper bound on the wait for jobs in flight when stopping. */
  readonly shutdownGraceMs?: number;
  readonly worker?: Omit<JobWorkerOptions, 'onEvent'>;
  /** Instagram cipher and Graph services; built from the environment (INSTAGRAM_*, PALETTE_ENCRYPTION_KEYS) when absent. */
  readonly instagram?: InstagramWorkerOptions;
  /** The assistant's process-wide provider defaults; from LLM_* when absent (offline when unset). */
  readonly llm?: LlmConfig;
}

export interface RunningWorker {
  /** Enqueues onto the same pg-boss; a job sent here is fetched at once by this worker. */
  readonly jobs: JobQueue;
  /** Listing and retrying failed jobs per workspace (for /api/workspaces/:id/jobs/failed). */
  readonly deadLetters: DeadLetters;
  /** pg-boss and the SQL beside it, for inspection (queue settings, schedules). */
  readonly engine: QueueEngine;
  readonly metricsUrl: string | undefined;
  /** Stops fetching, waits for the jobs in flight (bounded), stops pg-boss. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts pg-boss on the app's database (its own pool on PostgreSQL, the shared instance on
 * PGlite), creates every queue and cron schedule, and works the queues that have a handler.
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { database, logger } = options;
  const log = logger.child({ component: 'jobs' });
  const queues = options.queues ?? PALETTE_QUEUE_LIST;
  const registry = new JobRegistry(queues);

  const container = buildWorkerContainer([systemModule(), mikroOrmModule(database.orm), useCasesModule(), assistantModule()]);
  if (registry.queue(PALETTE_QUEUES.inboundMessage.name)) {
    registry.handle(PALETTE_QUEUES.inboundMessage.name, inboundMessageHandler(() => container.get(TOKENS.ReceiveInboundMessage)));
  }
  // Every retention class, erasure jobs and export bundles (packages/app-worker/src/handlers/*, issue 8).
  const privacy = privacyServicesFactory(database.orm, {
    clock: container.get(TOKENS.Clock), ids: container.get(TOKENS.Ids),
    aiFor: container.isBound(TOKENS.AiDecisionRecordsFor) ? container.get(TOKENS.AiDecisionRecordsFor) : undefined,
  });
  if (registry.queue(PALETTE_QUEUES.retentionSweep.name)) {
    registry.handle(PALETTE_QUEUES.retentionSweep.name, retentionSweepHandler(privacy, log, () => buildPendingExports(privacy)));
  }
  if (registry.queue(PALETTE_QUEUES.revocationDeletion.name)) {
    registry.handle(PALETTE_QUEUES.revocationDeletion.name, revocationDeletionHandler(privacy, log));
  }
  if (registry.queue(PALETTE_QUEUES.exportBundle.name)) {
    registry.handle(PALETTE_QUEUES.exportBundle.name, exportBundleHandler(privacy, log));
  }
  // Reports (issue 9): rebuild a workspace's aggregates for a day range from the source tables.
  if (registry.queue(PALETTE_QUEUES.reportRepair.name)) {
    registry.handle(PALETTE_QUEUES.reportRepair.name, reportRepairHandler(() => {
      const repos = container.get(TOKENS.Repositories);
      const store = createSqlReportStore(repos.uow);
      return new RepairReports({ store, source: store, workspaces: repos.workspaces, uow: repos.uow });
    }, (info) => log.info(info, 'reports repaired')));
  }
  // Instagram webhooks (issue 5): stored deliveries → events → conversations; enqueues assistant.reply.
  let liveJobs: JobQueue | undefined;
  registerInstagramWebhookHandlers(registry, {
    repositories: () => container.get(TOKENS.Repositories), clock: container.get(TOKENS.Clock), ids: container.get(TOKENS.Ids),
    jobs: () => { if (!liveJobs) throw new Error('The job queue is not started yet'); return liveJobs; },
  });
  // Instagram sends (issue 5): outbound.send, connected-account follow-up, token refresh, key rotation, delivery gap.
  registerInstagramSendHandlers(registry, {
    ...(options.instagram ?? instagramWorkerOptionsFromEnv(process.env, database.orm)),
    orm: database.orm, repositories: () => container.get(TOKENS.Repositories), clock: container.get(TOKENS.Clock), ids: container.get(TOKENS.Ids), log,
    jobs: () => { if (!liveJobs) throw new Error('The job queue is not started yet'); return liveJobs; },
  });
  // Catalog (issue 6): chat drafts' stock holds run out and give their units back.
  if (registry.queue(PALETTE_QUEUES.stockHoldExpiry.name)) {
    container.bind(TOKENS.ReleaseExpiredHolds).toResolvedValue((repos, clock, ids) => new ReleaseExpiredHolds({ ...repos, clock, ids }), [TOKENS.Repositories, TOKENS.Clock, TOKENS.Ids]);
    registry.handle(PALETTE_QUEUES.stockHoldExpiry.name, stockHoldsHandler(() => container.get(TOKENS.ReleaseExpiredHolds), log));
  }
  // The assistant (issue 7): automations first, then the configured provider (LLM_*, offline when unset).
  registerAssistantHandlers(registry, {
    repositories: () => container.get(TOKENS.Repositories), clock: container.get(TOKENS.Clock), ids: container.get(TOKENS.Ids),
    jobs: () => { if (!liveJobs) throw new Error('The job queue is not started yet'); return liveJobs; },
    llm: options.llm ?? llmConfigFromEnv(process.env),
    cipher: options.instagram?.cipher ?? new LazyKeyringCipher({ envKeys: process.env['PALETTE_ENCRYPTION_KEYS'], dataDir: process.env['PALETTE_DATA_DIR'] || './.palette' }),
  }, (fields) => log.info(fields, 'assistant reply'));
  options.register?.(registry);

  const engine = await QueueEngine.open({
    connection: queueConnectionFor(database, options.databaseUrl),
    role: 'worker',
    onError: (error) => log.error({ err: error }, 'pg-boss maintenance failed'),
  });
  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  try {
    await engine.ensureQueues(registry.queues(), { schedules: true });
    const metrics = createWorkerMetrics(engine, registry.queues().map((q) => q.name));
    const onEvent = (event: JobEvent): void => {
      metrics.record(event);
      logEvent(log, event);
    };
    const worker = new JobWorker(engine, registry, { ...options.worker, onEvent });
    const byName = new Map(registry.queues().map((q) => [q.name, q]));
    const jobs = new PgBossJobQueue(engine, byName, (queue) => worker.notify(queue));
    liveJobs = jobs;
    if (options.metricsPort) metricsServer = await serveMetrics(metrics.registry, options.metricsPort, options.metricsHost ?? '127.0.0.1');
    worker.start();
    log.info({ queues: registry.handled().map(({ queue }) => queue.name), database: database.kind }, 'worker started');

    let stopping: Promise<void> | undefined;
    const server = metricsServer;
    return {
      jobs,
      deadLetters: new DeadLetters(engine),
      engine,
      metricsUrl: server?.url,
      stop: () =>
        (stopping ??= (async () => {
          const { abandoned } = await worker.stop(options.shutdownGraceMs ?? 10_000);
          if (abandoned > 0) log.warn({ abandoned }, 'jobs still running at shutdown were left to expire and run again');
          await engine.stop();
          await server?.close();
          log.info('worker stopped');
        })()),
    };
  } catch (error) {
    await metricsServer?.close();
    await engine.stop().catch(() => undefined);
    throw error;
  }
}

function logEvent(log: Logger, event: JobEvent): void {
  switch (event.type) {
    case 'failed': {
      const message = event.error instanceof Error ? event.error.message : String(event.error);
      const fields = { queue: event.queue, jobId: event.id, permanent: event.permanent, willRetry: event.willRetry, reason: message };
      if (event.willRetry) log.warn(fields, 'job failed, will retry');
      else log.error(fields, 'job failed, now a dead letter');
      return;
    }
    case 'error':
      log.error({ err: event.error, queue: event.queue }, 'queue error');
      return;
    case 'completed':
      log.debug({ queue: event.queue, jobId: event.id, durationMs: event.durationMs }, 'job completed');
      return;
    default:
      return;
  }
}
