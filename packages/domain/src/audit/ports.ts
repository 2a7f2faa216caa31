import type { WorkspaceId } from '../shared/ids.js';
import type { AuditEntry } from './audit-entry.js';

/** The last entry of a page; the next page starts strictly after it in (at desc, id desc) order. */
export interface AuditCursor {
  readonly at: Date;
  readonly id: string;
}

export interface AuditFilter {
  readonly action?: string;
  readonly actorId?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly limit?: number;
  readonly after?: AuditCursor;
}

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** Newest first (at desc, then id desc). */
  list(workspaceId: WorkspaceId, filter?: AuditFilter): Promise<AuditEntry[]>;
  deleteOlderThan(cutoff: Date, limit: number): Promise<number>;
}
