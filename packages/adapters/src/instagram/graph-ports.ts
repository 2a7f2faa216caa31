import { acquireSlot, err, ok } from '@palette/domain';
import type {
  InstagramConversationsReader, InstagramTokenRefresher, PlatformSentMessage, RateLimiter, RefreshedToken, Result, SendFailure,
} from '@palette/domain';
import type { ConversationMessage, ConversationSummary, GraphApiClient, Page } from './graph-client.js';
import { toSendFailure, type GraphError } from './graph-errors.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Instagram lets only the 20 most recent messages of a thread be read. */
export const READABLE_MESSAGES = 20;

/**
 * The Conversations API behind the shared limiter: every call takes a slot of the account's
 * `conversations` bucket (2/s) first, waiting up to `maxWaitMs` for one.
 */
export class LimitedConversations {
  constructor(private readonly client: GraphApiClient, private readonly limiter: RateLimiter, private readonly maxWaitMs = 5_000) {}

  private async slot(igUserId: string): Promise<Result<void, SendFailure>> {
    const d = await acquireSlot(this.limiter, igUserId, 'conversations', { maxWaitMs: this.maxWaitMs, sleep, jitterMs: () => Math.floor(Math.random() * 20) });
    return d.granted ? ok(undefined) : err({ kind: 'RateLimited', retryAfterMs: d.retryAfterMs });
  }

  async listConversations(token: string, igUserId: string, opts: { after?: string; userId?: string; limit?: number } = {}): Promise<Result<Page<ConversationSummary>, SendFailure>> {
    const s = await this.slot(igUserId);
    if (!s.ok) return s;
    return this.paused(igUserId, mapErr(await this.client.listConversations(token, { ...opts, igUserId })));
  }

  async messages(token: string, igUserId: string, conversationId: string, opts: { after?: string; limit?: number } = {}): Promise<Result<Page<ConversationMessage>, SendFailure>> {
    const s = await this.slot(igUserId);
    if (!s.ok) return s;
    return this.paused(igUserId, mapErr(await this.client.conversationMessages(token, conversationId, opts)));
  }

  /**
   * A rate limit met on a read (reconciliation, backfill) pauses the whole account like one met on
   * a send: Instagram counts both against it, and sends must not carry on regardless.
   */
  private async paused<T>(igUserId: string, r: Result<T, SendFailure>): Promise<Result<T, SendFailure>> {
    if (!r.ok && r.error.kind === 'RateLimited') await this.limiter.pauseUntil(igUserId, new Date(Date.now() + r.error.retryAfterMs));
    return r;
  }
}

/** Reconciliation: what the merchant account sent to one customer since a moment. */
export class GraphConversationsReader implements InstagramConversationsReader {
  constructor(private readonly conversations: LimitedConversations) {}

  async sentSince(input: { accessToken: string; igUserId: string; igsid: string; since: Date }): Promise<Result<{ messages: PlatformSentMessage[]; complete: boolean }, SendFailure>> {
    const threads = await this.conversations.listConversations(input.accessToken, input.igUserId, { userId: input.igsid });
    if (!threads.ok) return threads;
    const thread = threads.value.items[0];
    // No thread at all: nothing was ever delivered to this customer.
    if (!thread) return ok({ messages: [], complete: true });
    const page = await this.conversations.messages(input.accessToken, input.igUserId, thread.id, { limit: READABLE_MESSAGES });
    if (!page.ok) return page;
    const items = page.value.items;
    const sent = items.filter((m) => m.from?.id === input.igUserId && m.createdTime >= input.since).map((m) => ({ platformMessageId: m.id, text: m.text, createdAt: m.createdTime }));
    // Complete when the readable page reaches back past `since` (or holds the whole thread).
    const oldest = items.reduce<Date | null>((min, m) => (min === null || m.createdTime < min ? m.createdTime : min), null);
    const complete = items.length < READABLE_MESSAGES || (oldest !== null && oldest < input.since);
    return ok({ messages: sent, complete });
  }
}

export class GraphTokenRefresher implements InstagramTokenRefresher {
  constructor(private readonly client: GraphApiClient) {}

  async refresh(accessToken: string): Promise<Result<RefreshedToken, SendFailure>> {
    const r = await this.client.refresh(accessToken);
    if (!r.ok) return err(toSendFailure(r.error));
    return ok({ accessToken: r.value.accessToken, expiresAt: r.value.expiresAt });
  }
}

function mapErr<T>(r: Result<T, GraphError>): Result<T, SendFailure> {
  return r.ok ? r : err(toSendFailure(r.error));
}
