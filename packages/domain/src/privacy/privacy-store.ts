import type { ContactId, ConversationId, InstagramAccountId, UserId, WorkspaceId } from '../shared/ids.js';
import type { RetentionOverrides } from './retention-policy.js';
import type { Contact } from '../contacts/contact.js';

/**
 * Ids removed by one batch, per receipt class. Only ids: a receipt's digest is computed over them
 * and nothing else about the rows ever leaves the store.
 */
export type RemovedIds = Readonly<Partial<Record<ReceiptClass, readonly string[]>>>;

/** What a receipt counts: finer than the retention classes (a message and a reaction differ). */
export const RECEIPT_CLASSES = [
  'messages', 'conversations', 'ai_records', 'contacts_deleted', 'contacts_anonymized', 'orders_anonymized', 'audit_entries', 'exports',
  'receipts', 'sessions', 'idempotency_records', 'mail_outbox', 'password_reset_tokens', 'secrets', 'memberships', 'report_contact_facts', 'orders_deleted', 'workspaces',
  'api_request_logs',
] as const;
export type ReceiptClass = (typeof RECEIPT_CLASSES)[number];

export interface WorkspaceRetention {
  readonly workspaceId: WorkspaceId;
  readonly overrides: RetentionOverrides;
}

/** A batch either ran (and removed these ids) or found another sweeper holding that class. */
export type BatchOutcome = { readonly busy: true } | { readonly busy: false; readonly removed: RemovedIds; readonly rows: number };

/**
 * Batched, lock-aware removal of expired rows. Each method removes at most `limit` rows of one
 * class inside the caller's unit of work and returns their ids; an adapter takes a per-class lock
 * (advisory, try-only) so concurrent sweepers never wait on each other nor count a row twice.
 */
export interface RetentionStore {
  /** Workspaces in id order after `after`, with their retention overrides. */
  listWorkspaces(after: WorkspaceId | null, limit: number): Promise<WorkspaceRetention[]>;
  /** Conversations last active at or before `cutoff`: their messages (with attachments metadata, reactions) and the conversation rows. */
  sweepConversations(ws: WorkspaceId, cutoff: Date, limit: number): Promise<BatchOutcome>;
  /** Contacts last active at or before `cutoff` with no conversation: deleted without orders, anonymised with. */
  sweepContacts(ws: WorkspaceId, cutoff: Date, now: Date, limit: number): Promise<BatchOutcome>;
  /** Orders finished (or, if open, created) at or before `cutoff` and not yet anonymised. */
  anonymizeOrders(ws: WorkspaceId, cutoff: Date, now: Date, limit: number): Promise<BatchOutcome>;
  /** Audit entries of the workspace (null: entries of no workspace) at or before `cutoff`. */
  deleteAuditEntries(ws: WorkspaceId | null, cutoff: Date, limit: number): Promise<BatchOutcome>;
  /** Receipts at or before `cutoff` (they are kept for the audit period). */
  deleteReceipts(ws: WorkspaceId | null, cutoff: Date, limit: number): Promise<BatchOutcome>;
  /** Export bundles whose expiry is at or before `now`, of any workspace or user. */
  deleteExpiredExports(now: Date, limit: number): Promise<BatchOutcome>;
  /** Sessions ended, reset tokens used or expired, at or before `cutoff`. */
  deleteSessions(cutoff: Date, limit: number): Promise<BatchOutcome>;
  deletePasswordResetTokens(cutoff: Date, limit: number): Promise<BatchOutcome>;
  /** Mail outbox rows created at or before `cutoff` (they hold reset and invitation links). */
  deleteMailOutbox(cutoff: Date, limit: number): Promise<BatchOutcome>;
  /** Idempotency records expired at or before `now`. */
  deleteIdempotencyRecords(now: Date, limit: number): Promise<BatchOutcome>;
}

/** What erasure and revocation remove immediately, whatever the retention period. */
export interface ErasureStore {
  /** Messages, conversations and AI records of the contact; its orders anonymised; the contact deleted or anonymised. */
  eraseContact(ws: WorkspaceId, contactId: ContactId, now: Date): Promise<RemovedIds>;
  /** One batch of an account's contacts (with their DMs), erased as above but orders kept for the merchant's books. */
  eraseAccountContacts(ws: WorkspaceId, accountId: InstagramAccountId, now: Date, limit: number): Promise<{ removed: RemovedIds; contacts: number }>;
  /** Every session of the user, ended now and deleted; their reset tokens and mail deleted. */
  eraseUserRecords(userId: UserId, email: string): Promise<RemovedIds>;
  /** The workspace row and everything that hangs off it (messages, contacts, orders, catalog, members…). */
  deleteWorkspace(ws: WorkspaceId): Promise<RemovedIds>;
}

/**
 * The assistant's audit records ("AI decisions about a contact"): prompts sent, tool calls, results.
 * The assistant owns the table; privacy only needs to find, export and delete them. Until the
 * assistant exists, `NO_AI_DECISION_RECORDS` stands in (there is nothing to remove).
 */
export interface AiDecisionRecords {
  deleteForConversations(ws: WorkspaceId, conversationIds: readonly ConversationId[]): Promise<string[]>;
  deleteForContact(ws: WorkspaceId, contactId: ContactId): Promise<string[]>;
  /** JSON-safe records for an export bundle, oldest first. */
  listForContact(ws: WorkspaceId, contactId: ContactId): Promise<Array<Readonly<Record<string, unknown>>>>;
}

export const NO_AI_DECISION_RECORDS: AiDecisionRecords = {
  deleteForConversations: async () => [],
  deleteForContact: async () => [],
  listForContact: async () => [],
};

export type ExportSubject =
  | { readonly kind: 'contact'; readonly workspaceId: WorkspaceId; readonly contactId: ContactId }
  | { readonly kind: 'user'; readonly userId: UserId };

export const EXPORT_TTL_DAYS = 7;

/** An access/portability request's bundle: pending until the job builds it, then downloadable for 7 days. */
export interface ExportRecord {
  readonly id: string;
  readonly workspaceId: WorkspaceId | null;
  readonly requestedBy: UserId;
  readonly subject: ExportSubject;
  readonly status: 'pending' | 'ready' | 'failed';
  readonly byteSize: number | null;
  readonly sha256: string | null;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
  readonly expiresAt: Date;
}

export interface ExportStore {
  request(input: { id: string; workspaceId: WorkspaceId | null; requestedBy: UserId; subject: ExportSubject; now: Date }): Promise<ExportRecord>;
  get(id: string): Promise<ExportRecord | null>;
  /** A workspace's exports (its contacts'), newest first; expired ones are already gone (7-day retention). */
  listByWorkspace(workspaceId: WorkspaceId, limit: number): Promise<ExportRecord[]>;
  /** The zip of a ready, unexpired export, only for the user who asked for it; null otherwise. */
  download(id: string, requestedBy: UserId, now: Date): Promise<{ record: ExportRecord; zip: Uint8Array } | null>;
}

/** The contacts list of the privacy centre, in id order (keyset pages). */
export interface ContactDirectory {
  list(ws: WorkspaceId, after: ContactId | null, limit: number): Promise<Contact[]>;
}
