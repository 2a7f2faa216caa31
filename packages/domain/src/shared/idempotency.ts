import type { WorkspaceId } from './ids.js';

/** How long a stored response answers retries of the same Idempotency-Key. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/**
 * The response a create request produced, kept so a retry with the same Idempotency-Key gets the
 * same answer instead of a second resource. Scoped by workspace and route: one client's key never
 * replays another tenant's response.
 */
export interface IdempotencyRecord {
  readonly workspaceId: WorkspaceId;
  /** The route template and method (`POST /api/workspaces/:workspaceId/invitations`), not the concrete URL. */
  readonly route: string;
  readonly key: string;
  /** SHA-256 of the canonical request; the same key with another body is a client bug, not a retry. */
  readonly requestHash: string;
  readonly status: number;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/**
 * Joins the unit of work it was created with, so the record commits with the resource it describes.
 * `save` must refuse a second record for the same (workspace, route, key), by throwing: the
 * transaction that lost the race then rolls back and the caller replays the winner's record.
 */
export interface IdempotencyStore {
  /** An unexpired record, or null. */
  find(workspaceId: WorkspaceId, route: string, key: string, now: Date): Promise<IdempotencyRecord | null>;
  save(record: IdempotencyRecord): Promise<void>;
  /** Retention: removes records that expired at or before `cutoff`. */
  deleteExpired(cutoff: Date, limit: number): Promise<number>;
}
