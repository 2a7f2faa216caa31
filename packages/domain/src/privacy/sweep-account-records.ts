import type { Clock, UnitOfWork } from '../shared/ports.js';
import type { AuditLog, RequestLog } from '../audit/ports.js';
import type { SessionRepository } from '../accounts/ports.js';
import { retentionCutoff } from './retention-policy.js';

/**
 * The account-level part of the retention sweep: audit entries older than a year and sessions
 * ended more than 30 days ago are deleted, in batches that each commit, so a crash resumes where
 * it stopped and a concurrent sweep only finds less to do. The stored API request log follows the
 * audit log's period. DM and order classes are swept by the
 * privacy sweep with receipts (workspace overrides apply there; these classes use the maximum).
 */
export class SweepAccountRecords {
  constructor(private readonly deps: { audit: AuditLog; sessions: SessionRepository; uow: UnitOfWork; clock: Clock; requestLog?: RequestLog }) {}

  async execute(input: { batchSize?: number } = {}): Promise<{ auditEntries: number; sessions: number; requestLogs: number }> {
    const { audit, sessions, uow, clock, requestLog } = this.deps;
    const batch = input.batchSize ?? 1000;
    const now = clock.now();
    const drain = async (step: () => Promise<number>) => {
      let total = 0;
      for (;;) {
        const n = await uow.run(step);
        total += n;
        if (n < batch) return total;
      }
    };
    return {
      auditEntries: await drain(() => audit.deleteOlderThan(retentionCutoff('audit_log', now), batch)),
      sessions: await drain(() => sessions.deleteEndedBefore(retentionCutoff('sessions', now), batch)),
      requestLogs: requestLog ? await drain(() => requestLog.deleteOlderThan(retentionCutoff('audit_log', now), batch)) : 0,
    };
  }
}
