import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_RATE_LIMITS, effectiveLimit, type RateLimiter } from '@palette/domain';
import { FakeClock } from '@palette/domain/in-memory';
import { entities, migrations } from '@palette/adapters/persistence';
import { InMemoryRateLimiter, PostgresRateLimiter, sqlRowsOf } from '../../src/instagram/index.js';
import { describeOnPostgres, useTestDatabase } from '../support/databases.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('effectiveLimit', () => {
  it('is the documented limit below 80 %, never more, and shrinks monotonically above it (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (limit, a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      expect(effectiveLimit(limit, lo)).toBeGreaterThanOrEqual(effectiveLimit(limit, hi));
      expect(effectiveLimit(limit, lo)).toBeLessThanOrEqual(limit);
      expect(effectiveLimit(limit, hi)).toBeGreaterThanOrEqual(1);
      if (hi < 80) expect(effectiveLimit(limit, hi)).toBe(limit);
      if (hi >= 80 && limit >= 2) expect(effectiveLimit(limit, hi)).toBeLessThanOrEqual(Math.ceil(limit / 2));
    }));
  });
});

describe('InMemoryRateLimiter', () => {
  it('never grants more than the limit inside any sliding window, whatever the call times (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 300 }), async (gaps) => {
      const clock = new FakeClock('2026-03-01T10:00:00Z');
      const limiter = new InMemoryRateLimiter(clock, { limits: { conversations: { limit: 2, windowMs: 1000 } }, marginRatio: 0, marginMs: 0 });
      const granted: number[] = [];
      for (const gap of gaps) {
        clock.advance(gap);
        if ((await limiter.tryAcquire('acct', 'conversations')).granted) granted.push(clock.now().getTime());
      }
      for (let i = 2; i < granted.length; i++) expect(granted[i]! - granted[i - 2]!).toBeGreaterThanOrEqual(1000);
    }), { numRuns: 100 });
  });

  it('says how long until the next slot, pauses for the regain time, and slows down above 80 % usage', async () => {
    const clock = new FakeClock('2026-03-01T10:00:00Z');
    const limiter = new InMemoryRateLimiter(clock, { marginRatio: 0, marginMs: 0 });
    for (let i = 0; i < 10; i++) expect((await limiter.tryAcquire('a', 'media')).granted).toBe(true);
    clock.advance(300);
    expect(await limiter.tryAcquire('a', 'media')).toEqual({ granted: false, retryAfterMs: 700, reason: 'full' });
    // Another account has its own buckets.
    expect((await limiter.tryAcquire('b', 'media')).granted).toBe(true);
    await limiter.reportUsage('b', { percent: 100, regainAccessMs: 5 * 60_000 });
    expect(await limiter.tryAcquire('b', 'text')).toEqual({ granted: false, retryAfterMs: 5 * 60_000, reason: 'paused' });
    clock.advance(5 * 60_000);
    await limiter.reportUsage('c', { percent: 90, regainAccessMs: 0 });
    let granted = 0;
    for (let i = 0; i < 100; i++) if ((await limiter.tryAcquire('c', 'text')).granted) granted++;
    expect(granted).toBe(effectiveLimit(100, 90));
  });
});

/** The cross-process limiter; the same cases on the embedded database and on PostgreSQL. */
function postgresLimiterSuite(kind: 'pglite' | 'postgresql') {
  const db = useTestDatabase(kind, { entities, migrations });
  const limiter = (options: ConstructorParameters<typeof PostgresRateLimiter>[1] = {}): RateLimiter => new PostgresRateLimiter(sqlRowsOf(db().database.orm.em.fork()), options);

  // Minute-long windows: a loaded machine taking over a second for the loop must not free slots.
  it('grants exactly the limit per window, then says when the next slot frees', async () => {
    const l = limiter({ limits: { media: { limit: 10, windowMs: 60_000 } }, marginRatio: 0, marginMs: 0 });
    const key = `acct-${kind}-1`;
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await l.tryAcquire(key, 'media'));
    expect(results.filter((r) => r.granted)).toHaveLength(10);
    const refused = results[11]!;
    expect(refused.granted).toBe(false);
    if (!refused.granted) {
      expect(refused.reason).toBe('full');
      expect(refused.retryAfterMs).toBeGreaterThan(50_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    const short = limiter({ limits: { media: { limit: 1, windowMs: 300 } }, marginRatio: 0, marginMs: 0 });
    expect((await short.tryAcquire(`${key}-short`, 'media')).granted).toBe(true);
    const wait = await short.tryAcquire(`${key}-short`, 'media');
    expect(wait.granted).toBe(false);
    await sleep(wait.granted ? 0 : wait.retryAfterMs + 20);
    expect((await short.tryAcquire(`${key}-short`, 'media')).granted).toBe(true);
  });

  it('a pause from Instagram stops every bucket of the account until it ends; high usage slows it down', async () => {
    const l = limiter({ marginRatio: 0, marginMs: 0, limits: { media: { limit: 10, windowMs: 60_000 } } });
    const key = `acct-${kind}-2`;
    await l.reportUsage(key, { percent: 100, regainAccessMs: 60_000 });
    const paused = await l.tryAcquire(key, 'text');
    expect(paused).toMatchObject({ granted: false, reason: 'paused' });
    if (!paused.granted) expect(paused.retryAfterMs).toBeGreaterThan(55_000);
    await l.pauseUntil(key, new Date(Date.now() - 1000));
    // pauseUntil never shortens an existing pause.
    expect(await l.tryAcquire(key, 'conversations')).toMatchObject({ granted: false, reason: 'paused' });

    const slow = `acct-${kind}-3`;
    await l.reportUsage(slow, { percent: 95, regainAccessMs: 0 });
    let granted = 0;
    for (let i = 0; i < 40; i++) if ((await l.tryAcquire(slow, 'media')).granted) granted++;
    expect(granted).toBe(effectiveLimit(10, 95));
  });
}

describe('PostgresRateLimiter [PGlite]', () => postgresLimiterSuite('pglite'));

describeOnPostgres('PostgresRateLimiter', () => {
  postgresLimiterSuite('postgresql');

});

describeOnPostgres('PostgresRateLimiter under contention', () => {
  const db = useTestDatabase('postgresql', { entities, migrations });
  // A one-minute window so the burst's own duration cannot free slots: exactly the limit, never one more.
  it('300 simultaneous acquires from 10 limiter instances: exactly 100 granted in the window', async () => {
    const limiters = Array.from({ length: 10 }, () => new PostgresRateLimiter(sqlRowsOf(db().database.orm.em.fork()), { marginRatio: 0, marginMs: 0, limits: { text: { limit: 100, windowMs: 60_000 } } }));
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => limiters[i % 10]!.tryAcquire('burst', 'text')));
    expect(results.filter((r) => r.granted)).toHaveLength(DEFAULT_RATE_LIMITS.text.limit);
    const { rows } = await db().database.orm.em.fork().getConnection().execute<{ n: number }[]>(`select cardinality(hits) as n from instagram_rate_windows where account_key = 'burst' and bucket = 'text'`).then((r) => ({ rows: r }));
    expect(Number(rows[0]!.n)).toBe(100);
  });
});
