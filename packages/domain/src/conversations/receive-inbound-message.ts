import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';
import type { InstagramAccountRepository } from '../instagram/ports.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { WorkspaceRepository } from '../accounts/ports.js';
import type { ContactFactsRepository, DailyMetricsRepository } from '../reports/ports.js';
import { contactActive } from '../reports/metric-helpers.js';
import { messageMetrics } from '../reports/daily-metrics.js';
import { Contact } from '../contacts/contact.js';
import type { ConversationRepository, MessageRepository } from './ports.js';
import { Conversation, type EntryPoint } from './conversation.js';
import { Message, type AttachmentMeta } from './message.js';

export interface InboundMessageCommand {
  /** `entry.id`: the merchant's IG professional account id. */
  readonly igUserId: string;
  readonly senderIgsid: string;
  readonly platformMessageId: string;
  readonly text: string | null;
  readonly attachments: readonly AttachmentMeta[];
  readonly replyTo: string | null;
  readonly sentAt: Date;
  /** Where the thread came from, if this message is the first one (ad, story, link, comment). */
  readonly entryPoint: EntryPoint;
}

export type ReceiveInboundError = { readonly kind: 'UnknownAccount'; readonly igUserId: string };

export interface ReceiveInboundOutcome {
  readonly duplicate: boolean;
  readonly message: Message;
  readonly conversation: Conversation;
  readonly contact: Contact;
}

/**
 * Stores a customer's DM: the contact and thread are created on first contact, the same mid twice
 * is a no-op (Meta redelivers for 36 h), and the window timestamps move forward only.
 */
export class ReceiveInboundMessage {
  constructor(
    private readonly deps: {
      accounts: InstagramAccountRepository; contacts: ContactRepository; conversations: ConversationRepository; messages: MessageRepository;
      workspaces: WorkspaceRepository; metrics: DailyMetricsRepository; contactFacts: ContactFactsRepository; uow: UnitOfWork; clock: Clock; ids: IdGenerator;
    },
  ) {}

  execute(cmd: InboundMessageCommand): Promise<Result<ReceiveInboundOutcome, ReceiveInboundError>> {
    return this.deps.uow.run(() => this.applyWithin(cmd));
  }

  /** The same, inside a unit of work the caller already runs (ProcessInstagramEvent). */
  async applyWithin(cmd: InboundMessageCommand): Promise<Result<ReceiveInboundOutcome, ReceiveInboundError>> {
    const { accounts, contacts, conversations, messages, workspaces, metrics, contactFacts, clock, ids } = this.deps;
    {
      const account = await accounts.findByIgUserId(cmd.igUserId);
      if (!account) return err({ kind: 'UnknownAccount', igUserId: cmd.igUserId } as const);
      const now = clock.now();

      let contact = await contacts.findByIgsid(account.id, cmd.senderIgsid);
      if (!contact) contact = Contact.firstSeen({ id: Ids.contact(ids.next()), workspaceId: account.workspaceId, accountId: account.id, igsid: cmd.senderIgsid, now: cmd.sentAt });
      let conversation = await conversations.findByContact(account.id, contact.id);
      const newConversation = !conversation;
      if (!conversation) {
        conversation = Conversation.open({ id: Ids.conversation(ids.next()), workspaceId: account.workspaceId, accountId: account.id, contactId: contact.id, entryPoint: cmd.entryPoint, now: cmd.sentAt });
      }

      const existing = await messages.findByPlatformId(account.id, cmd.platformMessageId);
      if (existing) return ok({ duplicate: true, message: existing, conversation, contact });

      const message = Message.inbound({
        id: Ids.message(ids.next()), workspaceId: account.workspaceId, accountId: account.id, conversationId: conversation.id, contactId: contact.id,
        platformMessageId: cmd.platformMessageId, text: cmd.text, attachments: cmd.attachments, replyTo: cmd.replyTo, sentAt: cmd.sentAt, now,
      });
      conversation.customerActed(cmd.sentAt, true);
      contact.touch(cmd.sentAt);
      const workspace = await workspaces.get(account.workspaceId);
      if (!contact.restrictions.processingRestricted) {
        await metrics.add(messageMetrics({ workspaceId: account.workspaceId, authorKind: 'customer', at: cmd.sentAt, timezone: workspace?.timezone ?? 'UTC', newConversation, entryPoint: conversation.entryPoint }));
        await contactFacts.record(contactActive({ workspaceId: account.workspaceId, contactId: contact.id, at: cmd.sentAt, timezone: workspace?.timezone ?? 'UTC' }));
      }
      await contacts.save(contact);
      await conversations.save(conversation);
      await messages.save(message);
      return ok({ duplicate: false, message, conversation, contact });
    }
  }
}
