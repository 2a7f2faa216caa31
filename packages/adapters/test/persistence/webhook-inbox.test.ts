import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ids, type InstagramAccountAliases, type InstagramDeletionRequests, type InstagramEventLog, type Repositories, type WebhookInbox, type WorkspaceId } from '@palette/domain';
import { InMemoryInstagramAccountAliases, InMemoryInstagramDeletionRequests, InMemoryInstagramEventLog, InMemoryWebhookInbox, createInMemoryRepositories } from '@palette/domain/in-memory';
import { make } from '@palette/domain/testing';
import { createMikroOrmRepositories, createSqlInstagramWebhookStores, createWebhookInboxStore, entities, migrations, webhookOrderingKey, type Database } from '@palette/adapters/persistence';
import { describeOnPostgres, openTestDatabase, type TestDatabase } from '../support/databases.js';

interface Stores { repos: Repositories; inbox: WebhookInbox; events: InstagramEventLog; aliases: InstagramAccountAliases; deletions: InstagramDeletionRequests }

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
let seq = 0;
const uuid = () => `0190c000-0000-7000-8000-${(seq += 1).toString(16).padStart(12, '0')}`;
const sha = (n: number) => n.toString(16).padStart(64, '0');

async function tenant(repos: Repositories) {
  const ws = Ids.workspace(uuid()) as WorkspaceId;
  const account = make.account(uuid(), ws, `1784${seq}`, T0);
  await repos.uow.run(async () => {
    await repos.workspaces.save(make.workspace(ws, T0));
    await repos.accounts.save(account);
  });
  return { ws, account };
}

