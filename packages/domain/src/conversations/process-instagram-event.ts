import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import type { JobQueue } from '../shared/jobs.js';
import { Ids, type ConversationId, type MessageId, type WorkspaceId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';
import type { InstagramAccountRepository } from '../instagram/ports.js';
import type { InstagramAccount } from '../instagram/instagram-account.js';
import type { InstagramEventLog, InstagramEventRecord } from '../instagram/webhook-inbox.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { WorkspaceRepository } from '../accounts/ports.js';
import type { DailyMetricsRepository } from '../reports/ports.js';
import { Contact } from '../contacts/contact.js';
import type { ConversationRepository, MessageRepository } from './ports.js';
import { Conversation, type EntryPoint } from './conversation.js';
import { Message, type AttachmentMeta, type Reaction } from './message.js';
import { ReceiveInboundMessage } from './receive-inbound-message.js';
import type { ContactFactsRepository } from '../reports/ports.js';
import { recordOutboundSent } from '../reports/record-outbound.js';

/**
 * One webhook item as the Instagram adapter types it (`parseWebhookDelivery`): `igUserId` is always
 * the merchant's account (entry.id); times are already normalised from ms or s.
 */
export type InstagramInboundEvent =
  | { kind: 'message'; igUserId: string; senderIgsid: string; mid: string; text: string | null; attachments: AttachmentMeta[]; quickReplyPayload: string | null;
      replyToMid: string | null; storyReply: { id: string | null; url: string | null } | null; referral: { source: string | null; ref: string | null; adId: string | null } | null; isSelf: boolean; at: Date }
  | { kind: 'echo'; igUserId: string; recipientIgsid: string | null; mid: string; text: string | null; attachments: AttachmentMeta[]; at: Date }
  | { kind: 'reaction'; igUserId: string; senderIgsid: string | null; mid: string; action: 'react' | 'unreact'; emoji: string | null; at: Date }
  | { kind: 'postback'; igUserId: string; senderIgsid: string; mid: string | null; title: string | null; payload: string; at: Date }
  | { kind: 'referral'; igUserId: string; senderIgsid: string; ref: string | null; source: string | null; at: Date }
  | { kind: 'read'; igUserId: string; senderIgsid: string | null; mid: string; at: Date }
  | { kind: 'edit'; igUserId: string; senderIgsid: string | null; mid: string; text: string; numEdit: number; at: Date }
  | { kind: 'unsend'; igUserId: string; senderIgsid: string | null; mid: string; at: Date }
  | { kind: 'comment'; igUserId: string; commentId: string; fromId: string | null; fromUsername: string | null; text: string; mediaId: string | null; mediaProductType: string | null; parentId: string | null; at: Date };

export interface ProcessInstagramEventCommand {
  readonly event: InstagramInboundEvent;
  /** The adapter's dedupe key (account, kind, mid; plus action and time for reactions). */
  readonly dedupeKey: string;
}

export type ProcessInstagramEventError = { readonly kind: 'UnknownAccount'; readonly igUserId: string };

export interface ProcessInstagramEventOutcome {
  /** The key was seen before: nothing changed. */
  readonly duplicate: boolean;
  readonly workspaceId: WorkspaceId;
  readonly conversationId: ConversationId | null;
  /** Set when an inbound customer message was stored and `assistant.reply` was enqueued for it. */
  readonly replyFor: MessageId | null;
}

/** The queue another feature works; the payload is {workspaceId, conversationId, messageId}, plus the tapped payload if any. */
export const ASSISTANT_REPLY_JOB = 'assistant.reply';

export interface AssistantReplyJobData {
  readonly workspaceId: string;
  readonly conversationId: string;
  readonly messageId: string;
  /** A quick-reply or postback payload the customer tapped, for flows such as ORDER_STATUS:<id>. */
  readonly payload?: { readonly kind: 'quick_reply' | 'postback'; readonly value: string };
}

export interface ProcessInstagramEventDeps {
  accounts: InstagramAccountRepository; contacts: ContactRepository; conversations: ConversationRepository; messages: MessageRepository;
  workspaces: WorkspaceRepository; metrics: DailyMetricsRepository; contactFacts: ContactFactsRepository; uow: UnitOfWork; clock: Clock; ids: IdGenerator;
  events: InstagramEventLog; jobs: JobQueue;
}

const midOf = (e: InstagramInboundEvent): string | null => ('mid' in e ? e.mid : null);

/** What later steps read from an event; message content stays on the message itself. */
function dataOf(e: InstagramInboundEvent): Record<string, unknown> {
  switch (e.kind) {
    case 'message': return { senderIgsid: e.senderIgsid, quickReplyPayload: e.quickReplyPayload, referral: e.referral, storyId: e.storyReply?.id ?? null, isSelf: e.isSelf };
    case 'echo': return { recipientIgsid: e.recipientIgsid };
    case 'reaction': return { senderIgsid: e.senderIgsid, action: e.action, emoji: e.emoji };
    case 'postback': return { senderIgsid: e.senderIgsid, title: e.title, payload: e.payload };
    case 'referral': return { senderIgsid: e.senderIgsid, ref: e.ref, source: e.source };
    case 'read': return { senderIgsid: e.senderIgsid };
    case 'edit': return { senderIgsid: e.senderIgsid, text: e.text, numEdit: e.numEdit };
    case 'unsend': return { senderIgsid: e.senderIgsid };
    case 'comment': return { commentId: e.commentId, fromId: e.fromId, fromUsername: e.fromUsername, text: e.text, mediaId: e.mediaId, mediaProductType: e.mediaProductType, parentId: e.parentId };
  }
}

function entryPointOf(e: Extract<InstagramInboundEvent, { kind: 'message' }>): EntryPoint {
  if (e.referral) return e.referral.source?.toUpperCase() === 'ADS' || e.referral.adId ? 'ad_referral' : 'link_referral';
  if (e.attachments.some((a) => a.type === 'story_mention')) return 'story_mention';
  if (e.storyReply) return 'story_reply';
  return 'organic_dm';
}

const referralEntryPoint = (source: string | null): EntryPoint => (source?.toUpperCase() === 'ADS' ? 'ad_referral' : 'link_referral');

/** Deterministic order for folding events: time, then key (two events in the same ms). */
const byTime = (a: InstagramEventRecord, b: InstagramEventRecord) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.dedupeKey < b.dedupeKey ? -1 : a.dedupeKey > b.dedupeKey ? 1 : 0);

