import type { ContactId, InstagramAccountId, MessageId, WorkspaceId } from '../shared/ids.js';

/**
 * Contacts Instagram reported as unreachable (551: blocked the account, messages off). A flag
 * older than the customer's last message no longer counts: writing again means reachable again.
 */
export interface ContactDeliveryFlags {
  flagUnavailable(input: { workspaceId: WorkspaceId; contactId: ContactId; at: Date }): Promise<void>;
  unavailableSince(workspaceId: WorkspaceId, contactId: ContactId): Promise<Date | null>;
}

/** Reads over outbound messages that no aggregate repository answers (release, recovery). */
export interface OutboundMessageQueries {
  /** Held messages of an account, oldest first (the release step after reconnection). */
  listHeld(workspaceId: WorkspaceId, accountId: InstagramAccountId, limit: number): Promise<MessageId[]>;
  /**
   * Outbound messages still `pending` or `sending` created before `olderThan`: a job that was never
   * enqueued (crash after commit) or whose worker died. The caller enqueues them again (deduplicated).
   */
  listStalled(olderThan: Date, limit: number): Promise<Array<{ workspaceId: WorkspaceId; messageId: MessageId; conversationId: string }>>;
}
