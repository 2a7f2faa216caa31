import type { IdempotencyRecord, IdempotencyStore, WorkspaceId } from './types.js';
import type { InMemoryDatabase } from './database.js';

const TABLE = 'idempotency_keys';
const keyOf = (ws: string, route: string, key: string) => JSON.stringify([ws, route, key]);

export class InMemoryIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: InMemoryDatabase) {}

  async find(ws: WorkspaceId, route: string, key: string, now: Date) {
    const r = this.db.read<IdempotencyRecord>(TABLE, keyOf(ws, route, key));
    return r && r.expiresAt.getTime() > now.getTime() ? r : null;
  }

  async save(r: IdempotencyRecord) {
    const id = keyOf(r.workspaceId, r.route, r.key);
    const existing = this.db.read<IdempotencyRecord>(TABLE, id);
    // An expired record may be replaced, as the SQL adapter's upsert does; a live one may not.
    if (existing && existing.expiresAt.getTime() > r.createdAt.getTime()) throw new Error('unique violation: idempotency_keys');
    this.db.write(TABLE, id, r);
  }

  async deleteExpired(cutoff: Date, limit: number) {
    const old = this.db.scan<IdempotencyRecord>(TABLE, (r) => r.expiresAt.getTime() <= cutoff.getTime()).slice(0, limit);
    for (const r of old) this.db.remove(TABLE, keyOf(r.workspaceId, r.route, r.key));
    return old.length;
  }
}
