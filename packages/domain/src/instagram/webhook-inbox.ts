import type { InstagramAccountId, WorkspaceId } from '../shared/ids.js';

export type WebhookDeliveryState = 'received' | 'processed' | 'quarantined';

/**
 * One signed POST from Meta, stored byte for byte before it is acknowledged. Processing happens
 * later (a job); the row is the durable record, so a worker that is down or crashes loses nothing.
 */
export interface WebhookDelivery {
  readonly id: string;
  /** SHA-256 of the raw body: Meta's redelivery of the same bytes is one row. */
  readonly payloadSha256: string;
  readonly rawBody: string;
  readonly state: WebhookDeliveryState;
  /** Why it was quarantined (parse error paths, unknown account), never customer content. */
  readonly reason: string | null;
  readonly attempts: number;
  /** Known once an entry of the delivery matched a connected account. */
  readonly workspaceId: WorkspaceId | null;
  readonly receivedAt: Date;
  readonly processedAt: Date | null;
}

export interface WebhookInbox {
  /** Stores a delivery unless the same bytes are already there; returns the row's id either way. */
  store(input: { id: string; payloadSha256: string; rawBody: string; receivedAt: Date }): Promise<{ id: string; duplicate: boolean }>;
  get(id: string): Promise<WebhookDelivery | null>;
  /** Counts one processing attempt and returns the new count. */
  recordAttempt(id: string): Promise<number>;
  markProcessed(id: string, at: Date, workspaceId: WorkspaceId | null): Promise<void>;
  markQuarantined(id: string, reason: string, at: Date, workspaceId: WorkspaceId | null): Promise<void>;
  /** Puts a quarantined delivery back to `received` for a replay; false if it is not quarantined (or not this workspace's). */
  requeue(id: string, workspaceId: WorkspaceId | null): Promise<boolean>;
  /** Deliveries still `received` at or before `cutoff` (their job was lost): oldest first. */
  listReceivedBefore(cutoff: Date, limit: number): Promise<WebhookDelivery[]>;
  listQuarantined(workspaceId: WorkspaceId | null, limit: number): Promise<WebhookDelivery[]>;
  countByState(): Promise<Record<WebhookDeliveryState, number>>;
  /** Raw bodies repeat DM content: processed deliveries go once applied and kept a short while. Returns how many. */
  deleteProcessedBefore(cutoff: Date, limit: number): Promise<number>;
}

/** One applied webhook event, keyed by its dedupe key. */
export interface InstagramEventRecord {
  readonly dedupeKey: string;
  readonly workspaceId: WorkspaceId;
  readonly accountId: InstagramAccountId;
  readonly kind: string;
  /** The message the event is about (reactions, edits, unsends, reads, echoes), if any. */
  readonly mid: string | null;
  readonly occurredAt: Date;
  /** The event's fields that later steps read (payloads, emoji, edit text, comment text). */
  readonly data: Readonly<Record<string, unknown>>;
  readonly recordedAt: Date;
}

/**
 * Applied events, written in the same unit of work as their effects. It makes redelivery a no-op
 * (a key seen once is never applied again) and makes order irrelevant: an edit, reaction or
 * unsend for a message that has not arrived yet waits here and is folded in when it does.
 */
export interface InstagramEventLog {
  /** False when the key is already recorded (nothing written). */
  record(entry: InstagramEventRecord): Promise<boolean>;
  /** Oldest first (then by key). */
  listByMid(accountId: InstagramAccountId, mid: string): Promise<InstagramEventRecord[]>;
  listByKind(accountId: InstagramAccountId, kind: string, limit: number): Promise<InstagramEventRecord[]>;
}

/** Meta names an account in signed requests by its app-scoped id (`/me.id`), not by `user_id`. */
export interface InstagramAccountAliases {
  remember(appScopedId: string, account: { workspaceId: WorkspaceId; accountId: InstagramAccountId }): Promise<void>;
  find(appScopedId: string): Promise<{ workspaceId: WorkspaceId; accountId: InstagramAccountId } | null>;
}

export type DeletionRequestStatus = 'pending' | 'complete';

/** A deauthorize or data-deletion callback from Meta; its status page shows only this. */
export interface InstagramDeletionRequest {
  readonly id: string;
  readonly confirmationCode: string;
  readonly kind: 'deauthorize' | 'data_deletion';
  readonly workspaceId: WorkspaceId | null;
  readonly accountId: InstagramAccountId | null;
  readonly status: DeletionRequestStatus;
  readonly requestedAt: Date;
  readonly completedAt: Date | null;
}

export interface InstagramDeletionRequests {
  save(request: InstagramDeletionRequest): Promise<void>;
  findByCode(code: string): Promise<InstagramDeletionRequest | null>;
  /** Called by the revocation-deletion job when the account's data is gone. */
  markComplete(id: string, at: Date): Promise<void>;
}
