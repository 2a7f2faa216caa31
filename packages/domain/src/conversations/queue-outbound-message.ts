import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import type { JobQueue } from '../shared/jobs.js';
import { Ids, type ConversationId, type WorkspaceId } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { InstagramAccountRepository } from '../instagram/ports.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { ConversationRepository, MessageRepository } from './ports.js';
import { Message } from './message.js';
import { gateOutbound, type GateDecision } from './send-gate.js';
import type { OutboundAuthor } from './messaging-policy.js';

export type QueueOutboundError = NotFound | { readonly kind: 'EmptyMessage' };

/**
 * Records an outbound message, passes it through the gate, and asks the worker to send it. The
 * record exists before any platform call, so a crash between the two can be reconciled.
 */
export class QueueOutboundMessage {
  constructor(
    private readonly deps: {
      accounts: InstagramAccountRepository; contacts: ContactRepository; conversations: ConversationRepository; messages: MessageRepository;
      jobs: JobQueue; uow: UnitOfWork; clock: Clock; ids: IdGenerator;
    },
  ) {}

  execute(cmd: { workspaceId: WorkspaceId; conversationId: ConversationId; author: OutboundAuthor; text: string }): Promise<Result<{ message: Message; decision: GateDecision }, QueueOutboundError>> {
    const { accounts, contacts, conversations, messages, jobs, uow, clock, ids } = this.deps;
    if (cmd.text.trim().length === 0) return Promise.resolve(err({ kind: 'EmptyMessage' } as const));
    return uow.run(async () => {
      const conversation = await conversations.get(cmd.workspaceId, cmd.conversationId);
      if (!conversation) return err(notFound('conversation', cmd.conversationId));
      const [account, contact] = await Promise.all([accounts.get(cmd.workspaceId, conversation.accountId), contacts.get(cmd.workspaceId, conversation.contactId)]);
      if (!account) return err(notFound('instagram_account', conversation.accountId));
      if (!contact) return err(notFound('contact', conversation.contactId));
      const now = clock.now();
      const message = Message.outbound({
        id: Ids.message(ids.next()), workspaceId: cmd.workspaceId, accountId: account.id, conversationId: conversation.id, contactId: contact.id,
        author: cmd.author, text: cmd.text, now,
      });
      const decision = gateOutbound({ account, conversation, contact, author: cmd.author, now });
      if (decision.outcome === 'hold') message.hold(decision.reason);
      if (decision.outcome === 'refuse') message.refuse(decision.reason);
      if (cmd.author === 'agent') conversation.takeOver(now);
      await messages.save(message);
      await conversations.save(conversation);
      if (decision.outcome === 'send') {
        await jobs.enqueue({ name: 'outbound.send', data: { workspaceId: cmd.workspaceId, messageId: message.id, tag: decision.tag }, orderingKey: `conversation:${conversation.id}`, dedupeKey: `send:${message.id}` });
      }
      return ok({ message, decision });
    });
  }
}