const laterOf = (a: Date, b: Date) => (a > b ? a : b);

/**
 * Applies one Instagram webhook event. Every key is applied once (the event log commits with the
 * effects), and the final state does not depend on arrival order: events about a message (edit,
 * reaction, unsend, read) are kept in the log and folded into the message whenever either side
 * arrives, in timestamp order. Customer messages go through ReceiveInboundMessage.
 */
export class ProcessInstagramEvent {
  private readonly receive: ReceiveInboundMessage;

  constructor(private readonly deps: ProcessInstagramEventDeps) {
    this.receive = new ReceiveInboundMessage(deps);
  }

  async execute(cmd: ProcessInstagramEventCommand): Promise<Result<ProcessInstagramEventOutcome, ProcessInstagramEventError>> {
    const reply: { data: AssistantReplyJobData | null } = { data: null };
    const result = await this.deps.uow.run(() => this.apply(cmd, reply));
    // After the commit: the reply job must never see a message that was rolled back.
    if (result.ok && reply.data) {
      await this.deps.jobs.enqueue({ name: ASSISTANT_REPLY_JOB, data: { ...reply.data }, orderingKey: reply.data.conversationId, dedupeKey: `assistant.reply:${reply.data.messageId}` });
    }
    return result;
  }

  private async apply(cmd: ProcessInstagramEventCommand, reply: { data: AssistantReplyJobData | null }): Promise<Result<ProcessInstagramEventOutcome, ProcessInstagramEventError>> {
    const { accounts, events, clock } = this.deps;
    const e = cmd.event;
    const account = await accounts.findByIgUserId(e.igUserId);
    if (!account) return err({ kind: 'UnknownAccount', igUserId: e.igUserId } as const);
    const fresh = await events.record({
      dedupeKey: cmd.dedupeKey, workspaceId: account.workspaceId, accountId: account.id, kind: e.kind, mid: midOf(e), occurredAt: e.at, data: dataOf(e), recordedAt: clock.now(),
    });
    const outcome = (conversationId: ConversationId | null, replyFor: MessageId | null = null): ProcessInstagramEventOutcome =>
      ({ duplicate: !fresh, workspaceId: account.workspaceId, conversationId, replyFor });
    if (!fresh) return ok(outcome(null));

    switch (e.kind) {
      case 'message': {
        // The merchant's own message seen from the customer side (is_self): never a customer message, never answered.
        if (e.isSelf) return ok(outcome(null));
        const attachments: AttachmentMeta[] = [...e.attachments];
        // Story media is never downloaded: only the URL Meta sent is kept.
        if (e.storyReply) attachments.push({ type: 'story_reply', url: e.storyReply.url });
        const received = await this.receive.applyWithin({
          igUserId: e.igUserId, senderIgsid: e.senderIgsid, platformMessageId: e.mid, text: e.text, attachments, replyTo: e.replyToMid, sentAt: e.at, entryPoint: entryPointOf(e),
        });
        if (!received.ok) return err({ kind: 'UnknownAccount', igUserId: e.igUserId } as const);
        const { message, conversation } = received.value;
        if (received.value.duplicate) return ok(outcome(conversation.id));
        await this.fold(account, message, conversation);
        reply.data = {
          workspaceId: account.workspaceId, conversationId: conversation.id, messageId: message.id,
          ...(e.quickReplyPayload !== null ? { payload: { kind: 'quick_reply' as const, value: e.quickReplyPayload } } : {}),
        };
        return ok(outcome(conversation.id, message.id));
      }
      case 'postback': {
        // A button tap reopens the window like a message; it is kept in the thread as what was tapped.
        const received = await this.receive.applyWithin({
          igUserId: e.igUserId, senderIgsid: e.senderIgsid, platformMessageId: e.mid ?? `postback:${e.senderIgsid}:${e.at.getTime()}`,
          text: e.title ?? e.payload, attachments: [], replyTo: null, sentAt: e.at, entryPoint: 'organic_dm',
        });
        if (!received.ok) return err({ kind: 'UnknownAccount', igUserId: e.igUserId } as const);
        const { message, conversation } = received.value;
        if (received.value.duplicate) return ok(outcome(conversation.id));
        reply.data = { workspaceId: account.workspaceId, conversationId: conversation.id, messageId: message.id, payload: { kind: 'postback', value: e.payload } };
        return ok(outcome(conversation.id, message.id));
      }
      case 'referral': {
        // An ig.me link or ad opened the thread: that is its entry point (reports), and a customer action.
        const { conversation, contact } = await this.thread(account, e.senderIgsid, e.at, referralEntryPoint(e.source));
        conversation.customerActed(e.at, false);
        contact.touch(e.at);
        await this.deps.contacts.save(contact);
        await this.deps.conversations.save(conversation);
        return ok(outcome(conversation.id));
      }
      case 'echo': return ok(outcome(await this.echo(account, e)));
      case 'reaction':
      case 'edit':
      case 'unsend':
      case 'read': {
        const message = await this.deps.messages.findByPlatformId(account.id, e.mid);
        // Not here yet (out of order): the log keeps the event until the message arrives.
        if (!message) return ok(outcome(null));
        const conversation = await this.deps.conversations.get(account.workspaceId, message.conversationId);
        if (!conversation) return ok(outcome(null));
        await this.fold(account, message, conversation);
        return ok(outcome(conversation.id));
      }
      case 'comment':
        // Stored in the event log for the comment-to-DM rules (listByKind 'comment'); no thread yet.
        return ok(outcome(null));
    }
  }

