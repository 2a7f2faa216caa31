import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { Ids, type WorkspaceId } from '@palette/domain';
import { make } from '@palette/domain/testing';
import { createMikroOrmRepositories, IN_MEMORY_DATA_DIR, openDatabase, persistenceModule, type Database } from '@palette/adapters/persistence';
import { PgBossJobQueue, QueueEngine } from '@palette/adapters/queue';
import { createScratchPostgresDatabase, describeOnPostgres, type ScratchPostgresDatabase } from '../../../adapters/test/support/databases.js';
import { sweepQueue } from './fixtures/queues.js';

// Issue #11, fault injection: a worker process is SIGKILLed in the middle of the retention sweep.
// Each batch is its own transaction, so what the dead run removed stays removed; its job expires,
// comes back on a new worker, and that run finishes the rest without touching anything unexpired.

const script = fileURLToPath(new URL('./fixtures/sweep-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const EXPIRED = 6_000; // conversations past the 30-day messages retention: 12 batches of 500
const MESSAGES_PER_CONVERSATION = 4;
const KEPT = 200; // conversations from last week

describeOnPostgres('worker killed mid retention sweep', () => {
  let scratch: ScratchPostgresDatabase;
  let database: Database;
  let engine: QueueEngine;
  const ws = Ids.workspace(randomUUID()) as WorkspaceId;
  const accountId = randomUUID();
  const children: ChildProcess[] = [];
  const sql = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => database.orm.em.fork().getConnection().execute<T[]>(text, params as never[]);
  const count = async (text: string, params: unknown[] = []) => Number((await sql<{ n: number }>(text, params))[0]!.n);

  function spawnWorker(): { child: ChildProcess; ready: Promise<void> } {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, FAULTS_DATABASE_URL: scratch.url, PALETTE_DATA_DIR: 'memory://' }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ready = (async () => {
      const deadline = Date.now() + 60_000;
      while (!output.includes('READY')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`worker did not start: ${output}`);
        await sleep(50);
      }
    })();
    return { child, ready };
  }

  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase();
    database = await openDatabase({ databaseUrl: scratch.url, dataDir: IN_MEMORY_DATA_DIR, ...persistenceModule() });
    await database.migrate();
    const repos = createMikroOrmRepositories(database.orm);
    const now = new Date();
    await repos.uow.run(async () => {
      await repos.workspaces.save(make.workspace(ws, now));
      await repos.accounts.save(make.account(accountId, ws, '17841455500445566', now));
    });
    // Contacts stay recent (their own retention is not under test); conversations and messages age.
    const seed = async (n: number, offset: number, age: string) => {
      await sql(`insert into contacts (id, workspace_id, account_id, igsid, restrictions, last_interaction_at, created_at, updated_at)
        select gen_random_uuid(), ?, ?, 'c' || (g + ?), '{}'::jsonb, now(), now(), now() from generate_series(1, ?) g`, [ws, accountId, offset, n]);
      await sql(`insert into conversations (id, workspace_id, account_id, contact_id, entry_point, owner, last_customer_message_at, last_interaction_at, created_at, updated_at)
        select gen_random_uuid(), ?, ?, c.id, 'organic_dm', 'assistant', now() - ?::interval, now() - ?::interval, now() - ?::interval, now()
          from contacts c where c.workspace_id = ? and substring(c.igsid from 2)::int between ? and ?`, [ws, accountId, age, age, age, ws, offset + 1, offset + n]);
      await sql(`insert into messages (id, workspace_id, account_id, conversation_id, contact_id, direction, author_kind, text, delivery_state, sent_at, created_at)
        select gen_random_uuid(), v.workspace_id, v.account_id, v.id, v.contact_id, 'inbound', 'customer', 'hello ' || k, 'received', v.last_interaction_at, v.last_interaction_at
          from conversations v join contacts c on c.id = v.contact_id, generate_series(1, ?) k
         where v.workspace_id = ? and substring(c.igsid from 2)::int between ? and ?`, [MESSAGES_PER_CONVERSATION, ws, offset + 1, offset + n]);
    };
    await seed(EXPIRED, 0, '400 days');
    await seed(KEPT, EXPIRED, '5 days');
    engine = await QueueEngine.open({ connection: { connectionString: scratch.url }, role: 'producer' });
    await engine.ensureQueues([sweepQueue]);
  }, 60_000);

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
  });
  afterAll(async () => {
    await engine?.stop();
    await database?.close();
    await scratch?.drop();
  });

  it('the sweep resumes after SIGKILL: every expired row gone once, nothing recent touched, every removal in exactly one receipt (checkpoints of the dead run, one receipt of the finished run)', async () => {
    const expiredConversations = () => count(`select count(*)::int as n from conversations where workspace_id = ? and last_interaction_at < now() - interval '100 days'`, [ws]);
    const kept = async () => (await sql<{ id: string }>(`select id from messages where workspace_id = ? and sent_at > now() - interval '100 days' order by id`, [ws])).map((r) => r.id);
    const keptBefore = await kept();
    expect(keptBefore).toHaveLength(KEPT * MESSAGES_PER_CONVERSATION);
    expect(await expiredConversations()).toBe(EXPIRED);

    const victim = spawnWorker();
    await victim.ready;
    await new PgBossJobQueue(engine, new Map([[sweepQueue.name, sweepQueue]])).enqueue({ name: sweepQueue.name, data: {} });
    // Killed once at least one batch has committed and before the last one has.
    let left = EXPIRED;
    const deadline = Date.now() + 30_000;
    while (left === EXPIRED && Date.now() < deadline) {
      await sleep(10);
      left = await expiredConversations();
    }
    victim.child.kill('SIGKILL');
    await once(victim.child, 'exit');
    const leftAtKill = await expiredConversations();
    expect(leftAtKill).toBeGreaterThan(0);
    expect(leftAtKill).toBeLessThan(EXPIRED);
    const messagesAtKill = await count(`select count(*)::int as n from messages where workspace_id = ?`, [ws]);
    // Whole batches only: a conversation goes with all its messages or not at all.
    expect(messagesAtKill).toBe((leftAtKill + KEPT) * MESSAGES_PER_CONVERSATION);
    // Every committed batch left its checkpoint receipt: together they cover exactly what the dead run removed.
    type Row = { counts: Record<string, number>; policy: string };
    const sum = (rows: Row[], cls: string) => rows.reduce((n, r) => n + (r.counts[cls] ?? 0), 0);
    const checkpoints = await sql<Row>(`select counts, policy from privacy_receipts where workspace_id = ? and kind = 'retention'`, [ws]);
    expect(checkpoints.length).toBeGreaterThan(0);
    expect(checkpoints.every((r) => /checkpoint/.test(r.policy))).toBe(true);
    expect(sum(checkpoints, 'conversations')).toBe(EXPIRED - leftAtKill);
    expect(sum(checkpoints, 'messages')).toBe((EXPIRED - leftAtKill) * MESSAGES_PER_CONVERSATION);

    // A new worker: the dead run's job expires (5 s), is retried, and the sweep finishes.
    const rescuer = spawnWorker();
    await rescuer.ready;
    const until = Date.now() + 30_000;
    const runReceipts = () => count(`select count(*)::int as n from privacy_receipts where workspace_id = ? and policy not like '%checkpoint%'`, [ws]);
    while (Date.now() < until && (await runReceipts()) === 0) await sleep(100);
    expect(await expiredConversations()).toBe(0);
    expect(await count(`select count(*)::int as n from messages where workspace_id = ? and sent_at < now() - interval '100 days'`, [ws])).toBe(0);
    // Nothing recent touched: the same messages, conversations and every contact still there.
    expect(await kept()).toEqual(keptBefore);
    expect(await count('select count(*)::int as n from conversations where workspace_id = ?', [ws])).toBe(KEPT);
    expect(await count('select count(*)::int as n from contacts where workspace_id = ?', [ws])).toBe(EXPIRED + KEPT);

    // The finished run replaced its own checkpoints with one receipt for what it removed; the dead
    // run's checkpoints stay. Every removed row is in exactly one receipt: nothing missing, nothing twice.
    const receipts = await sql<Row>(`select counts, policy from privacy_receipts where workspace_id = ? and kind = 'retention'`, [ws]);
    const finals = receipts.filter((r) => !/checkpoint/.test(r.policy));
    expect(finals).toHaveLength(1);
    expect(finals[0]!.counts).toEqual({ conversations: leftAtKill, messages: leftAtKill * MESSAGES_PER_CONVERSATION });
    expect(receipts).toHaveLength(checkpoints.length + 1);
    expect(sum(receipts, 'conversations')).toBe(EXPIRED);
    expect(sum(receipts, 'messages')).toBe(EXPIRED * MESSAGES_PER_CONVERSATION);
    // The receipt commits inside the handler; the job is marked completed just after it returns.
    const jobState = () => engine.sql<{ state: string; retry_count: number }>(`select state, retry_count from ${engine.schema}.job where name = $1`, [sweepQueue.name]);
    let jobs = await jobState();
    while (Date.now() < until && jobs.rows[0]?.state === 'active') { await sleep(100); jobs = await jobState(); }
    // One job, completed on a later attempt than the one that was killed.
    expect(jobs.rows).toHaveLength(1);
    expect(jobs.rows[0]!.state).toBe('completed');
    expect(jobs.rows[0]!.retry_count).toBeGreaterThanOrEqual(1);
    console.info(`retention crash: ${EXPIRED - leftAtKill} of ${EXPIRED} expired conversations removed before SIGKILL, ${leftAtKill} by the resumed run`);
  }, 60_000);
});
