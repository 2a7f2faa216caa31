import type { ContactId, ConversationId, InstagramAccountId, MessageId, WorkspaceId } from '../shared/ids.js';
import type { Conversation } from './conversation.js';
import type { Message } from './message.js';

export interface ConversationRepository {
  get(workspaceId: WorkspaceId, id: ConversationId): Promise<Conversation | null>;
  findByContact(accountId: InstagramAccountId, contactId: ContactId): Promise<Conversation | null>;
  /** Retention: conversations whose last interaction is at or before `cutoff`, oldest first. */
  listInactiveSince(workspaceId: WorkspaceId, cutoff: Date, limit: number): Promise<Conversation[]>;
  save(conversation: Conversation): Promise<void>;
  delete(conversation: Conversation): Promise<void>;
}

export interface MessageRepository {
  get(workspaceId: WorkspaceId, id: MessageId): Promise<Message | null>;
  /** Platform message ids are unique per Instagram account (webhook dedupe and echo reconciliation). */
  findByPlatformId(accountId: InstagramAccountId, platformMessageId: string): Promise<Message | null>;
  /** Oldest first; `limit` newest when `newest` is set (assistant context). */
  listByConversation(workspaceId: WorkspaceId, conversationId: ConversationId, options?: { limit?: number; newest?: boolean }): Promise<Message[]>;
  save(message: Message): Promise<void>;
  /** Deletes every message of a conversation and returns their ids (for the receipt digest). */
  deleteByConversation(workspaceId: WorkspaceId, conversationId: ConversationId): Promise<MessageId[]>;
}
