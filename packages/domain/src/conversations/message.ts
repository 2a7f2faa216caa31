import type { ContactId, ConversationId, InstagramAccountId, MessageId, WorkspaceId } from '../shared/ids.js';
import type { SendRefusalReason } from './messaging-policy.js';

export type Direction = 'inbound' | 'outbound';
/** `instagram_app_echo`: a human replied from the Instagram app, not through Palette. */
export type AuthorKind = 'customer' | 'assistant' | 'automation' | 'agent' | 'notification' | 'instagram_app_echo';
/** `sending`: the platform call may be under way; a retry reconciles it instead of sending again. */
export type DeliveryState = 'received' | 'pending' | 'sending' | 'sent' | 'held' | 'refused' | 'failed' | 'unknown';

export interface AttachmentMeta {
  readonly type: string;
  /** CDN URL as sent by Meta; story media is never downloaded, only its URL is kept. */
  readonly url: string | null;
}

export interface Reaction {
  readonly by: 'customer' | 'merchant';
  readonly emoji: string;
  readonly at: Date;
}

/** Why an outbound message did not go out (yet): shown to the merchant, never silently dropped. */
export type HoldReason = SendRefusalReason | 'account_not_connected' | 'token_expired' | 'contact_restricted' | 'ai_objected' | 'conversation_owned_by_human' | 'recipient_unavailable' | 'rate_limited' | 'platform_error';

export class Message {
  /** When the current platform call began (the last `markSending`); null until one has. */
  private _sendingSince: Date | null = null;

  private constructor(
    readonly id: MessageId,
    readonly workspaceId: WorkspaceId,
    readonly accountId: InstagramAccountId,
    readonly conversationId: ConversationId,
    readonly contactId: ContactId,
    readonly direction: Direction,
    readonly authorKind: AuthorKind,
    private _platformMessageId: string | null,
    private _text: string | null,
    private _attachments: readonly AttachmentMeta[],
    private _replyTo: string | null,
    private _reactions: readonly Reaction[],
    private _deliveryState: DeliveryState,
    private _holdReason: HoldReason | null,
    private _tag: 'HUMAN_AGENT' | null,
    readonly sentAt: Date,
    private _editedAt: Date | null,
    private _deletedAt: Date | null,
    readonly createdAt: Date,
    readonly version: number = 1,
  ) {}

  static inbound(input: {
    id: MessageId; workspaceId: WorkspaceId; accountId: InstagramAccountId; conversationId: ConversationId; contactId: ContactId;
    platformMessageId: string; text: string | null; attachments?: readonly AttachmentMeta[]; replyTo?: string | null; sentAt: Date; now: Date;
  }): Message {
    return new Message(input.id, input.workspaceId, input.accountId, input.conversationId, input.contactId, 'inbound', 'customer',
      input.platformMessageId, input.text, input.attachments ?? [], input.replyTo ?? null, [], 'received', null, null, input.sentAt, null, null, input.now);
  }

  /** An outbound message is recorded *before* the platform call so a crash cannot double it. */
  static outbound(input: {
    id: MessageId; workspaceId: WorkspaceId; accountId: InstagramAccountId; conversationId: ConversationId; contactId: ContactId;
    author: Exclude<AuthorKind, 'customer' | 'instagram_app_echo'>; text: string | null; attachments?: readonly AttachmentMeta[]; now: Date;
  }): Message {
    return new Message(input.id, input.workspaceId, input.accountId, input.conversationId, input.contactId, 'outbound', input.author,
      null, input.text, input.attachments ?? [], null, [], 'pending', null, null, input.now, null, null, input.now);
  }

  /** An echo whose mid we never sent: a human answered from the Instagram app. */
  static humanEcho(input: {
    id: MessageId; workspaceId: WorkspaceId; accountId: InstagramAccountId; conversationId: ConversationId; contactId: ContactId;
    platformMessageId: string; text: string | null; attachments?: readonly AttachmentMeta[]; sentAt: Date; now: Date;
  }): Message {
    return new Message(input.id, input.workspaceId, input.accountId, input.conversationId, input.contactId, 'outbound', 'instagram_app_echo',
      input.platformMessageId, input.text, input.attachments ?? [], null, [], 'sent', null, null, input.sentAt, null, null, input.now);
  }

  get platformMessageId(): string | null { return this._platformMessageId; }
  get text(): string | null { return this._text; }
  get attachments(): readonly AttachmentMeta[] { return this._attachments; }
  get replyTo(): string | null { return this._replyTo; }
  get reactions(): readonly Reaction[] { return this._reactions; }
  get deliveryState(): DeliveryState { return this._deliveryState; }
  get holdReason(): HoldReason | null { return this._holdReason; }
  get tag(): 'HUMAN_AGENT' | null { return this._tag; }
  get editedAt(): Date | null { return this._editedAt; }
  get deletedAt(): Date | null { return this._deletedAt; }
  get isAutomated(): boolean { return this.authorKind === 'assistant' || this.authorKind === 'automation' || this.authorKind === 'notification'; }

  markSent(platformMessageId: string, tag: 'HUMAN_AGENT' | null): void {
    this._platformMessageId = platformMessageId;
    this._deliveryState = 'sent';
    this._holdReason = null;
    this._tag = tag;
  }

  /**
   * Recorded (and committed) right before the platform call, so a crash leaves evidence of the
   * attempt, and when: reconciliation waits out its grace from the call, not from the queueing.
   */
  markSending(now: Date): void {
    this._deliveryState = 'sending';
    this._holdReason = null;
    this._sendingSince = now;
  }

  get sendingSince(): Date | null { return this._sendingSince ?? null; }

  /** A held send may go out again (reconnected, pause over); it passes the gate once more at send time. */
  release(): void {
    if (this._deliveryState !== 'held') return;
    this._deliveryState = 'pending';
    this._holdReason = null;
  }

  /** Held sends go out later (reconnection, window reopened); refused ones never will. */
  hold(reason: HoldReason): void {
    this._deliveryState = 'held';
    this._holdReason = reason;
  }

  refuse(reason: HoldReason): void {
    this._deliveryState = 'refused';
    this._holdReason = reason;
  }

  fail(reason: HoldReason): void {
    this._deliveryState = 'failed';
    this._holdReason = reason;
  }

  /** The platform call may have succeeded before a crash: reconcile by echo, do not resend blindly. */
  markOutcomeUnknown(): void {
    this._deliveryState = 'unknown';
  }

  /** Reconciliation proved the earlier attempt never reached Instagram: it may be sent again. */
  retryAfterUnsentAttempt(): void {
    if (this._deliveryState === 'sending') this._deliveryState = 'pending';
  }

  edit(text: string, at: Date): void {
    this._text = text;
    if (!this._editedAt || at > this._editedAt) this._editedAt = at;
  }

  /** The customer unsent it: our copy of the content goes too. */
  unsend(at: Date): void {
    this._text = null;
    this._attachments = [];
    this._deletedAt = at;
  }

  react(reaction: Reaction): void {
    this._reactions = [...this._reactions.filter((r) => r.by !== reaction.by), reaction];
  }

  unreact(by: Reaction['by']): void {
    this._reactions = this._reactions.filter((r) => r.by !== by);
  }
}
