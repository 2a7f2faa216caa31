import type { ContactId, ConversationId, InstagramAccountId, MessageId, WorkspaceId } from '../shared/ids.js';
import type { Conversation } from './conversation.js';
import type { Message } from './message.js';
import type { ConversationOwner, EntryPoint } from './conversation.js';

/** The inbox list: newest activity first, keyset-paged on (lastInteractionAt, id). */
export interface InboxFilter {
  readonly owner?: ConversationOwner;
  readonly unread?: boolean;
  readonly entryPoint?: EntryPoint;
  /** Case-insensitive substring of the contact's handle or name, or of the thread's last message text. */
  readonly search?: string;
  /** The last row of the previous page. */
  readonly after?: { readonly at: Date; readonly id: string };
  readonly limit: number;
}

export interface ConversationRepository {
  get(workspaceId: WorkspaceId, id: ConversationId): Promise<Conversation | null>;
  findByContact(accountId: InstagramAccountId, contactId: ContactId): Promise<Conversation | null>;
  /** Retention: conversations whose last interaction is at or before `cutoff`, oldest first. */
  listInactiveSince(workspaceId: WorkspaceId, cutoff: Date, limit: number): Promise<Conversation[]>;
  save(conversation: Conversation): Promise<void>;
  delete(conversation: Conversation): Promise<void>;
  listInbox(workspaceId: WorkspaceId, filter: InboxFilter): Promise<Conversation[]>;
  /** Change feed (inbox live updates): updated at or after `since`, oldest change first. */
  listUpdatedSince(workspaceId: WorkspaceId, since: Date, limit: number): Promise<Conversation[]>;
}

export interface MessageRepository {
  get(workspaceId: WorkspaceId, id: MessageId): Promise<Message | null>;
  /** Platform message ids are unique per Instagram account (webhook dedupe and echo reconciliation). */
  findByPlatformId(accountId: InstagramAccountId, platformMessageId: string): Promise<Message | null>;
  /** Oldest first; `limit` newest when `newest` is set (assistant context). */
  listByConversation(workspaceId: WorkspaceId, conversationId: ConversationId, options?: { limit?: number; newest?: boolean }): Promise<Message[]>;
  save(message: Message): Promise<void>;
  /** A conversation newest first, keyset-paged on (sentAt, id): `before` is the last row of the previous page. */
  pageByConversation(workspaceId: WorkspaceId, conversationId: ConversationId, options: { before?: { at: Date; id: string }; limit: number }): Promise<Message[]>;
  /** Change feed (inbox live updates): recorded at or after `since`, oldest first. */
  listCreatedSince(workspaceId: WorkspaceId, since: Date, limit: number): Promise<Message[]>;
  /** Deletes every message of a conversation and returns their ids (for the receipt digest). */
  deleteByConversation(workspaceId: WorkspaceId, conversationId: ConversationId): Promise<MessageId[]>;
}
