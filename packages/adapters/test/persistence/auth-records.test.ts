import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ids, User, type AuthRecords, type Repositories, type UserId } from '@palette/domain';
import { createInMemoryAuthRecords, createInMemoryRepositories } from '@palette/domain/in-memory';
import { createMikroOrmAuthRecords, createMikroOrmRepositories, entities, migrations, type Database } from '@palette/adapters/persistence';
import { describeOnPostgres, openTestDatabase, type TestDatabase } from '../support/databases.js';

interface Harness { repos: () => Repositories; records: () => AuthRecords }

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
let seq = 0;
const uuid = () => `0190b000-0000-7000-8000-${(seq += 1).toString(16).padStart(12, '0')}`;

async function aUser(repos: Repositories): Promise<UserId> {
  const id = Ids.user(uuid());
  const user = User.register({ id, name: 'Ana', email: `ana-${id}@example.com`, passwordHash: 'x', now: T0 });
  if (!user.ok) throw new Error('fixture');
  await repos.users.save(user.value);
  return id;
}

/** The behaviour the sign-in use cases rely on, held by every family of record stores. */
function authRecordContracts(name: string, harness: () => Harness): void {
  describe(`auth records: ${name}`, () => {
    it('spends a reset token once, only before it expires, and spends a user\'s other tokens on request', async () => {
      const { repos, records } = harness();
      const userId = await aUser(repos());
      const r = records().resetTokens;
      await r.save({ tokenHash: `a-${userId}`, userId, expiresAt: at(3600_000), usedAt: null });
      await r.save({ tokenHash: `b-${userId}`, userId, expiresAt: at(3600_000), usedAt: null });
      await r.save({ tokenHash: `c-${userId}`, userId, expiresAt: at(1000), usedAt: null });
      expect(await r.consume(`c-${userId}`, at(1000))).toBeNull();
      expect(await r.consume(`a-${userId}`, at(10))).toEqual({ tokenHash: `a-${userId}`, userId, expiresAt: at(3600_000), usedAt: at(10) });
      expect(await r.consume(`a-${userId}`, at(20))).toBeNull();
      expect(await r.invalidateAllForUser(userId, at(30))).toBe(2);
      expect(await r.consume(`b-${userId}`, at(40))).toBeNull();
      expect(await r.deleteEndedBefore(at(3600_000), 10)).toBeGreaterThanOrEqual(3);
    });

    it('keeps mail newest first per address, and purges old mail', async () => {
      const { records } = harness();
      const outbox = records().outbox;
      const to = `to-${uuid()}@example.com`;
      const first = { id: uuid(), workspaceId: null, kind: 'password_reset' as const, to, subject: 'One', body: 'first; with a semicolon', createdAt: at(0), sentAt: null };
      await outbox.append(first);
      await outbox.append({ ...first, id: uuid(), subject: 'Two', body: 'second', createdAt: at(1000) });
      expect((await outbox.listTo(to)).map((m) => m.subject)).toEqual(['Two', 'One']);
      expect((await outbox.listTo(to))[1]).toEqual(first);
      expect(await outbox.listTo('someone-else@example.com')).toEqual([]);
      expect(await outbox.deleteOlderThan(at(0), 100)).toBeGreaterThanOrEqual(1);
      expect((await outbox.listTo(to)).map((m) => m.subject)).toEqual(['Two']);
    });

    it('counts failures in fixed windows, atomically under concurrency, and clears', async () => {
      const { records } = harness();
      const t = records().throttle;
      const key = `email:${uuid()}`;
      expect(await t.get(key)).toBeNull();
      expect(await t.recordFailure(key, at(0), 60_000)).toEqual({ windowStart: at(0), failures: 1 });
      expect(await t.recordFailure(key, at(59_999), 60_000)).toEqual({ windowStart: at(0), failures: 2 });
      expect(await t.recordFailure(key, at(60_000), 60_000)).toEqual({ windowStart: at(60_000), failures: 1 });
      // Separate units of work, as separate processes would have.
      await Promise.all(Array.from({ length: 8 }, () => harness().records().throttle.recordFailure(key, at(61_000), 60_000)));
      expect(await t.get(key)).toEqual({ windowStart: at(60_000), failures: 9 });
      await t.clear(key);
      expect(await t.get(key)).toBeNull();
      await t.recordFailure(key, at(0), 60_000);
      expect(await t.deleteStartedBefore(at(0), 100)).toBeGreaterThanOrEqual(1);
    });
  });
}

const memory = createInMemoryRepositories();
authRecordContracts('in memory', () => ({ repos: () => memory, records: () => createInMemoryAuthRecords(memory.db) }));

function ormHarness(db: () => Database): () => Harness {
  return () => {
    const repos = createMikroOrmRepositories(db().orm);
    return { repos: () => repos, records: () => createMikroOrmAuthRecords(repos.uow) };
  };
}

describe('on PGlite', () => {
  let opened: TestDatabase | undefined;
  beforeAll(async () => { opened = await openTestDatabase('pglite', { entities, migrations }); });
  afterAll(async () => { await opened?.teardown(); });
  authRecordContracts('MikroORM on PGlite', ormHarness(() => opened!.database));
});

describeOnPostgres('auth records', () => {
  let opened: TestDatabase | undefined;
  beforeAll(async () => { opened = await openTestDatabase('postgresql', { entities, migrations }); });
  afterAll(async () => { await opened?.teardown(); });
  authRecordContracts('MikroORM on PostgreSQL', ormHarness(() => opened!.database));
});

describe('createMikroOrmAuthRecords', () => {
  it('refuses a unit of work that is not a MikroORM session', () => {
    expect(() => createMikroOrmAuthRecords(memory.uow)).toThrow(TypeError);
  });
});
