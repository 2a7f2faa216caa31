import type {
  AuthRecords, LoginThrottleStore, MailOutbox, OutboxMail, PasswordResetToken, PasswordResetTokenRepository, ThrottleState, UnitOfWork, UserId,
} from '@palette/domain';
import { Ids } from '@palette/domain';
import { MikroOrmSession } from './mikro-orm-repositories.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Row = Record<string, any>;

const resetTokenFromRow = (r: Row): PasswordResetToken => ({
  tokenHash: r.token_hash, userId: Ids.user(r.user_id), expiresAt: new Date(r.expires_at), usedAt: r.used_at === null ? null : new Date(r.used_at),
});

export class SqlPasswordResetTokenRepository implements PasswordResetTokenRepository {
  constructor(private readonly s: MikroOrmSession) {}
  async save(t: PasswordResetToken) {
    await this.s.execute('insert into password_reset_tokens (token_hash, user_id, expires_at, used_at) values (?, ?, ?, ?)',
      [t.tokenHash, t.userId, t.expiresAt, t.usedAt], 'run');
  }
  async consume(tokenHash: string, now: Date) {
    const rows = await this.s.execute<Row[]>(
      'update password_reset_tokens set used_at = ? where token_hash = ? and used_at is null and expires_at > ? returning *', [now, tokenHash, now]);
    return rows[0] ? resetTokenFromRow(rows[0]) : null;
  }
  async invalidateAllForUser(userId: UserId, now: Date) {
    const rows = await this.s.execute<Row[]>(
      'update password_reset_tokens set used_at = ? where user_id = ? and used_at is null and expires_at > ? returning token_hash', [now, userId, now]);
    return rows.length;
  }
  async deleteEndedBefore(cutoff: Date, limit: number) {
    const rows = await this.s.execute<Row[]>(
      `delete from password_reset_tokens where token_hash in (select token_hash from password_reset_tokens
         where expires_at <= ? or used_at <= ? limit ?) returning token_hash`, [cutoff, cutoff, limit]);
    return rows.length;
  }
}

const mailFromRow = (r: Row): OutboxMail => ({
  id: r.id, workspaceId: r.workspace_id === null ? null : Ids.workspace(r.workspace_id), kind: r.kind, to: r.to_address, subject: r.subject, body: r.body,
  createdAt: new Date(r.created_at), sentAt: r.sent_at === null ? null : new Date(r.sent_at),
});

export class SqlMailOutbox implements MailOutbox {
  constructor(private readonly s: MikroOrmSession) {}
  async append(m: OutboxMail) {
    await this.s.execute('insert into mail_outbox (id, workspace_id, kind, to_address, subject, body, created_at, sent_at) values (?, ?, ?, ?, ?, ?, ?, ?)',
      [m.id, m.workspaceId, m.kind, m.to, m.subject, m.body, m.createdAt, m.sentAt], 'run');
  }
  async listTo(address: string, limit = 50) {
    return (await this.s.execute<Row[]>('select * from mail_outbox where to_address = ? order by created_at desc, id desc limit ?', [address, limit])).map(mailFromRow);
  }
  async deleteOlderThan(cutoff: Date, limit: number) {
    const rows = await this.s.execute<Row[]>(
      'delete from mail_outbox where id in (select id from mail_outbox where created_at <= ? order by created_at limit ?) returning id', [cutoff, limit]);
    return rows.length;
  }
}

const throttleFromRow = (r: Row): ThrottleState => ({ windowStart: new Date(r.window_start), failures: Number(r.failures) });

export class SqlLoginThrottleStore implements LoginThrottleStore {
  constructor(private readonly s: MikroOrmSession) {}
  /** One upsert: concurrent failures from several processes each count, none is lost to a read-modify-write. */
  async recordFailure(key: string, now: Date, windowMs: number) {
    const expired = new Date(now.getTime() - windowMs);
    const rows = await this.s.execute<Row[]>(
      `insert into login_throttle (key, window_start, failures) values (?, ?, 1)
       on conflict (key) do update set
         window_start = case when login_throttle.window_start <= ? then excluded.window_start else login_throttle.window_start end,
         failures = case when login_throttle.window_start <= ? then 1 else login_throttle.failures + 1 end
       returning window_start, failures`, [key, now, expired, expired]);
    return throttleFromRow(rows[0]!);
  }
  async get(key: string) {
    const rows = await this.s.execute<Row[]>('select window_start, failures from login_throttle where key = ?', [key]);
    return rows[0] ? throttleFromRow(rows[0]) : null;
  }
  async clear(key: string) { await this.s.execute('delete from login_throttle where key = ?', [key], 'run'); }
  async deleteStartedBefore(cutoff: Date, limit: number) {
    const rows = await this.s.execute<Row[]>(
      'delete from login_throttle where key in (select key from login_throttle where window_start <= ? limit ?) returning key', [cutoff, limit]);
    return rows.length;
  }
}

/**
 * The auth record stores over the unit of work of a `createMikroOrmRepositories` set, so they commit
 * with the repositories (a reset token with its audit entry).
 */
export function createMikroOrmAuthRecords(uow: UnitOfWork): AuthRecords {
  if (!(uow instanceof MikroOrmSession)) throw new TypeError('createMikroOrmAuthRecords needs the unit of work of createMikroOrmRepositories');
  return { resetTokens: new SqlPasswordResetTokenRepository(uow), outbox: new SqlMailOutbox(uow), throttle: new SqlLoginThrottleStore(uow) };
}
