import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ConnectInstagramAccount, Ids, PRIVATE_REPLY_JOB, type AutomationRule, type InstagramAccountId, type Repositories, type WorkspaceId } from '@palette/domain';
import { createMikroOrmRepositories, createSqlAssistantRecords, createSqlInstagramWebhookStores, persistenceModule } from '@palette/adapters/persistence';
import { createInstagramServices, createSimulator, loadInstagramSettings, sqlRowsOf, type Simulator } from '@palette/adapters/instagram';
import { AesGcmTokenCipher, parseKeyring } from '@palette/adapters/crypto';
import { PALETTE_QUEUE_LIST } from '@palette/adapters/queue';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { loadConfig, startHttpService, type RunningServer } from '@palette/app-http';
import { startWorker, type RunningWorker } from '@palette/app-worker';
import { openTestDatabase, type TestDatabase } from '../../adapters/test/support/databases.js';

const APP_ID = 'private-reply-app';
const APP_SECRET = 'private-reply-secret';
const IG = '17841455500776655';
const POST = '17900011122233';
const OTHER_POST = '17900099988877';
const DAY = 86400_000;
const KEYRING = `k1:${Buffer.alloc(32, 9).toString('base64')}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

interface ClaimRow { comment_id: string; state: string; reason: string | null; platform_message_id: string | null }

/** Simulator → HTTP webhook → inbox → worker → comment-to-DM → instagram.private_reply → simulator, on the embedded database. */
describe('comment-to-DM private replies (PGlite, simulator)', () => {
  let db: TestDatabase;
  let sim: Simulator;
  let worker: RunningWorker;
  let http: RunningServer;
  let ws: WorkspaceId;
  let accountId: InstagramAccountId;
  const cipher = new AesGcmTokenCipher(parseKeyring(KEYRING));
  const clock = new SystemClock();
  const ids = new UuidV7Generator();
  const repos = (): Repositories => createMikroOrmRepositories(db.database.orm);
  const sql = <T>(text: string) => db.database.orm.em.fork().execute<T[]>(text);
  const claims = () => sql<ClaimRow>(`select comment_id, state, reason, platform_message_id from automation_private_replies where account_id = '${accountId}' order by at`);
  const privateRepliesSeen = () => sim.stats(IG).maxPerWindow.privateReplies;
  const inboxSettled = () => waitFor(async () => (await sql<{ n: number }>("select count(*)::int as n from instagram_webhook_inbox where state = 'received'"))[0]!.n === 0, 20_000, 'the inbox to be processed');
  const jobsSettled = () => waitFor(async () => (await sql<{ n: number }>(`select count(*)::int as n from pgboss.job where name = '${PRIVATE_REPLY_JOB}' and state in ('created', 'retry', 'active')`))[0]!.n === 0, 20_000, 'private reply jobs');

  beforeAll(async () => {
    db = await openTestDatabase('pglite', persistenceModule());
    sim = await createSimulator({ appId: APP_ID, appSecret: APP_SECRET, requireSubscription: false, accounts: [{ igUserId: IG, username: 'linen_shop' }] });
    const settings = loadInstagramSettings({ INSTAGRAM_GRAPH_URL: sim.url, INSTAGRAM_APP_ID: APP_ID, INSTAGRAM_APP_SECRET: APP_SECRET });
    if (!settings.ok) throw new Error(settings.problems.join());
    const logger = pino({ level: 'silent' });
    worker = await startWorker({
      database: db.database, logger,
      queues: PALETTE_QUEUE_LIST.map((d) => ({ ...d, retryDelaySeconds: 1 })),
      instagram: { cipher, instagram: createInstagramServices({ settings: settings.value, sql: sqlRowsOf(db.database.orm.em.fork()) }) },
      worker: { pollIntervalMs: 50 },
    });
    const loaded = loadConfig({ PORT: '0', HOST: '127.0.0.1', INSTAGRAM_APP_SECRET: APP_SECRET, LOG_LEVEL: 'silent' });
    if (!loaded.ok) throw new Error('config');
    http = await startHttpService({ config: loaded.value, logger, database: db.database, jobs: worker.jobs, failedJobs: worker.deadLetters });
    sim.setWebhookUrl(`${http.url.replace(/\/$/, '')}/webhooks/instagram`);

    ws = Ids.workspace(randomUUID());
    await sql(`insert into workspaces (id, name, timezone, default_currency, retention, created_at, updated_at) values ('${ws}', 'Linen', 'UTC', 'EUR', '{}', now(), now())`);
    const connected = await new ConnectInstagramAccount({ ...repos(), cipher, clock, ids }).execute({
      workspaceId: ws, igUserId: IG, username: 'linen_shop', accountType: 'Business',
      grantedScopes: ['instagram_business_basic', 'instagram_business_manage_messages', 'instagram_business_manage_comments'],
      accessToken: sim.issueToken({ igUserId: IG }), tokenExpiresAt: new Date(Date.now() + 60 * DAY),
    });
    if (!connected.ok) throw new Error(connected.error.kind);
    accountId = connected.value.account.id;
    const r = repos();
    await createSqlInstagramWebhookStores(r.uow).aliases.remember(sim.account(IG).appScopedId, { workspaceId: ws, accountId });
    const now = clock.now();
    const rule: AutomationRule = {
      id: randomUUID(), workspaceId: ws, name: 'Price link', enabled: true, trigger: 'comment', matcher: { keywords: ['price', 'link'], mode: 'contains', combine: 'any' },
      postId: POST, action: { kind: 'reply', text: 'Here is the price list: https://linen.example/prices' }, priority: 1, createdAt: now, updatedAt: now,
    };
    await createSqlAssistantRecords(r.uow).saveRule(rule);
  }, 90_000);

  afterAll(async () => {
    await sim?.close();
    if (http) await new Promise<void>((resolve) => { http.server.closeAllConnections(); http.server.close(() => resolve()); });
    await worker?.stop();
    await db?.teardown();
  });

  let firstJob: Record<string, unknown>;

  it('a matching comment on the watched post, delivered 5 times, gets exactly one private reply', async () => {
    const sent = await sim.customerSends({ igUserId: IG, igsid: '5561203398870001', username: 'maria', comment: { text: 'What is the PRICE?', mediaId: POST } }, { times: 5 });
    expect(sent.deliveries.map((d) => d.status)).toEqual([200, 200, 200, 200, 200]);
    await inboxSettled();
    await waitFor(async () => (await claims()).some((c) => c.state === 'sent'), 20_000, 'the private reply to be sent');
    await jobsSettled();
    await sim.idle();
    await inboxSettled();
    const rows = await claims();
    expect(rows).toEqual([{ comment_id: sent.commentId, state: 'sent', reason: null, platform_message_id: expect.any(String) }]);
    expect(privateRepliesSeen()).toBe(1);
    const jobs = await sql<{ data: Record<string, unknown> }>(`select data from pgboss.job where name = '${PRIVATE_REPLY_JOB}'`);
    expect(jobs).toHaveLength(1);
    firstJob = jobs[0]!.data;
    expect(firstJob).toMatchObject({ commentId: sent.commentId, fromId: '5561203398870001', text: 'Here is the price list: https://linen.example/prices' });
  }, 60_000);

  it('a comment that does not match, or on another post, gets none', async () => {
    const other = await sim.customerSends({ igUserId: IG, igsid: '5561203398870002', comment: { text: 'price please', mediaId: OTHER_POST } }, { times: 2 });
    const plain = await sim.customerSends({ igUserId: IG, igsid: '5561203398870003', comment: { text: 'Love this colour', mediaId: POST } }, { times: 2 });
    await inboxSettled();
    await jobsSettled();
    const seen = await sql<{ n: number }>(`select count(*)::int as n from instagram_events where kind = 'comment'`);
    expect(seen[0]!.n).toBe(3);
    const commentIds = (await claims()).map((c) => c.comment_id);
    expect(commentIds).not.toContain(other.commentId);
    expect(commentIds).not.toContain(plain.commentId);
    expect(privateRepliesSeen()).toBe(1);
  }, 60_000);

  it('running the job again sends nothing more', async () => {
    await worker.jobs.enqueue({ name: PRIVATE_REPLY_JOB, data: firstJob, dedupeKey: `again:${Date.now()}` });
    await worker.jobs.enqueue({ name: PRIVATE_REPLY_JOB, data: firstJob, dedupeKey: `again-2:${Date.now()}` });
    await sleep(300);
    await jobsSettled();
    expect(privateRepliesSeen()).toBe(1);
    expect((await claims()).filter((c) => c.comment_id === firstJob['commentId'])).toEqual([expect.objectContaining({ state: 'sent' })]);
  }, 60_000);

  it('a reply whose previous attempt died during the Send API call is not sent again (outcome unknown)', async () => {
    const c = await sim.customerSends({ igUserId: IG, igsid: '5561203398870004', comment: { text: 'nice', mediaId: POST } });
    await inboxSettled();
    await sql(`insert into automation_private_replies (account_id, comment_id, workspace_id, rule_id, at, state) values ('${accountId}', '${c.commentId}', '${ws}', null, now(), 'sending')`);
    await worker.jobs.enqueue({ name: PRIVATE_REPLY_JOB, data: { ...firstJob, commentId: c.commentId, commentAt: new Date().toISOString() }, dedupeKey: `crash:${c.commentId}` });
    await sleep(300);
    await jobsSettled();
    expect((await claims()).find((r) => r.comment_id === c.commentId)).toMatchObject({ state: 'unknown', reason: expect.stringMatching(/during the Send API call/) });
    expect(privateRepliesSeen()).toBe(1);
  }, 60_000);

  it('a comment older than 7 days is refused and the refusal is recorded', async () => {
    const c = await sim.customerSends({ igUserId: IG, igsid: '5561203398870005', comment: { text: 'old one', mediaId: POST } });
    await inboxSettled();
    // Claimed in time, but the job only ran after the window closed (a long outage, a paused account).
    await sql(`insert into automation_private_replies (account_id, comment_id, workspace_id, rule_id, at) values ('${accountId}', '${c.commentId}', '${ws}', null, now() - interval '8 days')`);
    await worker.jobs.enqueue({ name: PRIVATE_REPLY_JOB, data: { ...firstJob, commentId: c.commentId, commentAt: new Date(Date.now() - 8 * DAY).toISOString() }, dedupeKey: `old:${c.commentId}` });
    await sleep(300);
    await jobsSettled();
    expect((await claims()).find((r) => r.comment_id === c.commentId)).toMatchObject({ state: 'refused', reason: 'private_reply_window_closed', platform_message_id: null });
    expect(privateRepliesSeen()).toBe(1);
  }, 60_000);
});
