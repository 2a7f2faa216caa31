import {
  EraseContact, NO_AI_DECISION_RECORDS, RunRetentionSweep, RunRevocationDeletion, type AiDecisionRecords, type Clock, type IdGenerator, type Repositories,
} from '@palette/domain';
import { createMikroOrmRepositories, createSqlExportStores, createSqlInstagramWebhookStores, createSqlPrivacyStore, createSqlReportStore, type DatabaseOrm } from '@palette/adapters/persistence';
import type { JobHandler } from '@palette/adapters/queue';
import { Sha256Digest } from '@palette/adapters/system';
import type { Logger } from '../logger.js';

/** Everything the privacy jobs use, over ONE fresh unit of work (a new EntityManager fork per call). */
export interface PrivacyServices {
  readonly repos: Repositories;
  readonly sweep: RunRetentionSweep;
  readonly revocation: RunRevocationDeletion;
  readonly eraseContact: EraseContact;
  readonly exports: ReturnType<typeof createSqlExportStores>;
  readonly ai: AiDecisionRecords;
  readonly clock: Clock;
}

/**
 * `aiFor` gives the assistant's AI decision records over the same unit of work (the assistant binds
 * it when it exists); without it there are none to export or delete.
 */
export function privacyServicesFactory(orm: DatabaseOrm, deps: { clock: Clock; ids: IdGenerator; aiFor?: ((repos: Repositories) => AiDecisionRecords) | undefined }): () => PrivacyServices {
  const digest = new Sha256Digest();
  return () => {
    const repos = createMikroOrmRepositories(orm);
    const ai = deps.aiFor?.(repos) ?? NO_AI_DECISION_RECORDS;
    const store = createSqlPrivacyStore(repos.uow);
    const common = { ...repos, store, ai, clock: deps.clock, ids: deps.ids, digest };
    return {
      repos, ai, clock: deps.clock,
      sweep: new RunRetentionSweep(common),
      revocation: new RunRevocationDeletion({ ...common, deletions: createSqlInstagramWebhookStores(repos.uow).deletions }),
      eraseContact: new EraseContact({ ...common, contactFacts: createSqlReportStore(repos.uow) }),
      exports: createSqlExportStores(repos.uow),
    };
  };
}

/**
 * The hourly `privacy.retention-sweep`: every class, every workspace, a receipt per run. It also
 * builds export bundles still pending (a request whose job was never enqueued is not lost).
 * Running it twice, or on two workers at once, removes each row once (see SqlPrivacyStore).
 */
export function retentionSweepHandler(resolve: () => PrivacyServices, log: Logger, buildPending?: () => Promise<number>): JobHandler {
  return async () => {
    const result = await resolve().sweep.execute();
    // Counts and receipt ids only: never ids of people or content.
    log.info({ workspaces: result.workspaces, removed: result.removed, receipts: result.receipts.map((r) => r.id), busy: result.busy.length }, 'retention sweep done');
    if (buildPending) {
      const built = await buildPending();
      if (built > 0) log.info({ built }, 'pending export bundles built by the sweep');
    }
  };
}
