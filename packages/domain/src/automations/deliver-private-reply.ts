import type { Clock, UnitOfWork } from '../shared/ports.js';
import type { InstagramAccountId, WorkspaceId } from '../shared/ids.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { InstagramAccountRepository, InstagramGateway, SecretRepository, TokenCipher } from '../instagram/ports.js';
import { acquireSlot, type RateLimiter } from '../instagram/rate-limit.js';
import { readAccountToken } from '../instagram/account-token.js';
import type { InstagramAccount } from '../instagram/instagram-account.js';
import { decidePrivateReply } from '../conversations/messaging-policy.js';

/**
 * Where a claimed private reply stands. `queued`: claimed, not yet tried; `sending`: committed
 * just before the Send API call; `unknown`: that call's outcome was never learnt (a crash or a
 * timeout), and it is never tried again, since a second reply is what the claim exists to prevent.
 */
export const PRIVATE_REPLY_STATES = ['queued', 'sending', 'sent', 'refused', 'failed', 'unknown'] as const;
export type PrivateReplyState = (typeof PRIVATE_REPLY_STATES)[number];

export interface PrivateReplyRecord {
  readonly workspaceId: WorkspaceId;
  readonly accountId: InstagramAccountId;
  readonly commentId: string;
  readonly state: PrivateReplyState;
  readonly reason: string | null;
  readonly platformMessageId: string | null;
}

/** The claim rows of comment-to-DM, read and moved between states (compare-and-set). */
export interface PrivateReplyOutbox {
  get(workspaceId: WorkspaceId, accountId: InstagramAccountId, commentId: string): Promise<PrivateReplyRecord | null>;
  /** Moves the row from `from` to `to`; false when it was no longer in `from` (nothing is written). */
  transition(
    key: { workspaceId: WorkspaceId; accountId: InstagramAccountId; commentId: string },
    from: PrivateReplyState,
    to: { state: PrivateReplyState; reason?: string | null; platformMessageId?: string | null; at: Date },
  ): Promise<boolean>;
}

export interface DeliverPrivateReplyCommand {
  readonly workspaceId: WorkspaceId;
  readonly accountId: InstagramAccountId;
  readonly commentId: string;
  /** When the comment was written: the 7-day window runs from here. */
  readonly commentAt: Date;
  /** The commenter's Instagram-scoped id, when the webhook carried it: their restrictions apply. */
  readonly fromId: string | null;
  readonly text: string;
  readonly signal?: AbortSignal;
}

export type DeliverPrivateReplyOutcome =
  | { readonly kind: 'sent'; readonly platformMessageId: string }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'unknown'; readonly reason: string }
  /** Already settled by an earlier attempt, or the claim is gone (erased with its account). */
  | { readonly kind: 'settled'; readonly state: PrivateReplyState | 'missing' }
  | { readonly kind: 'retry'; readonly afterMs: number; readonly reason: string };

export const PRIVATE_REPLY_TOKEN_EXPIRED_REASON = 'Instagram rejected the access token: reconnect the account';

/**
 * Sends one claimed private reply through the same gate as every other send: the private-reply
 * policy (one per comment, within 7 days), the account's status, the commenter's restrictions, and
 * the account's privateReplies bucket. `sending` is committed before the Send API call and the
 * outcome after it; an attempt that finds `sending` never calls again.
 */
