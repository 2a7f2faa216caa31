import type { WorkspaceId } from '../shared/ids.js';
import type { AuditEntry } from './audit-entry.js';

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  list(workspaceId: WorkspaceId, filter?: { action?: string; actorId?: string; from?: Date; to?: Date; limit?: number }): Promise<AuditEntry[]>;
  deleteOlderThan(cutoff: Date, limit: number): Promise<number>;
}