  /**
   * Our own sends come back as echoes: the first outbound message with that mid, or still waiting
   * for its platform id with the same text, is reconciled; any other echo means someone answered
   * from the Instagram app, so the thread is recorded as theirs and the assistant stops.
   */
  private async echo(account: InstagramAccount, e: Extract<InstagramInboundEvent, { kind: 'echo' }>): Promise<ConversationId | null> {
    const { messages, conversations, clock, ids } = this.deps;
    const known = await messages.findByPlatformId(account.id, e.mid);
    if (known) {
      if (known.direction === 'outbound' && known.deliveryState !== 'sent') {
        known.markSent(e.mid, known.tag);
        await messages.save(known);
        await recordOutboundSent(this.deps, known);
      }
      return known.conversationId;
    }
    // Without a recipient the echo cannot be placed in a thread; the log still has it.
    if (e.recipientIgsid === null) return null;
    const { conversation, contact } = await this.thread(account, e.recipientIgsid, e.at, 'organic_dm');
    const recent = await messages.listByConversation(account.workspaceId, conversation.id, { limit: 50, newest: true });
    const waiting = recent
      .filter((m) => m.direction === 'outbound' && m.platformMessageId === null && (m.deliveryState === 'pending' || m.deliveryState === 'sending' || m.deliveryState === 'unknown') && m.text === e.text)
      .sort((a, b) => a.sentAt.getTime() - b.sentAt.getTime())[0];
    if (waiting) {
      waiting.markSent(e.mid, waiting.tag);
      await messages.save(waiting);
      await recordOutboundSent(this.deps, waiting);
      await this.fold(account, waiting, conversation);
      return conversation.id;
    }
    const message = Message.humanEcho({
      id: Ids.message(ids.next()), workspaceId: account.workspaceId, accountId: account.id, conversationId: conversation.id, contactId: contact.id,
      platformMessageId: e.mid, text: e.text, attachments: e.attachments, sentAt: e.at, now: clock.now(),
    });
    conversation.interacted(e.at);
    conversation.takeOver(laterOf(e.at, conversation.updatedAt));
    await this.deps.contacts.save(contact);
    await conversations.save(conversation);
    await messages.save(message);
    await recordOutboundSent(this.deps, message);
    await this.fold(account, message, conversation);
    return conversation.id;
  }

