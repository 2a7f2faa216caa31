import type { ServiceIdentifier } from 'inversify';
import type { Clock, IdGenerator, ReceiveInboundMessage, Repositories, RequestLog, SweepAccountRecords } from '@palette/domain';
import type { AiDecisionRecords } from '@palette/domain';
import type { ReleaseExpiredHolds } from '@palette/domain';

/** The worker's container bindings; `Symbol.for` keeps tokens equal if a module loads twice. */
export const TOKENS = {
  Clock: Symbol.for('palette.worker.Clock') as ServiceIdentifier<Clock>,
  Ids: Symbol.for('palette.worker.Ids') as ServiceIdentifier<IdGenerator>,
  Repositories: Symbol.for('palette.worker.Repositories') as ServiceIdentifier<Repositories>,
  ReceiveInboundMessage: Symbol.for('palette.worker.ReceiveInboundMessage') as ServiceIdentifier<ReceiveInboundMessage>,
  SweepAccountRecords: Symbol.for('palette.worker.SweepAccountRecords') as ServiceIdentifier<SweepAccountRecords>,
  /** The HTTP service's stored request log, swept with the audit log's period. */
  RequestLog: Symbol.for('palette.worker.RequestLog') as ServiceIdentifier<RequestLog>,
  ReleaseExpiredHolds: Symbol.for('palette.worker.ReleaseExpiredHolds') as ServiceIdentifier<ReleaseExpiredHolds>,
  /** Optional: the assistant's AI decision records over a set of repositories (privacy exports/deletes them). */
  AiDecisionRecordsFor: Symbol.for('palette.worker.AiDecisionRecordsFor') as ServiceIdentifier<(repos: Repositories) => AiDecisionRecords>,
} as const;
