import type * as D from '../src/index.js';

/** The API request log in memory: an append-only list, newest first on read. */
export class InMemoryRequestLog implements D.RequestLog {
  private entries: D.RequestLogEntry[] = [];

  async append(entries: readonly D.RequestLogEntry[]) { this.entries.push(...entries.map((e) => ({ ...e }))); }

  async list(ws: D.WorkspaceId, f: { limit?: number; after?: D.AuditCursor; userId?: D.UserId } = {}) {
    const after = f.after;
    return this.entries
      .filter((e) => e.workspaceId === ws && (f.userId === undefined || e.userId === f.userId)
        && (after === undefined || e.at.getTime() < after.at.getTime() || (e.at.getTime() === after.at.getTime() && e.id < after.id)))
      .sort((x, y) => y.at.getTime() - x.at.getTime() || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0))
      .slice(0, f.limit ?? 100)
      .map((e) => ({ ...e }));
  }

  async deleteOlderThan(cutoff: Date, limit: number) {
    const old = new Set(this.entries.filter((e) => e.at.getTime() <= cutoff.getTime()).sort((x, y) => x.at.getTime() - y.at.getTime()).slice(0, limit));
    this.entries = this.entries.filter((e) => !old.has(e));
    return old.size;
  }

  async deleteForUser(userId: D.UserId) {
    const gone = this.entries.filter((e) => e.userId === userId).map((e) => e.id);
    this.entries = this.entries.filter((e) => e.userId !== userId);
    return gone;
  }
}
