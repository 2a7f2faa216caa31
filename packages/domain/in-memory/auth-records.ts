import type * as D from './types.js';
import type { InMemoryDatabase } from './database.js';

// Plain records rather than aggregates: the tables hold copies, so every change goes through write().

export class InMemoryPasswordResetTokenRepository implements D.PasswordResetTokenRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async save(t: D.PasswordResetToken) { this.db.write('password_reset_tokens', t.tokenHash, { ...t }); }
  async consume(tokenHash: string, now: Date) {
    const t = this.db.read<D.PasswordResetToken>('password_reset_tokens', tokenHash);
    if (!t || t.usedAt !== null || t.expiresAt.getTime() <= now.getTime()) return null;
    const used = { ...t, usedAt: now };
    this.db.write('password_reset_tokens', tokenHash, used);
    return used;
  }
  async invalidateAllForUser(userId: D.UserId, now: Date) {
    const open = this.db.scan<D.PasswordResetToken>('password_reset_tokens', (t) => t.userId === userId && t.usedAt === null && t.expiresAt.getTime() > now.getTime());
    for (const t of open) this.db.write('password_reset_tokens', t.tokenHash, { ...t, usedAt: now });
    return open.length;
  }
  async deleteEndedBefore(cutoff: Date, limit: number) {
    const ended = this.db.scan<D.PasswordResetToken>('password_reset_tokens', (t) => t.expiresAt.getTime() <= cutoff.getTime() || (t.usedAt !== null && t.usedAt.getTime() <= cutoff.getTime())).slice(0, limit);
    for (const t of ended) this.db.remove('password_reset_tokens', t.tokenHash);
    return ended.length;
  }
}

export class InMemoryMailOutbox implements D.MailOutbox {
  constructor(private readonly db: InMemoryDatabase) {}
  async append(m: D.OutboxMail) { this.db.write('mail_outbox', m.id, { ...m }); }
  async listTo(address: string, limit = 50) {
    return this.db.scan<D.OutboxMail>('mail_outbox', (m) => m.to === address)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .slice(0, limit);
  }
  async deleteOlderThan(cutoff: Date, limit: number) {
    const old = this.db.scan<D.OutboxMail>('mail_outbox', (m) => m.createdAt.getTime() <= cutoff.getTime()).slice(0, limit);
    for (const m of old) this.db.remove('mail_outbox', m.id);
    return old.length;
  }
}

interface ThrottleRow { key: string; windowStart: Date; failures: number }

export class InMemoryLoginThrottleStore implements D.LoginThrottleStore {
  constructor(private readonly db: InMemoryDatabase) {}
  async recordFailure(key: string, now: Date, windowMs: number) {
    const row = this.db.read<ThrottleRow>('login_throttle', key);
    const next: ThrottleRow = row && row.windowStart.getTime() > now.getTime() - windowMs
      ? { key, windowStart: row.windowStart, failures: row.failures + 1 }
      : { key, windowStart: now, failures: 1 };
    this.db.write('login_throttle', key, next);
    return { windowStart: next.windowStart, failures: next.failures };
  }
  async get(key: string) {
    const row = this.db.read<ThrottleRow>('login_throttle', key);
    return row ? { windowStart: row.windowStart, failures: row.failures } : null;
  }
  async clear(key: string) { this.db.remove('login_throttle', key); }
  async deleteStartedBefore(cutoff: Date, limit: number) {
    const old = this.db.scan<ThrottleRow>('login_throttle', (r) => r.windowStart.getTime() <= cutoff.getTime()).slice(0, limit);
    for (const r of old) this.db.remove('login_throttle', r.key);
    return old.length;
  }
}

/** The auth record stores over one in-memory database (the same one as the repositories). */
export function createInMemoryAuthRecords(db: InMemoryDatabase): D.AuthRecords {
  return { resetTokens: new InMemoryPasswordResetTokenRepository(db), outbox: new InMemoryMailOutbox(db), throttle: new InMemoryLoginThrottleStore(db) };
}