/** The same behaviour from the in-memory and the SQL stores. */
function contracts(name: string, fresh: () => Stores): void {
  describe(`instagram webhook stores: ${name}`, () => {
    it('stores a delivery once per body, walks received → quarantined → received (replay) → processed, and counts states', async () => {
      const { repos, inbox } = fresh();
      const { ws } = await tenant(repos);
      const id = uuid();
      const n = seq;
      const before = await inbox.countByState();
      expect(await inbox.store({ id, payloadSha256: sha(n), rawBody: '{"object":"instagram","entry":[]}', receivedAt: T0 })).toEqual({ id, duplicate: false });
      expect(await inbox.store({ id: uuid(), payloadSha256: sha(n), rawBody: '{"object":"instagram","entry":[]}', receivedAt: at(5) })).toEqual({ id, duplicate: true });
      const stored = await inbox.get(id);
      expect(stored).toMatchObject({ id, state: 'received', attempts: 0, reason: null, workspaceId: null, receivedAt: T0, processedAt: null, rawBody: '{"object":"instagram","entry":[]}' });
      expect((await inbox.listReceivedBefore(at(0), 100)).map((d) => d.id)).toContain(id);
      expect(await inbox.recordAttempt(id)).toBe(1);
      expect(await inbox.recordAttempt(id)).toBe(2);
      await inbox.markQuarantined(id, 'entry.0.messaging.0: unknown messaging event kind', at(10), ws);
      expect(await inbox.get(id)).toMatchObject({ state: 'quarantined', reason: 'entry.0.messaging.0: unknown messaging event kind', attempts: 2, workspaceId: ws, processedAt: at(10) });
      expect((await inbox.listQuarantined(ws, 10)).map((d) => d.id)).toEqual([id]);
      expect((await inbox.listReceivedBefore(at(1_000_000), 100)).map((d) => d.id)).not.toContain(id);
      const after = await inbox.countByState();
      expect(after.quarantined).toBe(before.quarantined + 1);
      // Another workspace cannot replay it; its own can, once.
      expect(await inbox.requeue(id, Ids.workspace(uuid()))).toBe(false);
      expect(await inbox.requeue(id, ws)).toBe(true);
      expect(await inbox.requeue(id, ws)).toBe(false);
      expect((await inbox.get(id))?.state).toBe('received');
      await inbox.markProcessed(id, at(20), null);
      expect(await inbox.get(id)).toMatchObject({ state: 'processed', reason: null, workspaceId: ws });
      expect(await inbox.get(uuid())).toBeNull();
      // Raw bodies of applied deliveries are purged; received and quarantined ones never are.
      const kept = uuid();
      await inbox.store({ id: kept, payloadSha256: sha(seq), rawBody: '{}', receivedAt: T0 });
      expect(await inbox.deleteProcessedBefore(at(19), 100)).toBe(0);
      expect(await inbox.deleteProcessedBefore(at(20), 100)).toBeGreaterThanOrEqual(1);
      expect(await inbox.get(id)).toBeNull();
      expect((await inbox.get(kept))?.state).toBe('received');
    });

    it('keeps raw bodies byte for byte, semicolons and non-ASCII included', async () => {
      const { inbox } = fresh();
      const raw = '{"object":"instagram","entry":[{"id":"1","messaging":[{"message":{"mid":"m","text":"ok; thanks 😍 — ñ"}}]}]}';
      const id = uuid();
      await inbox.store({ id, payloadSha256: sha(seq), rawBody: raw, receivedAt: T0 });
      expect((await inbox.get(id))?.rawBody).toBe(raw);
    });

    it('records an event key once, inside the unit of work, and lists by mid and kind', async () => {
      const { repos, events } = fresh();
      const { ws, account } = await tenant(repos);
      const rec = (key: string, kind: string, mid: string | null, ms: number, data: Record<string, unknown> = {}) =>
        ({ dedupeKey: `${account.id}:${key}`, workspaceId: ws, accountId: account.id, kind, mid, occurredAt: at(ms), data, recordedAt: T0 });
      expect(await repos.uow.run(() => events.record(rec('edit:m1:1', 'edit', 'm1', 5, { text: 'ok; fine', numEdit: 1 })))).toBe(true);
      expect(await repos.uow.run(() => events.record(rec('edit:m1:1', 'edit', 'm1', 5)))).toBe(false);
      await repos.uow.run(() => events.record(rec('reaction:m1', 'reaction', 'm1', 1, { action: 'react' })));
      await repos.uow.run(() => events.record(rec('comment:1', 'comment', null, 2, { text: 'PRICE?' })));
      expect((await events.listByMid(account.id, 'm1')).map((r) => [r.kind, r.occurredAt, r.data])).toEqual([
        ['reaction', at(1), { action: 'react' }], ['edit', at(5), { text: 'ok; fine', numEdit: 1 }],
      ]);
      expect((await events.listByKind(account.id, 'comment', 10)).map((r) => r.data['text'])).toEqual(['PRICE?']);
    });

    it('rolls an event key back with a failed unit of work', async () => {
      const { repos, events } = fresh();
      const { ws, account } = await tenant(repos);
      const key = `${account.id}:message:m-rollback`;
      await expect(repos.uow.run(async () => {
        await events.record({ dedupeKey: key, workspaceId: ws, accountId: account.id, kind: 'message', mid: 'm-rollback', occurredAt: T0, data: {}, recordedAt: T0 });
        throw new Error('boom');
      })).rejects.toThrow('boom');
      expect(await repos.uow.run(() => events.record({ dedupeKey: key, workspaceId: ws, accountId: account.id, kind: 'message', mid: 'm-rollback', occurredAt: T0, data: {}, recordedAt: T0 }))).toBe(true);
    });

    it('maps app-scoped ids to accounts and keeps deletion requests by confirmation code', async () => {
      const { repos, aliases, deletions } = fresh();
      const { ws, account } = await tenant(repos);
      const scoped = `asid-${seq}`;
      await aliases.remember(scoped, { workspaceId: ws, accountId: account.id });
      expect(await aliases.find(scoped)).toEqual({ workspaceId: ws, accountId: account.id });
      expect(await aliases.find('nobody')).toBeNull();
      const id = uuid();
      const code = `CODE${seq}ABCDEF`;
      await deletions.save({ id, confirmationCode: code, kind: 'data_deletion', workspaceId: ws, accountId: account.id, status: 'pending', requestedAt: T0, completedAt: null });
      expect(await deletions.findByCode(code)).toEqual({ id, confirmationCode: code, kind: 'data_deletion', workspaceId: ws, accountId: account.id, status: 'pending', requestedAt: T0, completedAt: null });
      await deletions.markComplete(id, at(60_000));
      await deletions.markComplete(id, at(120_000));
      expect(await deletions.findByCode(code)).toMatchObject({ status: 'complete', completedAt: at(60_000) });
      expect(await deletions.findByCode('NOPE000')).toBeNull();
    });
  });
}

