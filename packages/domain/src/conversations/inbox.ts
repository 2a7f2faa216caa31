import type { Clock, UnitOfWork } from '../shared/ports.js';
import type { ConversationId, WorkspaceId } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { InstagramAccountRepository } from '../instagram/ports.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { Contact } from '../contacts/contact.js';
import type { Conversation } from './conversation.js';
import type { Message } from './message.js';
import type { ConversationRepository, InboxFilter, MessageRepository } from './ports.js';
import { HUMAN_AGENT_WINDOW_MS, STANDARD_WINDOW_MS, describeWindow } from './messaging-policy.js';
import { gateOutbound, type GateDecision } from './send-gate.js';

/**
 * The messaging window as the inbox shows it: when the standard 24 h window closes, until when a
 * human may still answer with the HUMAN_AGENT tag, and which of the two applies now.
 */
export interface WindowView {
  readonly status: 'open' | 'human_agent_only' | 'closed';
  readonly closesAt: Date | null;
  readonly humanAgentUntil: Date | null;
}

export function windowView(lastCustomerMessageAt: Date | null, now: Date): WindowView {
  const { state } = describeWindow(lastCustomerMessageAt, now);
  if (!lastCustomerMessageAt) return { status: state, closesAt: null, humanAgentUntil: null };
  const t = lastCustomerMessageAt.getTime();
  return { status: state, closesAt: new Date(t + STANDARD_WINDOW_MS), humanAgentUntil: new Date(t + HUMAN_AGENT_WINDOW_MS) };
}

/**
 * What a human reply would meet if sent now: the same gate QueueOutboundMessage applies, so the
 * reply box cannot promise what the send path then refuses.
 */
export interface ReplyPolicy {
  readonly decision: GateDecision;
  readonly window: WindowView;
  /** A human reply takes the thread over from the assistant. */
  readonly takesOver: boolean;
}

export interface InboxItem {
  readonly conversation: Conversation;
  /** Null only if the contact row vanished under us (erasure racing the read). */
  readonly contact: Contact | null;
  readonly lastMessage: Message | null;
  readonly window: WindowView;
}

export interface ConversationView extends InboxItem {
  /** Newest first, `limit + 1` rows so the caller can tell whether there is an older page. */
  readonly messages: readonly Message[];
}

type Deps = { accounts: InstagramAccountRepository; contacts: ContactRepository; conversations: ConversationRepository; messages: MessageRepository; clock: Clock };

/** Read side of the inbox: no aggregate changes, tenant-scoped by the repositories. */
export class InboxQueries {
  constructor(private readonly deps: Deps) {}

  async list(workspaceId: WorkspaceId, filter: InboxFilter): Promise<InboxItem[]> {
    const rows = await this.deps.conversations.listInbox(workspaceId, filter);
    const now = this.deps.clock.now();
    const items: InboxItem[] = [];
    // One small query per row: a page is at most 101 threads, and it keeps the ports simple.
    for (const conversation of rows) items.push(await this.item(conversation, now));
    return items;
  }

  async conversation(workspaceId: WorkspaceId, id: ConversationId, page: { before?: { at: Date; id: string }; limit: number }): Promise<Result<ConversationView, NotFound>> {
    const conversation = await this.deps.conversations.get(workspaceId, id);
    if (!conversation) return err(notFound('conversation', id));
    const messages = await this.deps.messages.pageByConversation(workspaceId, id, page);
    return ok({ ...(await this.item(conversation, this.deps.clock.now())), messages });
  }

  async replyPolicy(workspaceId: WorkspaceId, id: ConversationId): Promise<Result<ReplyPolicy, NotFound>> {
    const { accounts, contacts, conversations, clock } = this.deps;
    const conversation = await conversations.get(workspaceId, id);
    if (!conversation) return err(notFound('conversation', id));
    const [account, contact] = await Promise.all([accounts.get(workspaceId, conversation.accountId), contacts.get(workspaceId, conversation.contactId)]);
    if (!account) return err(notFound('instagram_account', conversation.accountId));
    if (!contact) return err(notFound('contact', conversation.contactId));
    const now = clock.now();
    return ok({
      decision: gateOutbound({ account, conversation, contact, author: 'agent', now }),
      window: windowView(conversation.lastCustomerMessageAt, now),
      takesOver: conversation.owner !== 'human',
    });
  }

  private async item(conversation: Conversation, now: Date): Promise<InboxItem> {
    const [contact, last] = await Promise.all([
      this.deps.contacts.get(conversation.workspaceId, conversation.contactId),
      this.deps.messages.pageByConversation(conversation.workspaceId, conversation.id, { limit: 1 }),
    ]);
    return { conversation, contact, lastMessage: last[0] ?? null, window: windowView(conversation.lastCustomerMessageAt, now) };
  }
}

export type ConversationAction = 'take_over' | 'hand_back' | 'mark_read';

/**
 * The dashboard's hands on a thread: a human takes it over (the assistant stops answering), hands
 * it back, or marks it read. Each is one small aggregate change in its own unit of work.
 */
export class ManageConversation {
  constructor(private readonly deps: { conversations: ConversationRepository; uow: UnitOfWork; clock: Clock }) {}

  execute(cmd: { workspaceId: WorkspaceId; conversationId: ConversationId; action: ConversationAction }): Promise<Result<Conversation, NotFound>> {
    const { conversations, uow, clock } = this.deps;
    return uow.run(async (): Promise<Result<Conversation, NotFound>> => {
      const conversation = await conversations.get(cmd.workspaceId, cmd.conversationId);
      if (!conversation) return err(notFound('conversation', cmd.conversationId));
      const now = clock.now();
      if (cmd.action === 'take_over') conversation.takeOver(now);
      else if (cmd.action === 'hand_back') conversation.handBackToAssistant(now);
      else conversation.markRead(now);
      await conversations.save(conversation);
      return ok(conversation);
    });
  }
}
