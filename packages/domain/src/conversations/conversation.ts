import type { ContactId, ConversationId, InstagramAccountId, WorkspaceId } from '../shared/ids.js';

export type ConversationOwner = 'assistant' | 'human' | 'paused';
export type EntryPoint = 'organic_dm' | 'ad_referral' | 'link_referral' | 'story_reply' | 'story_mention' | 'comment';

/** One thread per contact per Instagram account. It carries the timestamps the policies read. */
export class Conversation {
  private constructor(
    readonly id: ConversationId,
    readonly workspaceId: WorkspaceId,
    readonly accountId: InstagramAccountId,
    readonly contactId: ContactId,
    readonly entryPoint: EntryPoint,
    private _owner: ConversationOwner,
    private _lastCustomerMessageAt: Date | null,
    private _lastInteractionAt: Date,
    private _handoffRequestedAt: Date | null,
    private _unreadCount: number,
    readonly createdAt: Date,
    private _updatedAt: Date,
    readonly version: number = 1,
  ) {}

  static open(input: { id: ConversationId; workspaceId: WorkspaceId; accountId: InstagramAccountId; contactId: ContactId; entryPoint: EntryPoint; now: Date }): Conversation {
    return new Conversation(input.id, input.workspaceId, input.accountId, input.contactId, input.entryPoint, 'assistant', null, input.now, null, 0, input.now, input.now);
  }

  get owner(): ConversationOwner { return this._owner; }
  get lastCustomerMessageAt(): Date | null { return this._lastCustomerMessageAt; }
  get lastInteractionAt(): Date { return this._lastInteractionAt; }
  get handoffRequestedAt(): Date | null { return this._handoffRequestedAt; }
  get unreadCount(): number { return this._unreadCount; }
  get updatedAt(): Date { return this._updatedAt; }

  /**
   * A customer action (message, quick reply, postback, referral) reopens the window. Events may
   * arrive out of order, so the timestamps only move forward.
   */
  customerActed(at: Date, countsAsUnread: boolean): void {
    if (!this._lastCustomerMessageAt || at > this._lastCustomerMessageAt) this._lastCustomerMessageAt = at;
    if (countsAsUnread) this._unreadCount += 1;
    this.interacted(at);
  }

  /** Any message either way, a reaction or an edit is an interaction (the retention anchor). */
  interacted(at: Date): void {
    if (at > this._lastInteractionAt) this._lastInteractionAt = at;
    if (at > this._updatedAt) this._updatedAt = at;
  }

  markRead(now: Date): void {
    this._unreadCount = 0;
    this._updatedAt = now;
  }

  /** A human takes over (from the dashboard, or by replying in the Instagram app). */
  takeOver(now: Date): void {
    this._owner = 'human';
    this._updatedAt = now;
  }

  requestHandoff(now: Date): void {
    this._owner = 'human';
    this._handoffRequestedAt = now;
    this._updatedAt = now;
  }

  handBackToAssistant(now: Date): void {
    this._owner = 'assistant';
    this._handoffRequestedAt = null;
    this._updatedAt = now;
  }

  pause(now: Date): void {
    this._owner = 'paused';
    this._updatedAt = now;
  }

  /** Automated authors may only send while the assistant owns the thread. */
  acceptsAutomatedReplies(): boolean {
    return this._owner === 'assistant';
  }
}
