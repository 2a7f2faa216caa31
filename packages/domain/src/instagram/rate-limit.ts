import type { OutboundPayload } from './ports.js';

/** Instagram's per-account limits (instagram-platform.md §4a), one bucket each. */
export type RateBucket = 'text' | 'media' | 'privateReplies' | 'conversations';

export interface RateLimitRule {
  readonly limit: number;
  readonly windowMs: number;
}

export const DEFAULT_RATE_LIMITS: Readonly<Record<RateBucket, RateLimitRule>> = {
  text: { limit: 100, windowMs: 1000 },
  media: { limit: 10, windowMs: 1000 },
  privateReplies: { limit: 750, windowMs: 3600_000 },
  conversations: { limit: 2, windowMs: 1000 },
};

/** Above this `X-Business-Use-Case-Usage` percentage the limiter slows down. */
export const USAGE_SLOWDOWN_PERCENT = 80;
/** A usage report older than this no longer slows anything down: BUC is a rolling figure. */
export const USAGE_MEMORY_MS = 60_000;

export type RateDecision =
  | { readonly granted: true }
  /** `paused`: Instagram asked us to stop (estimated_time_to_regain_access); `full`: the window is used up. */
  | { readonly granted: false; readonly retryAfterMs: number; readonly reason: 'full' | 'paused' };

/**
 * One limiter for every process that calls Instagram for an account: a grant is a slot in the
 * bucket's sliding window, so N workers together never exceed the limit.
 */
export interface RateLimiter {
  tryAcquire(accountKey: string, bucket: RateBucket): Promise<RateDecision>;
  /** The latest BUC usage seen on a response: ≥ 80 % slows down, a regain time pauses the account. */
  reportUsage(accountKey: string, usage: { readonly percent: number; readonly regainAccessMs: number }): Promise<void>;
  /** Stop every bucket of the account until then (a 80002/613 answer with a wait). */
  pauseUntil(accountKey: string, until: Date): Promise<void>;
}

/**
 * The limit actually applied: the documented one below 80 % usage; above, half of it at 80 %
 * falling linearly to a tenth at 100 %, never below one call per window.
 */
export function effectiveLimit(limit: number, usagePercent: number | null): number {
  if (usagePercent === null || usagePercent < USAGE_SLOWDOWN_PERCENT) return limit;
  const share = 0.5 - (Math.min(usagePercent, 100) - USAGE_SLOWDOWN_PERCENT) * (0.4 / (100 - USAGE_SLOWDOWN_PERCENT));
  return Math.max(1, Math.floor(limit * share));
}

/** Audio, video, files and images count against the media bucket (images: stricter than documented, on purpose). */
export function bucketFor(payload: OutboundPayload, privateReply: boolean): RateBucket {
  if (privateReply) return 'privateReplies';
  return payload.type === 'image' ? 'media' : 'text';
}

/**
 * Waits (through `sleep`) for a slot while the wait is short; returns the refusal when the next
 * slot is further away than `maxWaitMs`, so a job can be rescheduled instead of holding a worker.
 */
export async function acquireSlot(
  limiter: RateLimiter,
  accountKey: string,
  bucket: RateBucket,
  options: { readonly maxWaitMs: number; readonly sleep: (ms: number) => Promise<void>; readonly jitterMs?: () => number; readonly signal?: AbortSignal },
): Promise<RateDecision> {
  let waited = 0;
  for (;;) {
    const decision = await limiter.tryAcquire(accountKey, bucket);
    if (decision.granted) return decision;
    if (options.signal?.aborted || waited + decision.retryAfterMs > options.maxWaitMs) return decision;
    // Never spin: the next slot is at least a few ms away, and workers racing for it add jitter.
    const pause = Math.max(5, decision.retryAfterMs) + (options.jitterMs?.() ?? 0);
    await options.sleep(pause);
    waited += pause;
  }
}
