import { DEFAULT_RATE_LIMITS, USAGE_MEMORY_MS, effectiveLimit } from '@palette/domain';
import type { Clock, RateBucket, RateDecision, RateLimiter, RateLimitRule } from '@palette/domain';

/** `?` placeholders (MikroORM's `execute`); rows as plain objects. Works on PostgreSQL and PGlite. */
export type SqlRows = (sql: string, params: readonly unknown[]) => Promise<Array<Record<string, unknown>>>;

export interface RateLimiterOptions {
  readonly limits?: Partial<Record<RateBucket, RateLimitRule>>;
  /**
   * Added to every window. Instagram counts a call when it arrives, we count it when granted; the
   * spread of network delays between the two must not let N+1 calls land inside one window.
   */
  readonly marginRatio?: number;
  /** The same margin's floor in ms (default 200): delays spread the same for every bucket, under load too. */
  readonly marginMs?: number;
}

function windowOf(rule: RateLimitRule, marginRatio: number, marginMs: number): number {
  return Math.ceil(rule.windowMs + Math.max(rule.windowMs * marginRatio, marginMs));
}

/**
 * The limiter every process shares, in PostgreSQL. Each (account, bucket) is one row holding the
 * grant times inside the sliding window; a grant is ONE `insert … on conflict do update … where`
 * statement, which PostgreSQL runs with the row locked and re-checks against the latest version,
 * so concurrent workers can never both take the last slot. Times come from the database clock,
 * the one clock every process agrees on.
 */
export class PostgresRateLimiter implements RateLimiter {
  private readonly limits: Record<RateBucket, RateLimitRule>;
  private readonly marginRatio: number;
  private readonly marginMs: number;

  constructor(private readonly sql: SqlRows, options: RateLimiterOptions = {}) {
    this.limits = { ...DEFAULT_RATE_LIMITS, ...options.limits };
    this.marginRatio = options.marginRatio ?? 0.1;
    this.marginMs = options.marginMs ?? 200;
  }

  async tryAcquire(accountKey: string, bucket: RateBucket): Promise<RateDecision> {
    const rule = this.limits[bucket];
    const windowMs = windowOf(rule, this.marginRatio, this.marginMs);
    const [state] = await this.sql(
      `select (extract(epoch from (paused_until - clock_timestamp())) * 1000)::float8 as paused_ms,
              (extract(epoch from (clock_timestamp() - usage_at)) * 1000)::float8 as usage_age_ms, usage_percent
         from instagram_rate_accounts where account_key = ?`,
      [accountKey],
    );
    const pausedMs = num(state?.['paused_ms']);
    if (pausedMs !== null && pausedMs > 0) return { granted: false, retryAfterMs: Math.ceil(pausedMs), reason: 'paused' };
    const usageAge = num(state?.['usage_age_ms']);
    const usage = usageAge !== null && usageAge < USAGE_MEMORY_MS ? num(state?.['usage_percent']) : null;
    const limit = effectiveLimit(rule.limit, usage);

    const granted = await this.sql(
      `insert into instagram_rate_windows as w (account_key, bucket, hits) values (?, ?, array[clock_timestamp()])
       on conflict (account_key, bucket) do update
          set hits = array(select h from unnest(w.hits) as h where h > clock_timestamp() - (? * interval '1 millisecond') order by h) || clock_timestamp()
        where (select count(*) from unnest(w.hits) as h where h > clock_timestamp() - (? * interval '1 millisecond')) < ?
       returning 1 as granted`,
      [accountKey, bucket, windowMs, windowMs, limit],
    );
    if (granted.length > 0) return { granted: true };
    // The slot frees when enough old grants leave the window for the count to drop below the limit.
    const [wait] = await this.sql(
      `select (extract(epoch from (x.h + (? * interval '1 millisecond') - clock_timestamp())) * 1000)::float8 as wait_ms
         from (select h from instagram_rate_windows w, unnest(w.hits) as h
                where w.account_key = ? and w.bucket = ? and h > clock_timestamp() - (? * interval '1 millisecond')
                order by h desc offset ? limit 1) x`,
      [windowMs, accountKey, bucket, windowMs, Math.max(0, limit - 1)],
    );
    return { granted: false, retryAfterMs: Math.max(1, Math.ceil(num(wait?.['wait_ms']) ?? 1)), reason: 'full' };
  }

