import type { IdempotencyRecord, IdempotencyStore, UnitOfWork, WorkspaceId } from '@palette/domain';
import { Ids } from '@palette/domain';
import { MikroOrmSession } from './mikro-orm-repositories.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Row = Record<string, any>;

const fromRow = (r: Row): IdempotencyRecord => ({
  workspaceId: Ids.workspace(r.workspace_id), route: r.route, key: r.key, requestHash: r.request_hash, status: Number(r.status),
  body: r.body, headers: r.headers ?? {}, createdAt: new Date(r.created_at), expiresAt: new Date(r.expires_at),
});

export class SqlIdempotencyStore implements IdempotencyStore {
  constructor(private readonly s: MikroOrmSession) {}

  async find(ws: WorkspaceId, route: string, key: string, now: Date) {
    const rows = await this.s.execute<Row[]>(
      'select * from idempotency_keys where workspace_id = ? and route = ? and key = ? and expires_at > ?', [ws, route, key, now]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /**
   * Replaces only an expired row. A live one makes the insert affect nothing, which is reported by
   * throwing: a concurrent twin committed first, and this transaction must not commit a duplicate.
   */
  async save(r: IdempotencyRecord) {
    const rows = await this.s.execute<Row[]>(
      `insert into idempotency_keys (workspace_id, route, key, request_hash, status, body, headers, created_at, expires_at)
       values (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?)
       on conflict (workspace_id, route, key) do update set request_hash = excluded.request_hash, status = excluded.status, body = excluded.body,
         headers = excluded.headers, created_at = excluded.created_at, expires_at = excluded.expires_at
       where idempotency_keys.expires_at <= excluded.created_at
       returning key`,
      [r.workspaceId, r.route, r.key, r.requestHash, r.status, JSON.stringify(r.body ?? null), JSON.stringify(r.headers), r.createdAt, r.expiresAt]);
    if (rows.length === 0) throw new Error('unique violation: idempotency_keys (workspace_id, route, key)');
  }

  async deleteExpired(cutoff: Date, limit: number) {
    const rows = await this.s.execute<Row[]>(
      `delete from idempotency_keys where (workspace_id, route, key) in
         (select workspace_id, route, key from idempotency_keys where expires_at <= ? order by expires_at limit ?) returning key`, [cutoff, limit]);
    return rows.length;
  }
}

/** The store over the unit of work of a `createMikroOrmRepositories` set, so a record commits with its resource. */
export function createSqlIdempotencyStore(uow: UnitOfWork): IdempotencyStore {
  if (!(uow instanceof MikroOrmSession)) throw new TypeError('createSqlIdempotencyStore needs the unit of work of createMikroOrmRepositories');
  return new SqlIdempotencyStore(uow);
}
