import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it, describe } from 'vitest';
import { pino } from 'pino';
import { Ids, ManageCatalog, type WorkspaceId } from '@palette/domain';
import { make, unwrap, uuid } from '@palette/domain/testing';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { createMikroOrmRepositories, createSqlInstagramWebhookStores, persistenceModule } from '@palette/adapters/persistence';
import { startWorker, type RunningWorker } from '../src/index.js';
import { instagramWebhookJob } from '../src/handlers/instagram-webhook.js';
import { instagramWorkerOptionsFromEnv } from '../src/handlers/outbound-send.js';
import { describeOnPostgres, openTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../adapters/test/support/databases.js';

const IG = '17841455500998877';
const CUSTOMER = '7432198865099999';
const WS = Ids.workspace('0190e000-0000-7000-8000-000000000001') as WorkspaceId;

/**
 * The real worker on PGlite: a customer DM arrives as a stored webhook delivery, the webhook job
 * records it and enqueues assistant.reply, the assistant (offline: no LLM_* set) answers from the
 * catalog and the reply is recorded through QueueOutboundMessage (the send gate).
 */
function assistantWorkerSuite(kind: TestDatabaseKind) {
  describe(`assistant.reply in the real worker (${kind})`, () => {
  let db: TestDatabase;
  let worker: RunningWorker;
  const logs: Array<Record<string, unknown>> = [];
  const sql = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => db.database.orm.em.fork().getConnection().execute<T[]>(text, params as never[]);
  const replies = () => logs.filter((l) => l['msg'] === 'assistant reply');
  const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; inbox: ${JSON.stringify(await sql('select state, reason from instagram_webhook_inbox'))} messages: ${JSON.stringify(await sql('select direction, author_kind, text from messages'))}; logs: ${JSON.stringify(logs.map((l) => [l['msg'], l['queue'], l['reason'], l['kind']])).slice(0, 3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    db = await openTestDatabase(kind, persistenceModule());
    const repos = createMikroOrmRepositories(db.database.orm);
    const now = new Date();
    const account = make.account('0190e000-0000-7000-8000-000000000002', WS, IG, now);
    await repos.uow.run(async () => {
      await repos.workspaces.save(make.workspace(WS, now));
      await repos.accounts.save(account);
    });
    const catalog = createMikroOrmRepositories(db.database.orm);
    unwrap(await new ManageCatalog({ ...catalog, clock: new SystemClock(), ids: new UuidV7Generator() }).createProduct({
      workspaceId: WS, sku: 'TOTE-1', name: 'Canvas Tote Bag', priceMinor: 2450, currency: 'EUR', initialStock: 12, actor: { kind: 'system' },
    }));
    const logger = pino({ level: 'debug' }, { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>); } });
    // Sends go to a closed local port: outbound.send fails fast and retries later (no network here).
    const instagram = instagramWorkerOptionsFromEnv({ INSTAGRAM_GRAPH_URL: 'http://127.0.0.1:9', PALETTE_ENCRYPTION_KEYS: undefined, PALETTE_DATA_DIR: 'memory://' }, db.database.orm);
    worker = await startWorker({ database: db.database, logger, instagram, worker: { pollIntervalMs: 50 }, llm: { provider: 'offline', model: null, baseUrl: null, apiKey: null, timeoutMs: 20_000 } });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await db?.teardown();
  });

  it('answers an inbound customer message once, and a second run of the job changes nothing', async () => {
    const body = {
      object: 'instagram',
      entry: [{ id: IG, time: Date.now(), messaging: [{ sender: { id: CUSTOMER }, recipient: { id: IG }, timestamp: Date.now(), message: { mid: 'aWdfZAG1faXRlbTox-assistant-1', text: 'How much is the canvas tote?' } }] }],
    };
    const raw = JSON.stringify(body);
    const deliveryId = uuid(0x77, '0190e000');
    const repos = createMikroOrmRepositories(db.database.orm);
    await createSqlInstagramWebhookStores(repos.uow).inbox.store({ id: deliveryId, payloadSha256: createHash('sha256').update(raw).digest('hex'), rawBody: raw, receivedAt: new Date() });
    await worker.jobs.enqueue(instagramWebhookJob(deliveryId, body));

    await until('the assistant reply', () => replies().length >= 1);
    expect(replies()[0]).toMatchObject({ kind: 'replied' });
    const outbound = await sql<{ id: string; author_kind: string; text: string }>(`select id, author_kind, text from messages where direction = 'outbound' and workspace_id = ? order by sent_at`, [WS]);
    const assistant = outbound.filter((m) => m.author_kind === 'assistant');
    expect(assistant).toHaveLength(1);
    expect(assistant[0]!.text).toContain('24.50');
    const audit = await sql<{ outcome: string; provider: string; reply_message_id: string }>(`select outcome, provider, reply_message_id from ai_audit_records where workspace_id = ?`, [WS]);
    expect(audit).toEqual([{ outcome: 'replied', provider: 'offline', reply_message_id: assistant[0]!.id }]);

    // The same job again (a retry or a redelivery that slipped past the dedupe key): nothing new.
    const inbound = await sql<{ id: string; conversation_id: string }>(`select id, conversation_id from messages where direction = 'inbound' and workspace_id = ?`, [WS]);
    const before = await sql(`select id, author_kind, text, delivery_state from messages where workspace_id = ? order by id`, [WS]);
    await worker.jobs.enqueue({ name: 'assistant.reply', data: { workspaceId: WS, conversationId: inbound[0]!.conversation_id, messageId: inbound[0]!.id }, dedupeKey: 'assistant.reply:again' });
    await until('the second run', () => replies().length >= 2);
    expect(replies()[1]).toMatchObject({ kind: 'skipped', reason: 'already_handled' });
    expect((await sql(`select id, author_kind, text, delivery_state from messages where workspace_id = ? order by id`, [WS])).map((m) => ({ ...m, delivery_state: undefined })))
      .toEqual(before.map((m) => ({ ...m, delivery_state: undefined })));
    expect(await sql(`select id from ai_audit_records where workspace_id = ?`, [WS])).toHaveLength(1);
  }, 60_000);
});
}

describeOnPostgres('assistant worker on PostgreSQL', () => assistantWorkerSuite('postgresql'));