  async reportUsage(accountKey: string, usage: { readonly percent: number; readonly regainAccessMs: number }): Promise<void> {
    const percent = Math.max(0, Math.min(100, Math.round(usage.percent)));
    await this.sql(
      `insert into instagram_rate_accounts as a (account_key, usage_percent, usage_at, paused_until)
       values (?, ?, clock_timestamp(), case when ? > 0 then clock_timestamp() + (? * interval '1 millisecond') end)
       on conflict (account_key) do update
          set usage_percent = excluded.usage_percent, usage_at = excluded.usage_at,
              paused_until = greatest(a.paused_until, excluded.paused_until)`,
      [accountKey, percent, usage.regainAccessMs, usage.regainAccessMs],
    );
  }

  async pauseUntil(accountKey: string, until: Date): Promise<void> {
    await this.sql(
      `insert into instagram_rate_accounts as a (account_key, paused_until) values (?, ?::timestamptz)
       on conflict (account_key) do update set paused_until = greatest(a.paused_until, excluded.paused_until)`,
      [accountKey, until.toISOString()],
    );
  }
}

/** The same rules in memory, for tests and single-process tools. */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly limits: Record<RateBucket, RateLimitRule>;
  private readonly marginRatio: number;
  private readonly marginMs: number;
  private readonly hits = new Map<string, number[]>();
  private readonly accounts = new Map<string, { usage: number | null; usageAt: number; pausedUntil: number }>();

  constructor(private readonly clock: Clock, options: RateLimiterOptions = {}) {
    this.limits = { ...DEFAULT_RATE_LIMITS, ...options.limits };
    this.marginRatio = options.marginRatio ?? 0.1;
    this.marginMs = options.marginMs ?? 200;
  }

  async tryAcquire(accountKey: string, bucket: RateBucket): Promise<RateDecision> {
    const now = this.clock.now().getTime();
    const state = this.accounts.get(accountKey);
    if (state && state.pausedUntil > now) return { granted: false, retryAfterMs: state.pausedUntil - now, reason: 'paused' };
    const rule = this.limits[bucket];
    const windowMs = windowOf(rule, this.marginRatio, this.marginMs);
    const limit = effectiveLimit(rule.limit, state && now - state.usageAt < USAGE_MEMORY_MS ? state.usage : null);
    const key = `${accountKey}\u0000${bucket}`;
    const live = (this.hits.get(key) ?? []).filter((t) => t > now - windowMs);
    if (live.length < limit) {
      live.push(now);
      this.hits.set(key, live);
      return { granted: true };
    }
    this.hits.set(key, live);
    const freeing = live[live.length - limit]!;
    return { granted: false, retryAfterMs: Math.max(1, freeing + windowMs - now), reason: 'full' };
  }

  async reportUsage(accountKey: string, usage: { readonly percent: number; readonly regainAccessMs: number }): Promise<void> {
    const now = this.clock.now().getTime();
    const prev = this.accounts.get(accountKey);
    this.accounts.set(accountKey, { usage: usage.percent, usageAt: now, pausedUntil: Math.max(prev?.pausedUntil ?? 0, usage.regainAccessMs > 0 ? now + usage.regainAccessMs : 0) });
  }

  async pauseUntil(accountKey: string, until: Date): Promise<void> {
    const prev = this.accounts.get(accountKey);
    this.accounts.set(accountKey, { usage: prev?.usage ?? null, usageAt: prev?.usageAt ?? 0, pausedUntil: Math.max(prev?.pausedUntil ?? 0, until.getTime()) });
  }
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}
