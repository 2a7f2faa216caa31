import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ConnectInstagramAccount, Ids, QueueOutboundMessage, ReceiveInboundMessage, type ConversationId, type InstagramAccountId, type Message, type Repositories, type WorkspaceId } from '@palette/domain';
import { createMikroOrmRepositories, persistenceModule } from '@palette/adapters/persistence';
import { createInstagramServices, createSimulator, loadInstagramSettings, sqlRowsOf, type Simulator } from '@palette/adapters/instagram';
import { AesGcmTokenCipher, parseKeyring } from '@palette/adapters/crypto';
import { PALETTE_QUEUES } from '@palette/adapters/queue';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { startWorker, type RunningWorker } from '@palette/app-worker';
import { keyRotationHandler } from '../../src/handlers/key-rotation.js';
import { tokenRefreshHandler } from '../../src/handlers/token-refresh.js';
import { openTestDatabase, type TestDatabase } from '../../../adapters/test/support/databases.js';
import { APP_ID, APP_SECRET, IG, KEYRING } from './fixtures/queues.js';

const DAY = 86400_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** The production handlers in one worker on the embedded database, against the Graph API simulator. */
describe('Instagram jobs: token expiry and release, delivery gap, token refresh (PGlite, simulator)', () => {
  let db: TestDatabase;
  let sim: Simulator;
  let worker: RunningWorker;
  let ws: WorkspaceId;
  let accountId: InstagramAccountId;
  const cipher = new AesGcmTokenCipher(parseKeyring(KEYRING));
  const clock = new SystemClock();
  const ids = new UuidV7Generator();
  const repos = (): Repositories => createMikroOrmRepositories(db.database.orm);
  const connect = async (token: string) => {
    const r = await new ConnectInstagramAccount({ ...repos(), cipher, clock, ids }).execute({
      workspaceId: ws, igUserId: IG, username: 'jobs_shop', accountType: 'Business', grantedScopes: ['instagram_business_basic', 'instagram_business_manage_messages'],
      accessToken: token, tokenExpiresAt: new Date(Date.now() + 60 * DAY),
    });
    if (!r.ok) throw new Error(r.error.kind);
    return r.value.account;
  };
  const message = async (id: string): Promise<Message> => (await repos().messages.get(ws, Ids.message(id)))!;

  beforeAll(async () => {
    db = await openTestDatabase('pglite', persistenceModule());
    sim = await createSimulator({ appId: APP_ID, appSecret: APP_SECRET, accounts: [{ igUserId: IG, username: 'jobs_shop' }] });
    const settings = loadInstagramSettings({ INSTAGRAM_GRAPH_URL: sim.url, INSTAGRAM_APP_ID: APP_ID, INSTAGRAM_APP_SECRET: APP_SECRET });
    if (!settings.ok) throw new Error(settings.problems.join());
    const q = PALETTE_QUEUES;
    worker = await startWorker({
      database: db.database, logger: pino({ level: 'silent' }),
      queues: [q.outboundSend, q.instagramConnected, q.tokenRefresh, q.deliveryGapCheck].map((d) => ({ ...d, retryDelaySeconds: 1 })),
      instagram: { cipher, instagram: createInstagramServices({ settings: settings.value, sql: sqlRowsOf(db.database.orm.em.fork()) }), sendOptions: { reconcileGraceMs: 1_000 } },
      worker: { pollIntervalMs: 50 },
    });
    ws = Ids.workspace(randomUUID());
    await db.database.orm.em.fork().execute(`insert into workspaces (id, name, timezone, default_currency, retention, created_at, updated_at) values ('${ws}', 'Shop', 'UTC', 'EUR', '{}', now(), now())`);
    accountId = (await connect(sim.issueToken({ igUserId: IG }))).id;
  }, 90_000);
  afterAll(async () => {
    await worker?.stop();
    await sim?.close();
    await db?.teardown();
  });

  async function openThread(igsid: string): Promise<ConversationId> {
    const sent = await sim.customerSends({ igUserId: IG, igsid, text: 'Do you ship to Lyon?' });
    const r = await new ReceiveInboundMessage({ ...repos(), clock, ids }).execute({
      igUserId: IG, senderIgsid: igsid, platformMessageId: sent.mid!, text: 'Do you ship to Lyon?', attachments: [], replyTo: null, sentAt: clock.now(), entryPoint: 'organic_dm',
    });
    if (!r.ok) throw new Error(r.error.kind);
    return r.value.conversation.id;
  }

  it('an expired token (190) holds sends with a visible reason; after reconnecting, they go out', async () => {
    const conversation = await openThread('7432100000000001');
    sim.injectFault(IG, { kind: 'tokenExpired' });
    const queue = () => new QueueOutboundMessage({ ...repos(), jobs: worker.jobs, clock, ids });
    const first = await queue().execute({ workspaceId: ws, conversationId: conversation, author: 'assistant', text: 'Yes, we ship to Lyon.' });
    if (!first.ok) throw new Error(first.error.kind);
    await waitFor(async () => (await message(first.value.message.id)).deliveryState === 'held', 20_000, 'the send to be held');
    expect((await message(first.value.message.id)).holdReason).toBe('token_expired');
    const account = (await repos().accounts.get(ws, accountId))!;
    expect(account.status).toBe('token_expired');
    expect(account.statusReason).toMatch(/reconnect/);
    // Queued while expired: held by the gate at once.
    const second = await queue().execute({ workspaceId: ws, conversationId: conversation, author: 'assistant', text: 'Delivery takes two days.' });
    if (!second.ok) throw new Error(second.error.kind);
    expect(second.value.decision).toEqual({ outcome: 'hold', reason: 'token_expired' });

    sim.clearFaults(IG);
    await connect(sim.issueToken({ igUserId: IG }));
    await worker.jobs.enqueue({ name: PALETTE_QUEUES.instagramConnected.name, data: { workspaceId: ws, accountId }, dedupeKey: `connected:${Date.now()}` });
    await waitFor(async () => (await message(first.value.message.id)).deliveryState === 'sent' && (await message(second.value.message.id)).deliveryState === 'sent', 30_000, 'both released and sent');
    const sent = [await message(first.value.message.id), await message(second.value.message.id)];
    expect(new Set(sent.map((m) => m.platformMessageId)).size).toBe(2);
  }, 60_000);

  it('the delivery-gap check stores customer messages that never arrived by webhook, once', async () => {
    await openThread('7432100000000002');
    // A DM Instagram holds but never delivered to us (no webhook URL in this simulator).
    const missed = await sim.customerSends({ igUserId: IG, igsid: '7432100000000002', text: 'Hello? Anyone there?' });
    expect(await repos().messages.findByPlatformId(accountId, missed.mid!)).toBeNull();
    await worker.jobs.enqueue({ name: PALETTE_QUEUES.deliveryGapCheck.name, data: { workspaceId: ws, accountId }, dedupeKey: `gap:${Date.now()}` });
    await waitFor(async () => (await repos().messages.findByPlatformId(accountId, missed.mid!)) !== null, 30_000, 'the backfill');
    expect((await repos().messages.findByPlatformId(accountId, missed.mid!))!.text).toBe('Hello? Anyone there?');
    const count = async () => Number((await db.database.orm.em.fork().execute<Array<{ n: string }>>(`select count(*) as n from messages where account_id = '${accountId}'`))[0]!.n);
    const before = await count();
    await worker.jobs.enqueue({ name: PALETTE_QUEUES.deliveryGapCheck.name, data: { workspaceId: ws, accountId }, dedupeKey: `gap:${Date.now()}:2` });
    await sleep(4_000);
    expect(await count()).toBe(before);
  }, 60_000);

  it('the daily refresh renews a token that is old enough; Instagram refusing a refresh marks the account token_expired', async () => {
    // A token Instagram issued 50 days ago, which our records say expires in 5 days.
    await connect(sim.issueToken({ igUserId: IG, ageMs: 50 * DAY }));
    const sql = (text: string) => db.database.orm.em.fork().execute(text);
    await sql(`update instagram_accounts set token_issued_at = now() - interval '50 days', token_expires_at = now() + interval '5 days' where id = '${accountId}'`);
    await worker.jobs.enqueue({ name: PALETTE_QUEUES.tokenRefresh.name, data: {}, dedupeKey: `refresh:${Date.now()}` });
    await waitFor(async () => ((await repos().accounts.get(ws, accountId))!.tokenExpiresAt!.getTime() > Date.now() + 50 * DAY), 30_000, 'the refresh');
    expect((await repos().accounts.get(ws, accountId))!.status).toBe('connected');

    // Our records say old enough, Instagram's token is brand new: it refuses to refresh it.
    await connect(sim.issueToken({ igUserId: IG }));
    await sql(`update instagram_accounts set token_issued_at = now() - interval '50 days', token_expires_at = now() + interval '5 days' where id = '${accountId}'`);
    await worker.jobs.enqueue({ name: PALETTE_QUEUES.tokenRefresh.name, data: {}, dedupeKey: `refresh:${Date.now()}:2` });
    await waitFor(async () => (await repos().accounts.get(ws, accountId))!.status === 'token_expired', 30_000, 'token_expired');
    expect((await repos().accounts.get(ws, accountId))!.statusReason).toMatch(/reconnect/);
  }, 60_000);

  it('token refresh and key rotation, each run twice: the second run changes nothing', async () => {
    const sql = (text: string) => db.database.orm.em.fork().execute(text);
    const secrets = () => sql(`select id, key_id, ciphertext from secrets where workspace_id = '${ws}' order by id`);
    const account = async () => { const a = (await repos().accounts.get(ws, accountId))!; return { status: a.status, expires: a.tokenExpiresAt?.toISOString(), token: a.tokenRef, issued: a.tokenIssuedAt?.toISOString() }; };
    const log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as never;
    const job = { id: 'twice', name: 'twice', data: {} } as never;

    await connect(sim.issueToken({ igUserId: IG, ageMs: 50 * DAY }));
    await sql(`update instagram_accounts set token_issued_at = now() - interval '50 days', token_expires_at = now() + interval '5 days' where id = '${accountId}'`);
    const settings = loadInstagramSettings({ INSTAGRAM_GRAPH_URL: sim.url, INSTAGRAM_APP_ID: APP_ID, INSTAGRAM_APP_SECRET: APP_SECRET });
    if (!settings.ok) throw new Error(settings.problems.join());
    const refresh = tokenRefreshHandler({ orm: db.database.orm, repositories: repos, clock, ids, cipher, instagram: createInstagramServices({ settings: settings.value, sql: sqlRowsOf(db.database.orm.em.fork()) }), log });
    await refresh(job);
    const refreshed = await account();
    expect(new Date(refreshed.expires!).getTime()).toBeGreaterThan(Date.now() + 50 * DAY);
    const secretsAfterFirst = await secrets();
    expect(secretsAfterFirst.length).toBeGreaterThan(0);
    await refresh(job);
    expect(await account()).toEqual(refreshed);
    expect(await secrets()).toEqual(secretsAfterFirst);

    // A new key goes first in the keyring; the old one still decrypts.
    const newKey = `k-next:${Buffer.alloc(32, 7).toString('base64')}`;
    const rotated = new AesGcmTokenCipher(parseKeyring(`${newKey},${KEYRING}`));
    const rotate = keyRotationHandler({ repositories: repos, cipher: rotated, log });
    expect((await secrets()).some((r) => (r as { key_id: string }).key_id !== 'k-next')).toBe(true);
    await rotate(job);
    const afterRotation = await secrets();
    expect(afterRotation.length).toBe(secretsAfterFirst.length);
    expect(afterRotation.every((r) => (r as { key_id: string }).key_id === 'k-next')).toBe(true);
    await rotate(job);
    expect(await secrets()).toEqual(afterRotation);
  }, 60_000);
});
