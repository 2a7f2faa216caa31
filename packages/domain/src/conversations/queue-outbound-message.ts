import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import type { JobQueue, JobRequest } from '../shared/jobs.js';
import { Ids, type ConversationId, type WorkspaceId } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { InstagramAccountRepository } from '../instagram/ports.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { ConversationRepository, MessageRepository } from './ports.js';
import { Message } from './message.js';
import { gateOutbound, type GateDecision } from './send-gate.js';
import type { OutboundAuthor } from './messaging-policy.js';
import { splitIntoParts } from './text-parts.js';
import type { WorkspaceRepository } from '../accounts/ports.js';
import type { DailyMetricsRepository } from '../reports/ports.js';
import { recordSendRefused } from '../reports/record-outbound.js';

export type QueueOutboundError = NotFound | { readonly kind: 'EmptyMessage' };

export interface QueuedOutbound {
  /** The first part (the whole message when it fits in one). */
  readonly message: Message;
  /** One recorded message per part of at most 1000 UTF-8 bytes, in order. */
  readonly messages: readonly Message[];
  readonly decision: GateDecision;
}

/**
 * Records an outbound message, passes it through the gate, and asks the worker to send it. The
 * record exists before any platform call, so a crash between the two can be reconciled.
 *
 * A long text becomes one message per 1000-byte part, each with its own send job: a retry of part
 * 3 never repeats parts 1 and 2. Jobs are enqueued only after the records are committed, so a
 * worker never looks for a message that is not there yet; a crash between commit and enqueue
 * leaves `pending` messages that the stalled-send sweep enqueues again (the dedupe key makes a
 * second enqueue of the same message a no-op).
 */
export class QueueOutboundMessage {
  constructor(
    private readonly deps: {
      accounts: InstagramAccountRepository; contacts: ContactRepository; conversations: ConversationRepository; messages: MessageRepository;
      jobs: JobQueue; uow: UnitOfWork; clock: Clock; ids: IdGenerator; workspaces: WorkspaceRepository; metrics: DailyMetricsRepository;
    },
  ) {}

  async execute(cmd: { workspaceId: WorkspaceId; conversationId: ConversationId; author: OutboundAuthor; text: string }): Promise<Result<QueuedOutbound, QueueOutboundError>> {
    const { accounts, contacts, conversations, messages, jobs, uow, clock, ids } = this.deps;
    if (cmd.text.trim().length === 0) return err({ kind: 'EmptyMessage' } as const);
    const recorded = await uow.run(async (): Promise<Result<QueuedOutbound, QueueOutboundError>> => {
      const conversation = await conversations.get(cmd.workspaceId, cmd.conversationId);
      if (!conversation) return err(notFound('conversation', cmd.conversationId));
      const [account, contact] = await Promise.all([accounts.get(cmd.workspaceId, conversation.accountId), contacts.get(cmd.workspaceId, conversation.contactId)]);
      if (!account) return err(notFound('instagram_account', conversation.accountId));
      if (!contact) return err(notFound('contact', conversation.contactId));
      const now = clock.now();
      const decision = gateOutbound({ account, conversation, contact, author: cmd.author, now });
      const parts = splitIntoParts(cmd.text);
      const recordedParts: Message[] = [];
      for (const [i, text] of parts.entries()) {
        // Parts keep their order in the thread: each is a millisecond after the previous one.
        const message = Message.outbound({
          id: Ids.message(ids.next()), workspaceId: cmd.workspaceId, accountId: account.id, conversationId: conversation.id, contactId: contact.id,
          author: cmd.author, text, now: new Date(now.getTime() + i),
        });
        if (decision.outcome === 'hold') message.hold(decision.reason);
        if (decision.outcome === 'refuse') message.refuse(decision.reason);
        await messages.save(message);
        await recordSendRefused(this.deps, message);
        recordedParts.push(message);
      }
      if (cmd.author === 'agent') conversation.takeOver(now);
      await conversations.save(conversation);
      return ok({ message: recordedParts[0]!, messages: recordedParts, decision });
    });
    if (!recorded.ok) return recorded;
    const { decision, messages: parts } = recorded.value;
    if (decision.outcome === 'send') {
      for (const message of parts) {
        await jobs.enqueue(outboundSendJob(cmd.workspaceId, message, decision.tag));
      }
    }
    return recorded;
  }
}

/**
 * The `outbound.send` job of one recorded message, ordered per conversation. `round` names a later
 * enqueue of the same message (release, reschedule, sweep): the queue keeps finished jobs for a
 * while and would drop a second job with the first one's dedupe key.
 */
export function outboundSendJob(workspaceId: WorkspaceId, message: Pick<Message, 'id' | 'conversationId'>, tag: 'HUMAN_AGENT' | null = null, round?: string, startAfter?: Date): JobRequest {
  return {
    name: 'outbound.send', data: { workspaceId, messageId: message.id, tag }, orderingKey: `conversation:${message.conversationId}`,
    dedupeKey: round === undefined ? `send:${message.id}` : `send:${message.id}:${round}`, ...(startAfter ? { startAfter } : {}),
  };
}
