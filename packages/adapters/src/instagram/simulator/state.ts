import { randomBytes } from 'node:crypto';
import type { Clock } from '@palette/domain';
import { numericId, randomId } from './http.js';

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;
export const CODE_TTL_MS = HOUR;
/** Short-lived Instagram User tokens: one hour (assumed; the reference does not state it). */
export const SHORT_TOKEN_TTL_MS = HOUR;
/** `expires_in` Meta returns for long-lived tokens (≈60 days). */
export const LONG_TOKEN_EXPIRES_IN_S = 5_183_944;
export const STANDARD_WINDOW_MS = DAY;
export const HUMAN_AGENT_WINDOW_MS = 7 * DAY;
export const PRIVATE_REPLY_WINDOW_MS = 7 * DAY;
export const READABLE_MESSAGES = 20;
export const REQUESTS_INACTIVE_MS = 30 * DAY;

export const KNOWN_SCOPES = ['instagram_business_basic', 'instagram_business_manage_messages', 'instagram_business_manage_comments', 'instagram_business_content_publish', 'instagram_business_manage_insights'] as const;
export const WEBHOOK_FIELDS = ['comments', 'live_comments', 'messages', 'message_reactions', 'messaging_postbacks', 'messaging_referral', 'messaging_seen', 'messaging_optins', 'messaging_handover', 'standby', 'message_edit', 'message_echoes'] as const;

export interface SimAccount {
  readonly igUserId: string;
  /** `/me.id` and the code exchange's `user_id`: app-scoped, never the webhook key. */
  readonly appScopedId: string;
  readonly username: string;
  readonly accountType: 'Business' | 'Media_Creator';
  readonly name: string;
  subscribedFields: Set<string>;
  /** Customers who blocked the account or turned messages off (551). */
  readonly unavailable: Set<string>;
}

export interface SimToken {
  readonly token: string;
  readonly igUserId: string;
  readonly kind: 'short' | 'long';
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly scopes: readonly string[];
  revokedSubcode: number | null;
}

export interface SimCode {
  readonly code: string;
  readonly igUserId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly issuedAt: number;
  used: boolean;
}

export interface SimMessage {
  readonly mid: string;
  readonly fromCustomer: boolean;
  readonly text: string | null;
  readonly at: number;
  deleted: boolean;
}

export interface SimThread {
  readonly id: string;
  readonly igUserId: string;
  readonly igsid: string;
  readonly username: string;
  lastInboundAt: number | null;
  updatedAt: number;
  /** Threads the merchant never answered sit in Requests, which hide after 30 days idle. */
  merchantReplied: boolean;
  readonly messages: SimMessage[];
}

export interface SimComment {
  readonly id: string;
  readonly igUserId: string;
  readonly fromIgsid: string;
  readonly username: string;
  readonly createdAt: number;
  privateReplied: boolean;
}

/**
 * Attempts per account inside a sliding window. Rejected calls count too: Meta says calling while
 * throttled extends the block, and a limiter under test must not be rewarded for hammering.
 */
export class SlidingCounter {
  private readonly hits = new Map<string, number[]>();
  private readonly peaks = new Map<string, number>();
  constructor(readonly windowMs: number) {}

  hit(key: string, now: number): number {
    const list = this.prune(key, now);
    list.push(now);
    this.peaks.set(key, Math.max(this.peaks.get(key) ?? 0, list.length));
    return list.length;
  }

  current(key: string, now: number): number {
    return this.prune(key, now).length;
  }

  peak(key: string): number {
    return this.peaks.get(key) ?? 0;
  }

  reset(): void {
    this.hits.clear();
    this.peaks.clear();
  }

  private prune(key: string, now: number): number[] {
    let list = this.hits.get(key);
    if (!list) { list = []; this.hits.set(key, list); }
    while (list.length > 0 && list[0]! <= now - this.windowMs) list.shift();
    return list;
  }
}

export type RateBucket = 'text' | 'media' | 'conversations' | 'privateReplies';
export const RATE_LIMITS: Readonly<Record<RateBucket, { limit: number; windowMs: number }>> = {
  text: { limit: 100, windowMs: 1000 },
  media: { limit: 10, windowMs: 1000 },
  conversations: { limit: 2, windowMs: 1000 },
  privateReplies: { limit: 750, windowMs: HOUR },
};