export class DeliverCommentPrivateReply {
  private readonly maxInlineWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: {
    accounts: InstagramAccountRepository; contacts: ContactRepository; secrets: SecretRepository; cipher: TokenCipher; gateway: InstagramGateway;
    limiter: RateLimiter; outbox: PrivateReplyOutbox; uow: UnitOfWork; clock: Clock;
    options?: { maxInlineWaitMs?: number; sleep?: (ms: number) => Promise<void> };
  }) {
    this.maxInlineWaitMs = deps.options?.maxInlineWaitMs ?? 2_000;
    this.sleep = deps.options?.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async execute(cmd: DeliverPrivateReplyCommand): Promise<DeliverPrivateReplyOutcome> {
    const { accounts, contacts, outbox, uow, clock, limiter, gateway } = this.deps;
    const key = { workspaceId: cmd.workspaceId, accountId: cmd.accountId, commentId: cmd.commentId };
    const gated = await uow.run(async (): Promise<{ done: DeliverPrivateReplyOutcome } | { account: InstagramAccount }> => {
      const record = await outbox.get(cmd.workspaceId, cmd.accountId, cmd.commentId);
      if (!record) return { done: { kind: 'settled', state: 'missing' } as const };
      if (record.state === 'sending') {
        // A previous attempt died during the call: it may have been delivered.
        await outbox.transition(key, 'sending', { state: 'unknown', reason: 'the previous attempt ended during the Send API call', at: clock.now() });
        return { done: { kind: 'unknown', reason: 'the previous attempt ended during the Send API call' } as const };
      }
      if (record.state !== 'queued') return { done: { kind: 'settled', state: record.state } as const };
      const now = clock.now();
      const refuse = async (reason: string): Promise<{ done: DeliverPrivateReplyOutcome }> => {
        await outbox.transition(key, 'queued', { state: 'refused', reason, at: now });
        return { done: { kind: 'refused', reason } as const };
      };
      const account = await accounts.get(cmd.workspaceId, cmd.accountId);
      if (!account) return refuse('account_gone');
      if (!account.canSend().ok) return refuse(`account_${account.status}`);
      if (cmd.fromId) {
        const contact = await contacts.findByIgsid(cmd.accountId, cmd.fromId);
        if (contact && contact.restrictions.processingRestricted) return refuse('contact_restricted');
      }
      // The claim row is ours, so it does not count as an earlier reply; a settled one returned above.
      const decision = decidePrivateReply({ commentCreatedAt: cmd.commentAt, alreadyReplied: false, now });
      if (decision.outcome === 'refused') return refuse(decision.reason);
      return { account };
    });
    if ('done' in gated) return gated.done;
    const { account } = gated;

    const slot = await acquireSlot(limiter, account.igUserId, 'privateReplies', { maxWaitMs: this.maxInlineWaitMs, sleep: this.sleep, ...(cmd.signal ? { signal: cmd.signal } : {}) });
    if (!slot.granted) return { kind: 'retry', afterMs: slot.retryAfterMs, reason: slot.reason === 'paused' ? 'Instagram asked to pause this account' : 'private reply rate limit' };

    const token = await readAccountToken(this.deps, account);
    if (token === null) return this.settle(key, 'queued', { state: 'failed', reason: 'token_unavailable' });

    const claimed = await uow.run(() => outbox.transition(key, 'queued', { state: 'sending', at: clock.now() }));
    if (!claimed) return { kind: 'settled', state: (await outbox.get(cmd.workspaceId, cmd.accountId, cmd.commentId))?.state ?? 'missing' };

    const result = await gateway.send({ accessToken: token, igUserId: account.igUserId, recipient: { commentId: cmd.commentId }, payload: { type: 'text', text: cmd.text }, tag: null });
    if (result.ok) {
      await this.settle(key, 'sending', { state: 'sent', platformMessageId: result.value.platformMessageId });
      return { kind: 'sent', platformMessageId: result.value.platformMessageId };
    }
    const failure = result.error;
    switch (failure.kind) {
      case 'WindowClosed':
        return this.settle(key, 'sending', { state: 'refused', reason: 'private_reply_window_closed' });
      case 'RateLimited':
        // Refused by Instagram, so certainly not delivered: back to queued, and the account waits.
        await limiter.pauseUntil(account.igUserId, new Date(clock.now().getTime() + failure.retryAfterMs));
        await uow.run(() => outbox.transition(key, 'sending', { state: 'queued', at: clock.now() }));
        return { kind: 'retry', afterMs: failure.retryAfterMs, reason: 'rate limited by Instagram' };
      case 'TokenInvalid':
        await uow.run(async () => {
          const a = await accounts.get(cmd.workspaceId, cmd.accountId);
          if (a) { a.markTokenExpired(PRIVATE_REPLY_TOKEN_EXPIRED_REASON, clock.now()); await accounts.save(a); }
        });
        return this.settle(key, 'sending', { state: 'failed', reason: 'token_expired' });
      case 'RecipientUnavailable':
        return this.settle(key, 'sending', { state: 'failed', reason: 'recipient_unavailable' });
      case 'BadRequest':
        return this.settle(key, 'sending', { state: 'failed', reason: `platform_error: ${failure.message}`.slice(0, 300) });
      case 'Transient':
        // A timeout or 5xx may hide a delivered reply, and there is no thread to reconcile against yet.
        return this.settle(key, 'sending', { state: 'unknown', reason: failure.message.slice(0, 300) });
    }
  }

  private async settle(
    key: { workspaceId: WorkspaceId; accountId: InstagramAccountId; commentId: string },
    from: PrivateReplyState,
    to: { state: 'sent' | 'refused' | 'failed' | 'unknown'; reason?: string; platformMessageId?: string },
  ): Promise<DeliverPrivateReplyOutcome> {
    const { outbox, uow, clock } = this.deps;
    await uow.run(() => outbox.transition(key, from, { state: to.state, reason: to.reason ?? null, platformMessageId: to.platformMessageId ?? null, at: clock.now() }));
    if (to.state === 'sent') return { kind: 'sent', platformMessageId: to.platformMessageId! };
    return { kind: to.state, reason: to.reason ?? '' };
  }
}
