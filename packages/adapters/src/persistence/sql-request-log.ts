import { Ids, type AuditCursor, type RequestLog, type RequestLogEntry, type UserId, type WorkspaceId } from '@palette/domain';
import type { DatabaseOrm } from './database.js';

type Row = Record<string, unknown>;
const COLUMNS = 'id, at, workspace_id, user_id, method, route, status, duration_ms, request_id';

/**
 * The API request log in `api_request_logs`. Each call runs on its own connection, outside any
 * request's transaction: the HTTP service writes it in batches after responses are sent, and a
 * failed business transaction must not take the record of the attempt with it.
 */
export class SqlRequestLog implements RequestLog {
  constructor(private readonly orm: DatabaseOrm) {}

  private exec(sql: string, params: unknown[]): Promise<Row[]> {
    return this.orm.em.fork().getConnection().execute<Row[]>(sql, params as never[], 'all');
  }

  async append(entries: readonly RequestLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const values = entries.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
    const params = entries.flatMap((e) => [e.id, e.at, e.workspaceId, e.userId, e.method, e.route, e.status, e.durationMs, e.requestId]);
    // A workspace deleted while its last requests were buffered: the entries go with it.
    await this.exec(`insert into api_request_logs (${COLUMNS})
      select v.id::uuid, v.at::timestamptz, v.workspace_id::uuid, v.user_id::uuid, v.method, v.route, v.status::int, v.duration_ms::int, v.request_id
      from (values ${values}) as v(${COLUMNS})
      where v.workspace_id is null or exists (select 1 from workspaces w where w.id = v.workspace_id::uuid)`, params);
  }

  async list(ws: WorkspaceId, f: { limit?: number; after?: AuditCursor; userId?: UserId } = {}): Promise<RequestLogEntry[]> {
    const params: unknown[] = [ws];
    let where = 'workspace_id = ?';
    if (f.userId !== undefined) { where += ' and user_id = ?'; params.push(f.userId); }
    if (f.after !== undefined) { where += ' and (at, id) < (?, ?)'; params.push(f.after.at, f.after.id); }
    const rows = await this.exec(`select ${COLUMNS} from api_request_logs where ${where} order by at desc, id desc limit ?`, [...params, f.limit ?? 100]);
    return rows.map((r) => ({
      id: String(r['id']), at: new Date(r['at'] as string), workspaceId: r['workspace_id'] ? Ids.workspace(String(r['workspace_id'])) : null,
      userId: r['user_id'] ? Ids.user(String(r['user_id'])) : null, method: String(r['method']), route: String(r['route']),
      status: Number(r['status']), durationMs: Number(r['duration_ms']), requestId: String(r['request_id']),
    }));
  }

  async deleteOlderThan(cutoff: Date, limit: number): Promise<number> {
    const rows = await this.exec(
      'delete from api_request_logs where id in (select id from api_request_logs where at <= ? order by at, id limit ? for update skip locked) returning id', [cutoff, limit]);
    return rows.length;
  }

  async deleteForUser(userId: UserId): Promise<string[]> {
    return (await this.exec('delete from api_request_logs where user_id = ? returning id', [userId])).map((r) => String(r['id']));
  }
}