export class SimState {
  readonly accounts = new Map<string, SimAccount>();
  readonly tokens = new Map<string, SimToken>();
  readonly codes = new Map<string, SimCode>();
  readonly threads = new Map<string, SimThread>();
  readonly threadByPair = new Map<string, SimThread>();
  readonly messageIndex = new Map<string, { thread: SimThread; message: SimMessage }>();
  readonly comments = new Map<string, SimComment>();
  readonly counters: Record<RateBucket, SlidingCounter> = {
    text: new SlidingCounter(RATE_LIMITS.text.windowMs),
    media: new SlidingCounter(RATE_LIMITS.media.windowMs),
    conversations: new SlidingCounter(RATE_LIMITS.conversations.windowMs),
    privateReplies: new SlidingCounter(RATE_LIMITS.privateReplies.windowMs),
  };
  /** Every Send API call, whatever its bucket: what a limiter under test must keep ≤ 100/s. */
  readonly sendCalls = new SlidingCounter(1000);
  readonly rejectedForRate = new Map<string, number>();
  private offsetMs = 0;
  private seq = 0;

  constructor(private readonly clock: Clock) {}

  now(): number {
    return this.clock.now().getTime() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  addAccount(input: { igUserId?: string; username?: string; accountType?: 'Business' | 'Media_Creator'; name?: string }): SimAccount {
    const igUserId = input.igUserId ?? `1784${numericId(13)}`;
    const existing = this.accounts.get(igUserId);
    if (existing) return existing;
    const account: SimAccount = {
      igUserId, appScopedId: numericId(17), username: input.username ?? `shop_${igUserId.slice(-4)}`, accountType: input.accountType ?? 'Business',
      name: input.name ?? `Shop ${igUserId.slice(-4)}`, subscribedFields: new Set(), unavailable: new Set(),
    };
    this.accounts.set(igUserId, account);
    return account;
  }

  issueToken(igUserId: string, kind: 'short' | 'long', scopes: readonly string[], issuedAt = this.now()): SimToken {
    const token: SimToken = {
      token: `IGAA${randomBytes(30).toString('base64url')}`, igUserId, kind, issuedAt,
      expiresAt: issuedAt + (kind === 'short' ? SHORT_TOKEN_TTL_MS : LONG_TOKEN_EXPIRES_IN_S * 1000), scopes: [...scopes], revokedSubcode: null,
    };
    this.tokens.set(token.token, token);
    return token;
  }

  issueCode(igUserId: string, redirectUri: string, scopes: readonly string[]): SimCode {
    const code: SimCode = { code: randomId('AQ'), igUserId, redirectUri, scopes: [...scopes], issuedAt: this.now(), used: false };
    this.codes.set(code.code, code);
    return code;
  }

  thread(igUserId: string, igsid: string, username?: string): SimThread {
    const key = `${igUserId}:${igsid}`;
    let t = this.threadByPair.get(key);
    if (!t) {
      t = { id: Buffer.from(`ig_conversation:${igUserId}:${igsid}`).toString('base64url'), igUserId, igsid, username: username ?? `customer_${igsid.slice(-4)}`, lastInboundAt: null, updatedAt: this.now(), merchantReplied: false, messages: [] };
      this.threadByPair.set(key, t);
      this.threads.set(t.id, t);
    }
    return t;
  }

  findThread(igUserId: string, igsid: string): SimThread | null {
    return this.threadByPair.get(`${igUserId}:${igsid}`) ?? null;
  }

  newMid(igUserId: string): string {
    this.seq += 1;
    // Shaped like real mids (base64 of an `ig_item` descriptor); consumers must treat it as opaque.
    return Buffer.from(`ig_item:1:IGMessage:${igUserId}:${this.seq}:${randomBytes(12).toString('hex')}`).toString('base64url');
  }

  addMessage(thread: SimThread, m: { mid: string; fromCustomer: boolean; text: string | null; at: number }): SimMessage {
    const message: SimMessage = { ...m, deleted: false };
    thread.messages.push(message);
    thread.updatedAt = Math.max(thread.updatedAt, m.at);
    this.messageIndex.set(m.mid, { thread, message });
    return message;
  }

  /** Usage percentage of the tightest per-second bucket, as the BUC header reports it. */
  usagePercent(igUserId: string, bucket?: RateBucket): number {
    const now = this.now();
    const buckets: RateBucket[] = bucket ? [bucket] : ['text', 'media', 'conversations'];
    let max = 0;
    for (const b of buckets) max = Math.max(max, this.counters[b].current(igUserId, now) / RATE_LIMITS[b].limit);
    return Math.min(100, Math.round(max * 100));
  }
}