  /**
   * Recomputes what the log says about one message from scratch, so any arrival order gives the
   * same result: edits by edit number, reactions per side in time order, and an unsend last (an
   * unsent message keeps no content, whatever edits arrive after).
   */
  private async fold(account: InstagramAccount, message: Message, conversation: Conversation): Promise<void> {
    const mid = message.platformMessageId;
    if (mid === null) return;
    const log = (await this.deps.events.listByMid(account.id, mid)).sort(byTime);
    const edits = log.filter((r) => r.kind === 'edit').sort((a, b) => Number(a.data['numEdit'] ?? 0) - Number(b.data['numEdit'] ?? 0) || byTime(a, b));
    const reactions = log.filter((r) => r.kind === 'reaction');
    const unsend = log.find((r) => r.kind === 'unsend');
    if (edits.length === 0 && reactions.length === 0 && !unsend) return;

    for (const r of edits) message.edit(String(r.data['text'] ?? ''), r.occurredAt);
    const sideOf = (r: InstagramEventRecord): Reaction['by'] => (r.data['senderIgsid'] === account.igUserId ? 'merchant' : 'customer');
    for (const side of new Set(reactions.map(sideOf))) {
      message.unreact(side);
      for (const r of reactions.filter((x) => sideOf(x) === side)) {
        if (r.data['action'] === 'react') message.react({ by: side, emoji: String(r.data['emoji'] ?? '\u2764\ufe0f'), at: r.occurredAt });
        else message.unreact(side);
      }
    }
    if (unsend) message.unsend(unsend.occurredAt);
    for (const r of [...edits, ...reactions]) conversation.interacted(r.occurredAt);
    await this.deps.messages.save(message);
    await this.deps.conversations.save(conversation);
  }

  /** The contact and thread for a customer, created on first contact (as ReceiveInboundMessage does). */
  private async thread(account: InstagramAccount, igsid: string, at: Date, entryPoint: EntryPoint): Promise<{ contact: Contact; conversation: Conversation }> {
    const { contacts, conversations, ids } = this.deps;
    let contact = await contacts.findByIgsid(account.id, igsid);
    if (!contact) contact = Contact.firstSeen({ id: Ids.contact(ids.next()), workspaceId: account.workspaceId, accountId: account.id, igsid, now: at });
    let conversation = await conversations.findByContact(account.id, contact.id);
    if (!conversation) {
      conversation = Conversation.open({ id: Ids.conversation(ids.next()), workspaceId: account.workspaceId, accountId: account.id, contactId: contact.id, entryPoint, now: at });
      await contacts.save(contact);
      await conversations.save(conversation);
    }
    return { contact, conversation };
  }
}
