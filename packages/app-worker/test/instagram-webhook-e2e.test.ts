import { afterAll, beforeAll, expect, it } from 'vitest';
import { pino } from 'pino';
import { Ids, type WorkspaceId } from '@palette/domain';
import { make } from '@palette/domain/testing';
import { createMikroOrmRepositories, createSqlInstagramWebhookStores, persistenceModule } from '@palette/adapters/persistence';
import { createSimulator, type CustomerAction, type Simulator } from '@palette/adapters/instagram';
import { DeadLetters, PALETTE_QUEUE_LIST, PgBossJobQueue, QueueEngine, queueConnectionFor } from '@palette/adapters/queue';
// The end-to-end path crosses both apps, as `npm start` composes them (scripts/start.ts).
import { loadConfig, startHttpService, type RunningServer } from '@palette/app-http';
import { startWorker, type RunningWorker } from '@palette/app-worker';
import { describeOnPostgres, openTestDatabase, type TestDatabase } from '../../adapters/test/support/databases.js';

const APP_SECRET = 'e2e-instagram-app-secret';
const IG = '17841455500112233';
const CUSTOMER = '7432198865012345';
const WS = Ids.workspace('0190d000-0000-7000-8000-000000000001') as WorkspaceId;

describeOnPostgres('Instagram webhooks end to end (simulator → HTTP → inbox → worker → conversations)', () => {
  let db: TestDatabase;
  let worker: RunningWorker;
  let http: RunningServer;
  let producer: QueueEngine;
  let sim: Simulator;
  let base: string;
  const sql = async <T = Record<string, unknown>>(text: string) => db.database.orm.em.fork().getConnection().execute<T[]>(text);

  beforeAll(async () => {
    db = await openTestDatabase('postgresql', persistenceModule());
    const repos = createMikroOrmRepositories(db.database.orm);
    const account = make.account('0190d000-0000-7000-8000-000000000002', WS, IG, new Date('2026-01-01T00:00:00Z'));
    await repos.uow.run(async () => {
      await repos.workspaces.save(make.workspace(WS, new Date('2026-01-01T00:00:00Z')));
      await repos.accounts.save(account);
    });
    const logger = pino({ level: 'silent' });
    worker = await startWorker({ database: db.database, logger, worker: { pollIntervalMs: 50 } });
    const loaded = loadConfig({ PORT: '0', HOST: '127.0.0.1', INSTAGRAM_APP_SECRET: APP_SECRET, LOG_LEVEL: 'silent' });
    if (!loaded.ok) throw new Error('config');
    // As `npm run start:http` does: the HTTP process has its own producer, so it outlives any worker.
    producer = await QueueEngine.open({ connection: queueConnectionFor(db.database), role: 'producer' });
    const jobs = new PgBossJobQueue(producer, new Map(PALETTE_QUEUE_LIST.map((q) => [q.name, q])));
    http = await startHttpService({ config: loaded.value, logger, database: db.database, jobs, failedJobs: new DeadLetters(producer) });
    base = http.url.replace(/\/$/, '');
    sim = await createSimulator({ appId: 'e2e-app', appSecret: APP_SECRET, webhookUrl: `${base}/webhooks/instagram`, requireSubscription: false });
    await createSqlInstagramWebhookStores(repos.uow).aliases.remember(sim.account(IG).appScopedId, { workspaceId: WS, accountId: account.id });
  }, 60_000);

  afterAll(async () => {
    await sim?.close();
    // Not http.shutdown(): it exits the process, as a real SIGTERM should.
    if (http) await new Promise<void>((resolve) => { http.server.closeAllConnections(); http.server.close(() => resolve()); });
    await worker?.stop();
    await producer?.stop();
    await db?.teardown();
  });

  const settled = async (timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await sql<{ n: number }>("select count(*)::int as n from instagram_webhook_inbox where state = 'received'");
      if (rows[0]!.n === 0) return;
      if (Date.now() > deadline) throw new Error(`${rows[0]!.n} deliveries still unprocessed`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('passes the verification handshake with the sandbox verify token', async () => {
    expect((await sim.verifyWebhook('sim-verify-token')).ok).toBe(true);
    expect((await sim.verifyWebhook('not-the-token')).ok).toBe(false);
  });

  it('receives every kind, redelivered 5× and shuffled, without a duplicate', async () => {
    const first = await sim.customerSends({ igUserId: IG, igsid: CUSTOMER, text: 'Hi! ok; thanks', quickReplyPayload: 'SIZE_M' }, { times: 5 });
    expect(first.deliveries.map((d) => d.status)).toEqual([200, 200, 200, 200, 200]);
    const mid = first.mid!;
    const actions: CustomerAction[] = [
      { igUserId: IG, igsid: CUSTOMER, attachments: [{ type: 'image', url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1' }] },
      { igUserId: IG, igsid: CUSTOMER, storyReply: { storyId: '18044455566677788', url: 'https://lookaside.fbsbx.com/story', text: 'How much?' } },
      { igUserId: IG, igsid: CUSTOMER, postback: { title: 'Track my order', payload: 'ORDER_STATUS:10482' } },
      { igUserId: IG, igsid: CUSTOMER, reaction: { mid } },
      { igUserId: IG, igsid: CUSTOMER, read: { mid } },
      { igUserId: IG, igsid: CUSTOMER, edit: { mid, text: 'Hi there! ok; thanks' } },
      { igUserId: IG, igsid: CUSTOMER, referral: { ref: 'spring-sale' } },
      { igUserId: IG, igsid: '5561203398874410', username: 'maria.buys.linen', comment: { text: 'PRICE?', mediaProductType: 'REELS' } },
    ];
    const results = await sim.customerSendsBatch(actions, { shuffle: true, seed: 11, separatePosts: true, times: 3 });
    expect(results.flatMap((r) => r.deliveries.map((d) => d.status)).every((s) => s === 200)).toBe(true);
    await sim.customerSends({ igUserId: IG, igsid: CUSTOMER, unsend: { mid: results[0]!.mid! } }, { times: 2 });
    await settled();

    const inbox = await sql<{ state: string; n: number }>('select state, count(*)::int as n from instagram_webhook_inbox group by state order by state');
    expect(inbox).toEqual([{ state: 'processed', n: 10 }]);
    const messages = await sql<{ platform_message_id: string; text: string | null; reactions: unknown; deleted_at: Date | null; edited_at: Date | null }>(
      "select m.platform_message_id, m.text, m.reactions, m.deleted_at, m.edited_at from messages m join contacts c on c.id = m.contact_id where c.igsid = '7432198865012345' and m.direction = 'inbound' order by m.sent_at");
    expect(messages.map((m) => m.text)).toEqual(['Hi there! ok; thanks', null, 'How much?', 'Track my order']);
    expect(new Set(messages.map((m) => m.platform_message_id)).size).toBe(messages.length);
    expect(messages[0]!.reactions).toEqual([expect.objectContaining({ by: 'customer' })]);
    expect(messages[1]!.deleted_at).not.toBeNull();
    const conversations = await sql<{ entry_point: string }>("select entry_point from conversations");
    expect(conversations).toHaveLength(1);
    const comments = await sql<{ n: number }>("select count(*)::int as n from instagram_events where kind = 'comment'");
    expect(comments[0]!.n).toBe(1);
    // One assistant.reply per customer message (text, image, story reply, postback): none for redeliveries.
    const replies = await sql<{ n: number }>("select count(*)::int as n from pgboss.job where name = 'assistant.reply'");
    expect(replies[0]!.n).toBe(4);
    // When the assistant answers (its handler is registered), the echoes of its own sends are
    // reconciled with them: none is mistaken for a human replying from the Instagram app.
    await sim.idle();
    await settled();
    const echoes = await sql<{ author_kind: string; n: number }>("select author_kind, count(*)::int as n from messages where direction = 'outbound' group by author_kind");
    expect(echoes.filter((e) => e.author_kind === 'instagram_app_echo')).toEqual([]);
  }, 60_000);

  it('acknowledges while the worker is stopped, and the work is done once a worker runs again', async () => {
    await worker.stop();
    const started = Date.now();
    const r = await sim.customerSends({ igUserId: IG, igsid: CUSTOMER, text: 'anyone there?' });
    expect(r.deliveries[0]!.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await sql<{ n: number }>("select count(*)::int as n from instagram_webhook_inbox where state = 'received'"))[0]!.n).toBe(1);
    worker = await startWorker({ database: db.database, logger: pino({ level: 'silent' }), worker: { pollIntervalMs: 50 } });
    // The job sent by the HTTP side (to a stopped worker's queue) is still in pg-boss: nothing was lost.
    await settled();
    expect((await sql<{ text: string }>("select text from messages where text = 'anyone there?'"))).toHaveLength(1);
  }, 60_000);

  it("applies Meta's deauthorize callback: revoked, token destroyed, deletion scheduled", async () => {
    const res = await sim.sendDeauthorize(IG, `${base}/webhooks/instagram/deauthorize`);
    expect(res.status).toBe(200);
    const requests = await sql<{ kind: string; account_id: string | null }>('select kind, account_id from instagram_deletion_requests');
    expect(requests).toEqual([{ kind: 'deauthorize', account_id: '0190d000-0000-7000-8000-000000000002' }]);
    const jobs = await sql<{ data: Record<string, string> }>("select data from pgboss.job where name = 'privacy.revocation-deletion'");
    expect(jobs.map((j) => j.data['accountId'])).toEqual(['0190d000-0000-7000-8000-000000000002']);
    // The deletion job (another feature) may already have removed the account; if not, it is revoked.
    const accounts = await sql<{ status: string; token_ref: string | null }>("select status, token_ref from instagram_accounts");
    for (const a of accounts) expect([a.status, a.token_ref]).toEqual(['revoked', null]);
    const bad = await fetch(`${base}/webhooks/instagram/data-deletion`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'signed_request=abc.def' });
    expect(bad.status).toBe(400);
  }, 30_000);
});
