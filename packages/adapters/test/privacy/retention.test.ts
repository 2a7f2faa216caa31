import { describe, expect, it } from 'vitest';
import { Ids, RunRetentionSweep, verifyReceipt, type Repositories } from '@palette/domain';
import { FakeClock, SequentialIds } from '@palette/domain/in-memory';
import { createMikroOrmRepositories, createSqlPrivacyStore, entities, migrations, type Database } from '@palette/adapters/persistence';
import { describeOnPostgres, useTestDatabase, type TestDatabaseKind } from '../support/databases.js';
import { count, DAY, digest, privacy, reportSnapshot, seedWorkspace, sql } from './support.js';

const T0 = '2026-01-10T12:00:00.000Z';

function retentionSuite(kind: TestDatabaseKind): void {
  const db = useTestDatabase(kind, { entities, migrations });
  const database = (): Database => db().database;

  it('keeps DMs 29 days, deletes them (messages, reactions, attachments, conversation, profile) at 30, and leaves every report unchanged', async () => {
    const clock = new FakeClock(T0);
    const ids = new SequentialIds('0190a001');
    const repos = (): Repositories => createMikroOrmRepositories(database().orm);
    const seeded = await seedWorkspace(repos, ids, clock, 'ig-ret-1');
    const reportsBefore = await reportSnapshot(database());
    const { talker, buyer, recent } = seeded.contacts;

    clock.advance(30 * DAY - 1);
    await privacy(database(), clock, ids).sweep.execute();
    expect(await count(database(), 'messages', 'workspace_id = ?', [seeded.ws])).toBe(6);
    expect(await count(database(), 'conversations', 'workspace_id = ?', [seeded.ws])).toBe(3);

    clock.advance(1);
    const run = await privacy(database(), clock, ids).sweep.execute({ batchSize: 1 });
    // Every message and conversation of the two old contacts is gone from every table.
    for (const gone of [talker, buyer]) {
      expect(await count(database(), 'messages', 'conversation_id = ?', [gone.conversation])).toBe(0);
      expect(await count(database(), 'conversations', 'id = ?', [gone.conversation])).toBe(0);
    }
    expect(await count(database(), 'messages', 'conversation_id = ?', [recent.conversation])).toBe(2);
    // The talker had no order: deleted. The buyer has one: only the random id remains.
    expect(await count(database(), 'contacts', 'id = ?', [talker.id])).toBe(0);
    const [kept] = await sql<Record<string, unknown>>(database(), 'select igsid, username, display_name, consent_ledger, anonymized_at from contacts where id = ?', [buyer.id]);
    expect(kept).toMatchObject({ igsid: null, username: null, display_name: null });
    expect(kept!.anonymized_at).not.toBeNull();
    const [order] = await sql<Record<string, unknown>>(database(), 'select contact_id, conversation_id, customer_name from orders where id = ?', [seeded.orderId]);
    expect(order).toMatchObject({ contact_id: buyer.id, conversation_id: null, customer_name: 'Lucía Pérez' });

    const receipt = run.receipts.find((r) => r.workspaceId === seeded.ws)!;
    expect(receipt.kind).toBe('retention');
    expect(receipt.counts).toEqual({ contacts_anonymized: 1, contacts_deleted: 1, conversations: 2, messages: 4 });
    const removed = [
      ...[...talker.messages, ...buyer.messages].map((id) => `messages:${id}`), `conversations:${talker.conversation}`, `conversations:${buyer.conversation}`,
      `contacts_deleted:${talker.id}`, `contacts_anonymized:${buyer.id}`,
    ];
    expect(verifyReceipt(receipt, removed, digest)).toBe(true);
    expect(verifyReceipt(receipt, removed.slice(1), digest)).toBe(false);
    const [stored] = await sql<Record<string, unknown>>(database(), 'select policy, counts, digest from privacy_receipts where id = ?', [receipt.id]);
    expect(stored!.digest).toBe(receipt.digest);
    expect(JSON.stringify(stored)).not.toMatch(/Lucía|igsid-|Calle|hola/);

    expect(await reportSnapshot(database())).toBe(reportsBefore);
  });

  it('anonymises an order 5 years after it ended: no name, address, notes or contact link; amounts, lines, status and dates stay; reports unchanged', async () => {
    const clock = new FakeClock(T0);
    const ids = new SequentialIds('0190a002');
    const repos = (): Repositories => createMikroOrmRepositories(database().orm);
    const seeded = await seedWorkspace(repos, ids, clock, 'ig-ret-2');
    const reportsBefore = await reportSnapshot(database());
    const [before] = await sql<Record<string, unknown>>(database(), 'select status, lines, total_amount_minor, created_at, completed_at from orders where id = ?', [seeded.orderId]);

    clock.advance((5 * 365 + 1) * DAY - 1);
    await privacy(database(), clock, ids).sweep.execute();
    expect(await count(database(), 'orders', 'id = ? and anonymized_at is null', [seeded.orderId])).toBe(1);

    clock.advance(1);
    const run = await privacy(database(), clock, ids).sweep.execute();
    const [after] = await sql<Record<string, unknown>>(database(), 'select * from orders where id = ?', [seeded.orderId]);
    expect(after).toMatchObject({ contact_id: null, conversation_id: null, customer_name: null, shipping_address: null, notes: null });
    expect(after!.customer_token).toMatch(/^[0-9a-f-]{36}$/);
    expect(after!.customer_token).not.toBe(seeded.contacts.buyer.id);
    expect({ status: after!.status, lines: after!.lines, total: after!.total_amount_minor, created: after!.created_at, completed: after!.completed_at })
      .toEqual({ status: before!.status, lines: before!.lines, total: before!.total_amount_minor, created: before!.created_at, completed: before!.completed_at });
    expect(JSON.stringify(after!.history)).not.toMatch(/changed my mind|0190a002-0000-7000-8000/);
    expect(run.receipts.find((r) => r.workspaceId === seeded.ws)!.counts).toMatchObject({ orders_anonymized: 1 });

    // The loaded aggregate agrees: anonymised, amounts intact, and it refuses new notes.
    const order = await repos().orders.get(seeded.ws, Ids.order(seeded.orderId));
    expect(order!.anonymizedAt).not.toBeNull();
    expect(order!.total.amountMinor).toBe(5000);
    expect(order!.addNote('x', clock.now()).ok).toBe(false);

    // With its last order anonymised, the token-only contact goes at the next run.
    await privacy(database(), clock, ids).sweep.execute();
    expect(await count(database(), 'contacts', 'id = ?', [seeded.contacts.buyer.id])).toBe(0);
    expect(await reportSnapshot(database())).toBe(reportsBefore);
  });

  it('deletes audit entries and receipts after a year, exports after 7 days, ended sessions, old reset tokens, mail and expired idempotency records', async () => {
    const clock = new FakeClock(T0);
    const ids = new SequentialIds('0190a003');
    const d = database();
    const repos = createMikroOrmRepositories(d.orm);
    const seeded = await seedWorkspace(() => createMikroOrmRepositories(d.orm), ids, clock, 'ig-ret-3');
    const now = clock.now();
    const user = ids.next();
    await sql(d, `insert into users (id, name, email, password_hash, created_at, updated_at) values (?, 'U', ?, 'x', ?, ?)`, [user, `${user}@example.com`, now, now]);
    await sql(d, `insert into audit_entries (id, workspace_id, actor, action, at) values (?, ?, '{"kind":"system"}', 'x.y', ?)`, [ids.next(), seeded.ws, now]);
    await sql(d, `insert into sessions (token_hash, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at) values (?, ?, ?, ?, ?, ?)`,
      [`h-${user}`, user, now, now, new Date(now.getTime() + DAY), new Date(now.getTime() + 14 * DAY)]);
    await sql(d, `insert into password_reset_tokens (token_hash, user_id, expires_at) values (?, ?, ?)`, [`r-${user}`, user, new Date(now.getTime() + 3600_000)]);
    await sql(d, `insert into mail_outbox (id, kind, to_address, subject, body, created_at) values (?, 'password_reset', ?, 's', 'b', ?)`, [ids.next(), `${user}@example.com`, now]);
    await sql(d, `insert into idempotency_keys (workspace_id, route, key, request_hash, status, created_at, expires_at) values (?, 'r', 'k', 'h', 201, ?, ?)`,
      [seeded.ws, now, new Date(now.getTime() + DAY)]);
    await sql(d, `insert into privacy_exports (id, requested_by, subject, status, created_at, expires_at) values (?, ?, '{"kind":"user"}', 'pending', ?, ?)`,
      [ids.next(), user, now, new Date(now.getTime() + 7 * DAY)]);
    void repos;

    // Reset tokens and mail are kept 7 days after they expire (support questions), exports 7 days.
    clock.advance(7 * DAY + 3600_000);
    await privacy(d, clock, ids).sweep.execute();
    expect(await count(d, 'privacy_exports', 'requested_by = ?', [user])).toBe(0);
    expect(await count(d, 'idempotency_keys', 'workspace_id = ?', [seeded.ws])).toBe(0);
    expect(await count(d, 'password_reset_tokens', 'user_id = ?', [user])).toBe(0);
    expect(await count(d, 'mail_outbox', 'to_address = ?', [`${user}@example.com`])).toBe(0);
    expect(await count(d, 'audit_entries', 'workspace_id = ?', [seeded.ws])).toBe(1);
    // A finished run replaces its per-batch checkpoints (the workspace's and the instance-wide ones) with its receipts.
    expect(await count(d, 'privacy_receipts', "policy like '%checkpoint%'", [])).toBe(0);

    clock.set(new Date(new Date(T0).getTime() + 365 * DAY - 1));
    await privacy(d, clock, ids).sweep.execute();
    expect(await count(d, 'audit_entries', 'workspace_id = ?', [seeded.ws])).toBe(1);
    const receiptsBefore = await count(d, 'privacy_receipts', 'workspace_id = ?', [seeded.ws]);
    expect(receiptsBefore).toBeGreaterThan(0);
    clock.advance(1);
    await privacy(d, clock, ids).sweep.execute();
    expect(await count(d, 'audit_entries', 'workspace_id = ?', [seeded.ws])).toBe(0);
    expect(await count(d, 'sessions', 'user_id = ?', [user])).toBe(0);
    // Receipts are kept for the audit period: the first ones (written at day 7) are still younger than a year.
    expect(await count(d, 'privacy_receipts', 'workspace_id = ? and created_at <= ?', [seeded.ws, new Date(clock.now().getTime() - 365 * DAY)])).toBe(0);
  });

  it('honours a shorter workspace period and ignores one above the published maximum', async () => {
    const clock = new FakeClock(T0);
    const ids = new SequentialIds('0190a004');
    const repos = (): Repositories => createMikroOrmRepositories(database().orm);
    const short = await seedWorkspace(repos, ids, clock, 'ig-ret-4a');
    const tooLong = await seedWorkspace(repos, ids, clock, 'ig-ret-4b');
    await sql(database(), `update workspaces set retention = '{"messages": 7}'::jsonb where id = ?`, [short.ws]);
    // Written behind the domain's back (the domain refuses it): the sweep still caps it at 30.
    await sql(database(), `update workspaces set retention = '{"messages": 90}'::jsonb where id = ?`, [tooLong.ws]);

    clock.advance(7 * DAY);
    const run = await privacy(database(), clock, ids).sweep.execute();
    expect(await count(database(), 'messages', 'conversation_id = ?', [short.contacts.talker.conversation])).toBe(0);
    expect(await count(database(), 'messages', 'conversation_id = ?', [tooLong.contacts.talker.conversation])).toBe(2);
    expect(run.receipts.find((r) => r.workspaceId === short.ws)!.policy).toContain('messages=7d');

    clock.advance(23 * DAY);
    await privacy(database(), clock, ids).sweep.execute();
    expect(await count(database(), 'messages', 'conversation_id = ?', [tooLong.contacts.talker.conversation])).toBe(0);
  });

  it('is idempotent and safe to run concurrently: every row is removed once and counted once', async () => {
    const clock = new FakeClock(T0);
    const ids = new SequentialIds('0190a005');
    const repos = (): Repositories => createMikroOrmRepositories(database().orm);
    const seeded = await Promise.all([0, 1, 2].map((i) => seedWorkspace(repos, ids, clock, `ig-ret-5-${i}`)));
    clock.advance(31 * DAY);
    const runs = await Promise.all([0, 1, 2].map(() => privacy(database(), clock, ids).sweep.execute({ batchSize: 2 })));
    const counted = runs.flatMap((r) => r.receipts).filter((r) => seeded.some((s) => s.ws === r.workspaceId))
      .reduce((n, r) => n + ((r.counts as Record<string, number>).messages ?? 0), 0);
    // Runs that found a class busy leave it to the holder; a final run picks up anything left.
    const last = await privacy(database(), clock, ids).sweep.execute({ batchSize: 2 });
    const lastCounted = last.receipts.filter((r) => seeded.some((s) => s.ws === r.workspaceId)).reduce((n, r) => n + ((r.counts as Record<string, number>).messages ?? 0), 0);
    expect(counted + lastCounted).toBe(3 * 4);
    for (const s of seeded) expect(await count(database(), 'messages', 'workspace_id = ?', [s.ws])).toBe(2);
    const again = await privacy(database(), clock, ids).sweep.execute();
    expect(again.receipts.filter((r) => seeded.some((s) => s.ws === r.workspaceId))).toEqual([]);
  });

  it('a second sweeper holding a class makes this one skip it rather than wait', async () => {
    if (kind !== 'postgresql') return; // PGlite has one connection: nothing runs beside the sweep.
    const clock = new FakeClock(T0);
    const ids = new SequentialIds('0190a006');
    const seeded = await seedWorkspace(() => createMikroOrmRepositories(database().orm), ids, clock, 'ig-ret-6');
    clock.advance(31 * DAY);
    const holder = createMikroOrmRepositories(database().orm);
    const store = createSqlPrivacyStore(holder.uow);
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const holding = holder.uow.run(async () => {
      await holder.session.execute('select pg_advisory_xact_lock(hashtext(?), hashtext(?))', ['palette.retention.messages', seeded.ws]);
      await held;
    });
    const run = await privacy(database(), clock, ids).sweep.execute();
    expect(run.busy).toContain(`messages:${seeded.ws}`);
    expect(await count(database(), 'messages', 'workspace_id = ?', [seeded.ws])).toBe(6);
    release();
    await holding;
    void store;
    void RunRetentionSweep;
  });
}

describe('retention sweep [PGlite]', () => retentionSuite('pglite'));
describeOnPostgres('retention sweep', () => retentionSuite('postgresql'));
