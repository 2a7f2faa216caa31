import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ids, type RequestLog, type RequestLogEntry } from '@palette/domain';
import { InMemoryRequestLog } from '@palette/domain/in-memory';
import { persistenceModule, SqlRequestLog } from '@palette/adapters/persistence';
import { describeOnPostgres, openTestDatabase, type TestDatabase } from '../support/databases.js';

const WS = [Ids.workspace('0197b000-0000-7000-8000-000000000001'), Ids.workspace('0197b000-0000-7000-8000-000000000002')] as const;
const USERS = [Ids.user('0197b000-0000-7000-8000-0000000000a1'), Ids.user('0197b000-0000-7000-8000-0000000000a2')] as const;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const hex = (n: number) => n.toString(16).padStart(12, '0');
const entry = (n: number, atMs: number, ws: 0 | 1 | null, user: 0 | 1 | null): RequestLogEntry => ({
  id: `0197b000-0000-7000-8000-${hex(0x1000 + n)}`, at: new Date(atMs), workspaceId: ws === null ? null : WS[ws], userId: user === null ? null : USERS[user],
  method: 'GET', route: '/api/workspaces/:workspaceId/orders', status: 200, durationMs: n % 50, requestId: `req-${n}`,
});

function contract(name: string, make: () => Promise<{ log: RequestLog; reset(): Promise<void>; clear(): Promise<void>; teardown(): Promise<void> }>) {
  describe(`request log contract: ${name}`, () => {
    let h: Awaited<ReturnType<typeof make>>;
    beforeAll(async () => { h = await make(); }, 60_000);
    afterAll(async () => { await h?.teardown(); });
    beforeEach(async () => { await h.reset(); });

    it('lists one workspace newest first (ties by id), pages with a cursor, and filters by user', async () => {
      await h.log.append([entry(1, T0, 0, 0), entry(2, T0 + 5, 0, 1), entry(3, T0 + 5, 0, 0), entry(4, T0 + 9, 1, 0), entry(5, T0 + 1, null, 0)]);
      const all = await h.log.list(WS[0]);
      expect(all.map((e) => e.requestId)).toEqual(['req-3', 'req-2', 'req-1']);
      expect(all[0]).toEqual(entry(3, T0 + 5, 0, 0));
      const after = await h.log.list(WS[0], { after: { at: all[0]!.at, id: all[0]!.id }, limit: 1 });
      expect(after.map((e) => e.requestId)).toEqual(['req-2']);
      expect((await h.log.list(WS[0], { userId: USERS[1] })).map((e) => e.requestId)).toEqual(['req-2']);
      expect((await h.log.list(WS[1])).map((e) => e.requestId)).toEqual(['req-4']);
    });

    it('deletes entries at or before the cutoff in batches, and a user\'s entries on erasure', async () => {
      await h.log.append([entry(1, T0, 0, 0), entry(2, T0 + 10, 0, 1), entry(3, T0 + 20, null, 0), entry(4, T0 + 30, 1, 1)]);
      expect(await h.log.deleteOlderThan(new Date(T0 + 20), 2)).toBe(2);
      expect(await h.log.deleteOlderThan(new Date(T0 + 20), 2)).toBe(1);
      expect(await h.log.deleteOlderThan(new Date(T0 + 20), 2)).toBe(0);
      expect((await h.log.list(WS[1])).map((e) => e.requestId)).toEqual(['req-4']);
      expect((await h.log.deleteForUser(USERS[1])).sort()).toEqual([entry(4, 0, 1, 1).id]);
      expect(await h.log.list(WS[1])).toEqual([]);
    });

    it('a sweep leaves exactly the entries younger than the cutoff, whatever the batch size (property)', async () => {
      await fc.assert(fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 30 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 7 }),
        async (ages, cutoff, batch) => {
          await h.clear();
          await h.log.append(ages.map((age, i) => entry(i, T0 + age, 0, 0)));
          let removed = 0;
          for (let n = -1; n !== 0;) { n = await h.log.deleteOlderThan(new Date(T0 + cutoff), batch); removed += n; }
          expect(removed).toBe(ages.filter((a) => a <= cutoff).length);
          expect((await h.log.list(WS[0], { limit: 100 })).map((e) => e.at.getTime() - T0).sort((a, b) => a - b)).toEqual(ages.filter((a) => a > cutoff).sort((a, b) => a - b));
        }), { numRuns: 15 });
    }, 60_000);
  });
}

contract('in memory', async () => {
  let log = new InMemoryRequestLog();
  const reset = async () => { log = new InMemoryRequestLog(); };
  const holder = { get log() { return log; }, reset, clear: reset, teardown: async () => {} };
  return holder;
});

async function sqlHarness(db: TestDatabase) {
  const seed = async () => {
    for (const ws of WS) await db.database.orm.em.fork().getConnection().execute(`insert into workspaces (id, name, timezone, default_currency, retention, created_at, updated_at) values ('${ws}', 'W', 'UTC', 'EUR', '{}', now(), now())`);
  };
  await seed();
  return {
    log: new SqlRequestLog(db.database.orm), reset: async () => { await db.reset(); await seed(); },
    // Only the log's own table: emptying every table per property run is what made this suite slow.
    clear: async () => { await db.database.orm.em.fork().getConnection().execute('delete from api_request_logs'); },
    teardown: () => db.teardown(),
  };
}

contract('PGlite', async () => sqlHarness(await openTestDatabase('pglite', persistenceModule())));
describeOnPostgres('request log', () => {
  contract('PostgreSQL', async () => sqlHarness(await openTestDatabase('postgresql', persistenceModule())));
});

describe('SQL request log', () => {
  it('drops entries of a workspace deleted while they were buffered, instead of failing the batch', async () => {
    const db = await openTestDatabase('pglite', persistenceModule());
    try {
      await db.database.orm.em.fork().getConnection().execute(`insert into workspaces (id, name, timezone, default_currency, retention, created_at, updated_at) values ('${WS[0]}', 'W', 'UTC', 'EUR', '{}', now(), now())`);
      const log = new SqlRequestLog(db.database.orm);
      await log.append([entry(1, T0, 0, 0), entry(2, T0, 1, 0), entry(3, T0, null, 1)]);
      expect((await log.list(WS[0])).map((e) => e.requestId)).toEqual(['req-1']);
      expect(await log.deleteForUser(USERS[1])).toEqual([entry(3, T0, null, 1).id]);
    } finally {
      await db.teardown();
    }
  }, 60_000);
});
