import type { Clock, UnitOfWork } from '../shared/ports.js';
import type { MessageId, WorkspaceId } from '../shared/ids.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { InstagramAccount } from '../instagram/instagram-account.js';
import type { InstagramAccountRepository, InstagramConversationsReader, InstagramGateway, OutboundPayload, SecretRepository, SendFailure, TokenCipher } from '../instagram/ports.js';
import { acquireSlot, type RateLimiter } from '../instagram/rate-limit.js';
import { readAccountToken } from '../instagram/account-token.js';
import type { ConversationRepository, MessageRepository } from './ports.js';
import type { ContactDeliveryFlags } from './outbound-ports.js';
import type { DeliveryState, HoldReason, Message } from './message.js';
import type { OutboundAuthor } from './messaging-policy.js';
import { gateOutbound } from './send-gate.js';
import type { WorkspaceRepository } from '../accounts/ports.js';
import type { DailyMetricsRepository } from '../reports/ports.js';
import { recordOutboundSent, recordRateLimitDelay, recordSendRefused } from '../reports/record-outbound.js';

export const TOKEN_EXPIRED_REASON = 'Instagram rejected the access token (expired, revoked or password changed): reconnect the account';

export type SendOutcome =
  | { readonly kind: 'sent'; readonly platformMessageId: string; readonly reconciled: boolean }
  /** Nothing to do: the message already reached a final state, or waits for the release step. */
  | { readonly kind: 'settled'; readonly state: DeliveryState }
  | { readonly kind: 'refused'; readonly reason: HoldReason }
  | { readonly kind: 'held'; readonly reason: HoldReason }
  | { readonly kind: 'failed'; readonly reason: HoldReason; readonly detail: string }
  /** Shown to the merchant as "unknown outcome": it may have gone out; never resent automatically. */
  | { readonly kind: 'unknown'; readonly detail: string }
  /**
   * Try again after `afterMs`. `reschedule`: the wait is long (a pause Instagram asked for), so the
   * job should be put back with a start time rather than retried by the queue's own backoff.
   */
  | { readonly kind: 'retry'; readonly afterMs: number; readonly reason: string; readonly reschedule: boolean }
  /** The message is not (yet) visible: the producer's transaction may not have committed. */
  | { readonly kind: 'missing' };

export interface SendOutboundOptions {
  /** Longest wait for a rate-limit slot inside the job; longer waits reschedule it. */
  readonly maxInlineWaitMs?: number;
  /**
   * An attempt younger than this is not reconciled yet: a call still in flight (up to the Graph
   * client's timeout) may yet land, and the Conversations API may lag the send; concluding "never
   * sent" too early would send twice. Keep it above the client timeout.
   */
  readonly reconcileGraceMs?: number;
  /** How much earlier than our record a platform copy may be timestamped (clock skew). */
  readonly clockSkewMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly jitterMs?: () => number;
}

type Prepared =
  | { readonly done: SendOutcome }
  | {
      readonly go: 'send' | 'reconcile'; readonly account: InstagramAccount; readonly igsid: string; readonly tag: 'HUMAN_AGENT' | null; readonly message: Message;
      readonly lastCustomerMessageAt?: Date | null;
    };

const OUTBOUND_AUTHORS: ReadonlySet<string> = new Set(['assistant', 'automation', 'agent', 'notification']);

/**
 * Sends one recorded outbound message (one part of at most 1000 bytes). The order of effects is
 * what makes a crash harmless: the gate runs again at send time, `sending` is committed before the
 * platform call, and `sent` with the platform's id after it. A job that finds its message still
 * `sending` does not call the Send API again: it looks for the copy on Instagram first.
 */
