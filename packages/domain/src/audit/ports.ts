import type { UserId, WorkspaceId } from '../shared/ids.js';
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

/**
 * One API request as the audit keeps it: who (workspace, user), which route *pattern* (never the
 * concrete path or query, which can carry ids and OAuth codes), the outcome and when. No bodies,
 * no addresses, no user agents: enough to answer "who called what, when" and nothing more.
 */
export interface RequestLogEntry {
  readonly id: string;
  readonly at: Date;
  readonly workspaceId: WorkspaceId | null;
  readonly userId: UserId | null;
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
  readonly requestId: string;
}

/** The stored API request log, kept like the audit log (1 year) and swept by the retention job. */
export interface RequestLog {
  append(entries: readonly RequestLogEntry[]): Promise<void>;
  /** Newest first (at desc, then id desc), strictly after the cursor. */
  list(workspaceId: WorkspaceId, filter?: { readonly limit?: number; readonly after?: AuditCursor; readonly userId?: UserId }): Promise<RequestLogEntry[]>;
  deleteOlderThan(cutoff: Date, limit: number): Promise<number>;
  /** A user's erasure: their entries go (the workspace keeps none that name them). Returns the ids. */
  deleteForUser(userId: UserId): Promise<string[]>;
}