const memory = createInMemoryRepositories();
contracts('in memory', () => ({
  repos: memory, inbox: new InMemoryWebhookInbox(memory.db), events: new InMemoryInstagramEventLog(memory.db),
  aliases: new InMemoryInstagramAccountAliases(memory.db), deletions: new InMemoryInstagramDeletionRequests(memory.db),
}));

function sql(db: () => Database): () => Stores {
  return () => {
    const repos = createMikroOrmRepositories(db().orm);
    return { repos, ...createSqlInstagramWebhookStores(repos.uow) };
  };
}

/** The acknowledgement's store (grouped inserts on PostgreSQL) answers as the ORM store does. */
function ackStore(name: string, db: () => Database): void {
  describe(`webhook ack store: ${name}`, () => {
    it('concurrent deliveries in one turn: the first copy of a body is stored, every later copy finds its row', async () => {
      await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 30 }), async (picks) => {
        const base = (seq += 100);
        const store = createWebhookInboxStore(createMikroOrmRepositories(db().orm).uow);
        const stored = await Promise.all(picks.map((p) => {
          const id = uuid();
          return store.store({ id, payloadSha256: sha(10_000_000 + base + p), rawBody: `{"n":${p},"quote":"\\"x\\" {a,b}"}`, receivedAt: T0 }).then((r) => ({ id, p, r }));
        }));
        const first = new Map<number, string>();
        for (const { id, p, r } of stored) {
          const owner = first.get(p);
          if (owner === undefined) { first.set(p, id); expect(r).toEqual({ id, duplicate: false }); } else expect(r).toEqual({ id: owner, duplicate: true });
        }
        // Committed and readable through the ORM's own store once the promise resolved.
        const inbox = createSqlInstagramWebhookStores(createMikroOrmRepositories(db().orm).uow).inbox;
        for (const [p, id] of first) expect(await inbox.get(id)).toMatchObject({ id, state: 'received', rawBody: `{"n":${p},"quote":"\\"x\\" {a,b}"}`, receivedAt: T0 });
      }), { numRuns: 15 });
    });

    it('a body the database refuses fails alone; the deliveries beside it are stored', async () => {
      const store = createWebhookInboxStore(createMikroOrmRepositories(db().orm).uow);
      const good = uuid();
      const [bad, ok] = await Promise.allSettled([
        store.store({ id: uuid(), payloadSha256: sha((seq += 1)), rawBody: 'nul \u0000 byte', receivedAt: T0 }),
        store.store({ id: good, payloadSha256: sha((seq += 1)), rawBody: '{}', receivedAt: T0 }),
      ]);
      expect(bad.status).toBe('rejected');
      expect(ok).toEqual({ status: 'fulfilled', value: { id: good, duplicate: false } });
    });
  });
}

describe('on PGlite', () => {
  let opened: TestDatabase;
  beforeAll(async () => { opened = await openTestDatabase('pglite', { entities, migrations }); });
  afterAll(async () => { await opened?.teardown(); });
  contracts('SQL on PGlite', sql(() => opened.database));
  ackStore('PGlite', () => opened.database);
});

describeOnPostgres('instagram webhook stores', () => {
  let opened: TestDatabase;
  beforeAll(async () => { opened = await openTestDatabase('postgresql', { entities, migrations }); });
  afterAll(async () => { await opened?.teardown(); });
  contracts('SQL on PostgreSQL', sql(() => opened.database));
  ackStore('PostgreSQL', () => opened.database);
});

describe('webhookOrderingKey', () => {
  it('keys by account and customer, whichever side sent the item', () => {
    expect(webhookOrderingKey({ entry: [{ id: '1784', messaging: [{ sender: { id: '7432' }, recipient: { id: '1784' } }] }] })).toBe('ig:1784:7432');
    expect(webhookOrderingKey({ entry: [{ id: '1784', messaging: [{ sender: { id: '1784' }, recipient: { id: '7432' }, message: { is_echo: true } }] }] })).toBe('ig:1784:7432');
    expect(webhookOrderingKey({ entry: [{ id: '1784', messaging: [{ read: { mid: 'm' } }] }] })).toBe('ig:1784:unknown');
    expect(webhookOrderingKey({ entry: [{ id: '1784', changes: [{}] }] })).toBe('ig:1784:changes');
    expect(webhookOrderingKey(null)).toBe('ig:unknown:unknown');
  });
});