export class SendOutboundMessage {
  private readonly maxInlineWaitMs: number;
  private readonly reconcileGraceMs: number;
  private readonly clockSkewMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly deps: {
      accounts: InstagramAccountRepository; contacts: ContactRepository; conversations: ConversationRepository; messages: MessageRepository;
      secrets: SecretRepository; uow: UnitOfWork; clock: Clock; cipher: TokenCipher; gateway: InstagramGateway; reader: InstagramConversationsReader;
      limiter: RateLimiter; flags: ContactDeliveryFlags; options?: SendOutboundOptions;
      workspaces: WorkspaceRepository; metrics: DailyMetricsRepository;
    },
  ) {
    const o = deps.options ?? {};
    this.maxInlineWaitMs = o.maxInlineWaitMs ?? 2_000;
    this.reconcileGraceMs = o.reconcileGraceMs ?? 15_000;
    this.clockSkewMs = o.clockSkewMs ?? 5_000;
    this.sleep = o.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async execute(cmd: { workspaceId: WorkspaceId; messageId: MessageId; signal?: AbortSignal }): Promise<SendOutcome> {
    let prepared = await this.prepare(cmd.workspaceId, cmd.messageId);
    if ('done' in prepared) return prepared.done;
    if (prepared.go === 'reconcile') {
      const reconciled = await this.reconcile(cmd.workspaceId, prepared);
      if (reconciled !== 'resend') return reconciled;
      prepared = await this.prepare(cmd.workspaceId, cmd.messageId);
      if ('done' in prepared) return prepared.done;
      // Still `sending` after we reset it: another worker got there first; let it finish.
      if (prepared.go === 'reconcile') return { kind: 'retry', afterMs: this.reconcileGraceMs, reason: 'another attempt is under way', reschedule: false };
    }
    return this.send(cmd, prepared);
  }

  /** Reads the message and, for a pending one, passes it through the gate again. */
  private async prepare(workspaceId: WorkspaceId, messageId: MessageId): Promise<Prepared> {
    const { accounts, contacts, conversations, messages, uow, clock, flags } = this.deps;
    const prepared = await uow.run(async (): Promise<Prepared> => {
      const message = await messages.get(workspaceId, messageId);
      if (!message) return { done: { kind: 'missing' } };
      if (message.direction !== 'outbound' || !OUTBOUND_AUTHORS.has(message.authorKind)) return { done: { kind: 'settled', state: message.deliveryState } };
      if (message.deliveryState !== 'pending' && message.deliveryState !== 'sending') return { done: { kind: 'settled', state: message.deliveryState } };
      const [account, conversation, contact] = await Promise.all([
        accounts.get(workspaceId, message.accountId), conversations.get(workspaceId, message.conversationId), contacts.get(workspaceId, message.contactId),
      ]);
      if (!account || !conversation || !contact || !contact.igsid) {
        message.fail('platform_error');
        await messages.save(message);
        return { done: { kind: 'failed', reason: 'platform_error', detail: 'the account, conversation or contact no longer exists' } };
      }
      if (message.deliveryState === 'sending') return { go: 'reconcile', account, igsid: contact.igsid, tag: message.tag, message };

      const now = clock.now();
      const decision = gateOutbound({ account, conversation, contact, author: message.authorKind as OutboundAuthor, now, queuedAt: message.sentAt });
      if (decision.outcome !== 'send') {
        if (decision.outcome === 'hold') message.hold(decision.reason); else message.refuse(decision.reason);
        await messages.save(message);
        await recordSendRefused(this.deps, message);
        return { done: decision.outcome === 'hold' ? { kind: 'held', reason: decision.reason } : { kind: 'refused', reason: decision.reason } };
      }
      return { go: 'send', account, igsid: contact.igsid, tag: decision.tag, message, lastCustomerMessageAt: conversation.lastCustomerMessageAt };
    });
    if ('done' in prepared || prepared.go !== 'send') return prepared;
    // Read outside the transaction: the flags live in another store (on the embedded database, a
    // second query inside an open transaction would wait for it forever).
    const flagged = await flags.unavailableSince(workspaceId, prepared.message.contactId);
    if (flagged && (!prepared.lastCustomerMessageAt || flagged >= prepared.lastCustomerMessageAt)) {
      return { done: await this.finish({ workspaceId, messageId }, (m) => m.fail('recipient_unavailable'), { kind: 'failed', reason: 'recipient_unavailable', detail: 'Instagram reported this person unreachable' }) };
    }
    return prepared;
  }

  private async send(cmd: { workspaceId: WorkspaceId; messageId: MessageId; signal?: AbortSignal }, p: Extract<Prepared, { go: string }>): Promise<SendOutcome> {
    const { messages, uow, clock, gateway, limiter } = this.deps;
    const payload = payloadOf(p.message);
    if (!payload) return this.finish(cmd, (m) => m.fail('platform_error'), { kind: 'failed', reason: 'platform_error', detail: 'nothing to send' });

    let waitedMs = 0;
    const sleep = (ms: number) => { waitedMs += ms; return this.sleep(ms); };
    const slot = await acquireSlot(limiter, p.account.igUserId, payload.type === 'image' ? 'media' : 'text', {
      maxWaitMs: this.maxInlineWaitMs, sleep, ...(this.deps.options?.jitterMs ? { jitterMs: this.deps.options.jitterMs } : {}), ...(cmd.signal ? { signal: cmd.signal } : {}),
    });
    if (!slot.granted) {
      await uow.run(() => recordRateLimitDelay(this.deps, cmd.workspaceId, waitedMs + slot.retryAfterMs, clock.now()));
      return { kind: 'retry', afterMs: slot.retryAfterMs, reason: slot.reason === 'paused' ? 'Instagram asked to pause this account' : 'rate limit', reschedule: slot.retryAfterMs > this.maxInlineWaitMs };
    }

    const token = await readAccountToken(this.deps, p.account);
    if (token === null) return this.tokenInvalid(cmd);

    // Committed before the call: if this process dies during it, the next attempt reconciles.
    const claimed = await uow.run(async () => {
      await recordRateLimitDelay(this.deps, cmd.workspaceId, waitedMs, clock.now());
      const m = await messages.get(cmd.workspaceId, cmd.messageId);
      if (!m || m.deliveryState !== 'pending') return false;
      m.markSending(clock.now());
      await messages.save(m);
      return true;
    });
    if (!claimed) return { kind: 'retry', afterMs: 0, reason: 'the message changed state before sending', reschedule: false };

    const result = await gateway.send({ accessToken: token, igUserId: p.account.igUserId, recipient: { igsid: p.igsid }, payload, tag: p.tag });
    if (result.ok) {
      const id = result.value.platformMessageId;
      return this.finish(cmd, (m) => { if (m.deliveryState !== 'sent') m.markSent(id, p.tag); }, { kind: 'sent', platformMessageId: id, reconciled: false });
    }
    return this.failed(cmd, p, result.error, clock.now());
  }

  private async failed(cmd: { workspaceId: WorkspaceId; messageId: MessageId }, p: Extract<Prepared, { go: string }>, failure: SendFailure, now: Date): Promise<SendOutcome> {
    switch (failure.kind) {
      case 'WindowClosed':
        return this.finish(cmd, (m) => m.refuse('window_closed'), { kind: 'refused', reason: 'window_closed' });
      case 'RateLimited':
        // Refused by Instagram, so certainly not delivered: back to pending, and the whole account waits.
        await this.deps.limiter.pauseUntil(p.account.igUserId, new Date(now.getTime() + failure.retryAfterMs));
        await this.deps.uow.run(() => recordRateLimitDelay(this.deps, cmd.workspaceId, failure.retryAfterMs, now));
        return this.finish(cmd, (m) => m.retryAfterUnsentAttempt(), { kind: 'retry', afterMs: failure.retryAfterMs, reason: 'rate limited by Instagram', reschedule: failure.retryAfterMs > this.maxInlineWaitMs });
      case 'TokenInvalid':
        return this.tokenInvalid(cmd);
      case 'RecipientUnavailable':
        await this.deps.flags.flagUnavailable({ workspaceId: cmd.workspaceId, contactId: p.message.contactId, at: now });
        return this.finish(cmd, (m) => m.fail('recipient_unavailable'), { kind: 'failed', reason: 'recipient_unavailable', detail: "This person isn't available right now" });
      case 'BadRequest':
        return this.finish(cmd, (m) => m.fail('platform_error'), { kind: 'failed', reason: 'platform_error', detail: failure.message });
      case 'Transient':
        // Timeouts and 5xx may hide a delivered message: stay `sending`, the retry reconciles first.
        return { kind: 'retry', afterMs: 0, reason: failure.message, reschedule: false };
    }
  }

  /** 190 or no readable token: the account needs reconnecting; the message waits for it. */
  private async tokenInvalid(cmd: { workspaceId: WorkspaceId; messageId: MessageId }): Promise<SendOutcome> {
    const { accounts, messages, uow, clock } = this.deps;
    return uow.run(async () => {
      const m = await messages.get(cmd.workspaceId, cmd.messageId);
      if (!m) return { kind: 'missing' } as const;
      const account = await accounts.get(cmd.workspaceId, m.accountId);
      if (account) {
        account.markTokenExpired(TOKEN_EXPIRED_REASON, clock.now());
        await accounts.save(account);
      }
      m.hold('token_expired');
      await messages.save(m);
      return { kind: 'held', reason: 'token_expired' } as const;
    });
  }

  /**
   * The previous attempt's outcome is unknown. Instagram's copy of the thread decides: our text
   * there → sent (with its id); provably absent → send again; anything less certain → `unknown`.
   */
  private async reconcile(workspaceId: WorkspaceId, p: Extract<Prepared, { go: string }>): Promise<SendOutcome | 'resend'> {
    const { messages, clock, reader } = this.deps;
    const now = clock.now();
    // From the attempt: a message that waited in a backlog and timed out just now may still be
    // landing at Instagram; reading the thread at once would call it absent and send it twice.
    const age = now.getTime() - (p.message.sendingSince ?? p.message.sentAt).getTime();
    if (age < this.reconcileGraceMs) return { kind: 'retry', afterMs: this.reconcileGraceMs - age, reason: 'waiting before reconciling an unknown outcome', reschedule: false };
    const token = await readAccountToken(this.deps, p.account);
    if (token === null || p.account.status !== 'connected') return this.unknown(workspaceId, p.message, 'the account cannot be read to check whether the message went out');
    const since = new Date(p.message.sentAt.getTime() - this.clockSkewMs);
    const read = await reader.sentSince({ accessToken: token, igUserId: p.account.igUserId, igsid: p.igsid, since });
    if (!read.ok) {
      if (read.error.kind === 'Transient' || read.error.kind === 'RateLimited') return { kind: 'retry', afterMs: read.error.kind === 'RateLimited' ? read.error.retryAfterMs : 0, reason: 'reconciliation read failed', reschedule: false };
      return this.unknown(workspaceId, p.message, `reconciliation read failed: ${read.error.kind}`);
    }
    const sameText = read.value.messages.filter((m) => m.text === p.message.text && m.createdAt >= since);
    for (const candidate of sameText.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) {
      const owner = await messages.findByPlatformId(p.account.id, candidate.platformMessageId);
      if (owner && owner.id !== p.message.id) continue;
      return this.finish({ workspaceId, messageId: p.message.id }, (m) => { if (m.deliveryState !== 'sent') m.markSent(candidate.platformMessageId, p.tag); }, { kind: 'sent', platformMessageId: candidate.platformMessageId, reconciled: true });
    }
    // A same-text copy we cannot claim (stored as an echo by the webhook path, or a twin part) is
    // not proof of absence: resending could double it.
    if (sameText.length > 0 || !read.value.complete) return this.unknown(workspaceId, p.message, 'Instagram\'s copy of the thread does not settle whether the message went out');
    await this.finish({ workspaceId, messageId: p.message.id }, (m) => m.retryAfterUnsentAttempt(), { kind: 'settled', state: 'pending' });
    return 'resend';
  }

  private unknown(workspaceId: WorkspaceId, message: Message, detail: string): Promise<SendOutcome> {
    return this.finish({ workspaceId, messageId: message.id }, (m) => { if (m.deliveryState === 'sending') m.markOutcomeUnknown(); }, { kind: 'unknown', detail });
  }

  /** Applies `change` to a fresh copy of the message in its own transaction. */
  private finish(cmd: { workspaceId: WorkspaceId; messageId: MessageId }, change: (m: Message) => void, outcome: SendOutcome): Promise<SendOutcome> {
    const { messages, uow } = this.deps;
    return uow.run(async () => {
      const m = await messages.get(cmd.workspaceId, cmd.messageId);
      if (!m) return { kind: 'missing' } as const;
      const before = m.deliveryState;
      change(m);
      await messages.save(m);
      // Counted on the transition only: an echo may have marked it sent already.
      if (before !== 'sent' && m.deliveryState === 'sent') await recordOutboundSent(this.deps, m);
      if (before !== 'refused' && m.deliveryState === 'refused') await recordSendRefused(this.deps, m);
      return outcome;
    });
  }
}

function payloadOf(message: Message): OutboundPayload | null {
  if (message.text && message.text.trim().length > 0) return { type: 'text', text: message.text };
  const image = message.attachments.find((a) => a.type === 'image' && a.url);
  return image?.url ? { type: 'image', url: image.url } : null;
}
