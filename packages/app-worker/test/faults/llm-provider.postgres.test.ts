import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pino } from 'pino';
import { ConnectInstagramAccount, HOLDING_REPLY, Ids, type WorkspaceId } from '@palette/domain';
import { AesGcmTokenCipher, parseKeyring } from '@palette/adapters/crypto';
import { createInstagramServices, createSimulator, loadInstagramSettings, sqlRowsOf, type Simulator } from '@palette/adapters/instagram';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { createMikroOrmRepositories, createSqlAssistantRecords, createSqlInstagramWebhookStores, openDatabase, persistenceModule, IN_MEMORY_DATA_DIR, type Database } from '@palette/adapters/persistence';
import { PALETTE_QUEUES } from '@palette/adapters/queue';
import { startWorker, type RunningWorker } from '../../src/index.js';
import { instagramWebhookJob } from '../../src/handlers/instagram-webhook.js';
import { createScratchPostgresDatabase, describeOnPostgres, type ScratchPostgresDatabase } from '../../../adapters/test/support/databases.js';

// Issue #11, fault injection: the workspace's LLM (an OpenAI-compatible server on this host) hangs
// or answers garbage. Every customer still gets the holding reply and a human, and a hung model
// costs its own conversation the timeout, not everyone queued behind it.

const IG = '17841455500776655';
const APP = { appId: 'faults-llm-app', appSecret: 'faults-llm-secret' };
const KEYRING = `k1:${Buffer.alloc(32, 9).toString('base64')}`;
const TIMEOUT_MS = 5_000;
type Mode = 'hang' | 'garbage' | 'badtool';

/** A local OpenAI-compatible endpoint whose answer depends on a marker in the customer's text. */
async function fakeLlm(): Promise<{ url: string; requests: Record<Mode, number>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const requests: Record<Mode, number> = { hang: 0, garbage: 0, badtool: 0 };
  const read = async (req: IncomingMessage) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    return body;
  };
  const server: Server = createServer((req, res) => {
    void read(req).then((body) => {
      const mode: Mode = body.includes('[hang]') ? 'hang' : body.includes('[badtool]') ? 'badtool' : 'garbage';
      requests[mode] += 1;
      if (mode === 'hang') return; // never answers: only the caller's timeout ends this
      if (mode === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Sure');
        return;
      }
      // A well-formed completion whose tool call carries arguments that are not JSON, every time.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id: `chatcmpl-${randomUUID()}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: 'fake',
        choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: null, tool_calls: [{ id: `call_${randomUUID()}`, type: 'function', function: { name: 'search_products', arguments: '{"query": "tote' } }] } }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      }));
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

describeOnPostgres('assistant with a hanging or garbage-answering LLM provider', () => {
  let scratch: ScratchPostgresDatabase;
  let database: Database;
  let worker: RunningWorker;
  let llm: Awaited<ReturnType<typeof fakeLlm>>;
  let sim: Simulator;
  const ws = Ids.workspace(randomUUID()) as WorkspaceId;
  const sql = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => database.orm.em.fork().getConnection().execute<T[]>(text, params as never[]);

  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase();
    database = await openDatabase({ databaseUrl: scratch.url, dataDir: IN_MEMORY_DATA_DIR, ...persistenceModule() });
    await database.migrate();
    llm = await fakeLlm();
    // Instagram is the local simulator: the holding replies really go out, so they can be counted there.
    sim = await createSimulator({ ...APP, accounts: [{ igUserId: IG, username: 'llm_shop' }] });
    const cipher = new AesGcmTokenCipher(parseKeyring(KEYRING));
    const repos = createMikroOrmRepositories(database.orm);
    const now = new Date();
    await database.orm.em.fork().execute(`insert into workspaces (id, name, timezone, default_currency, retention, created_at, updated_at) values ('${ws}', 'Shop', 'UTC', 'EUR', '{}', now(), now())`);
    const connected = await new ConnectInstagramAccount({ ...repos, cipher, clock: new SystemClock(), ids: new UuidV7Generator() }).execute({
      workspaceId: ws, igUserId: IG, username: 'llm_shop', accountType: 'Business', grantedScopes: ['instagram_business_basic', 'instagram_business_manage_messages'],
      accessToken: sim.issueToken({ igUserId: IG }), tokenExpiresAt: new Date(Date.now() + 60 * 86400_000),
    });
    if (!connected.ok) throw new Error(connected.error.kind);
    await repos.uow.run(() => createSqlAssistantRecords(repos.uow).save({
      workspaceId: ws, enabled: true, provider: 'openai_compatible', model: 'fake-model', baseUrl: llm.url, apiKeyRef: null, restorePersonalData: false, timeoutMs: TIMEOUT_MS, updatedAt: now,
    }));
    const settings = loadInstagramSettings({ INSTAGRAM_GRAPH_URL: sim.url, INSTAGRAM_APP_ID: APP.appId, INSTAGRAM_APP_SECRET: APP.appSecret });
    if (!settings.ok) throw new Error(settings.problems.join('; '));
    const instagram = { cipher, instagram: createInstagramServices({ settings: settings.value, sql: sqlRowsOf(database.orm.em.fork()) }) };
    worker = await startWorker({
      database, databaseUrl: scratch.url, logger: pino({ level: 'silent' }), instagram, worker: { pollIntervalMs: 50 },
      llm: { provider: 'offline', model: null, baseUrl: null, apiKey: null, timeoutMs: TIMEOUT_MS },
    });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await llm?.close();
    await sim?.close();
    await database?.close();
    await scratch?.drop();
  });

  it('every conversation gets the holding reply and a human; hung calls run side by side and nothing waits behind them', async () => {
    // 4 hung, 2 garbage, 2 broken tool calls: one per conversation, all at once (≤ the queue's concurrency).
    const modes: Mode[] = ['hang', 'garbage', 'hang', 'badtool', 'hang', 'garbage', 'hang', 'badtool'];
    expect(modes.length).toBeLessThanOrEqual(PALETTE_QUEUES.assistantReply.concurrency);
    const inbox = createSqlInstagramWebhookStores(createMikroOrmRepositories(database.orm).uow).inbox;
    const customers = modes.map((_, i) => `74321988650${String(i).padStart(5, '0')}`);
    const mids: string[] = [];
    for (const [i, mode] of modes.entries()) mids.push((await sim.customerSends({ igUserId: IG, igsid: customers[i]!, text: `Is the tote in stock? [${mode}]` })).mid!);
    sim.resetStats();
    for (const [i, mode] of modes.entries()) {
      const t = Date.now();
      const body = {
        object: 'instagram',
        entry: [{ id: IG, time: t, messaging: [{ sender: { id: customers[i]! }, recipient: { id: IG }, timestamp: t, message: { mid: mids[i]!, text: `Is the tote in stock? [${mode}]` } }] }],
      };
      const raw = JSON.stringify(body);
      const id = randomUUID();
      await inbox.store({ id, payloadSha256: createHash('sha256').update(raw).digest('hex'), rawBody: raw, receivedAt: new Date() });
      await worker.jobs.enqueue(instagramWebhookJob(id, body));
    }

    // Per job: when its customer message was stored (the reply job is queued then), when the
    // assistant started and finished (the audit record's time minus its latency).
    type Audit = { message_id: string; outcome: string; reason: string | null; text: string; queued_ms: number; started_ms: number; ended_ms: number };
    const audits = () => sql<Audit>(
      `select a.message_id, a.outcome, a.reason, m.text, (extract(epoch from m.created_at) * 1000)::float8 as queued_ms,
              (extract(epoch from a.at) * 1000)::float8 - a.latency_ms as started_ms, (extract(epoch from a.at) * 1000)::float8 as ended_ms
         from ai_audit_records a join messages m on m.id = a.message_id where a.workspace_id = ?`, [ws]);
    let all: Audit[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && all.length < modes.length) {
      all = await audits();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(all).toHaveLength(modes.length);
    const of = (mode: Mode) => all.filter((a) => a.text.includes(`[${mode}]`));
    const hung = of('hang');
    expect(hung).toHaveLength(4);
    for (const a of hung) expect(a.ended_ms - a.started_ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    // The queue does not clog: from its customer message to its fallback, every job is done within a
    // bound derived from the timeout (one for its own call, the rest slack for the webhook job and the
    // queue's pick-up on a loaded machine), where the eight one after another would need 8 × 5 s.
    const bound = 4 * TIMEOUT_MS;
    for (const a of all) expect(a.ended_ms - a.queued_ms, a.text).toBeLessThan(bound);
    expect(bound).toBeLessThanOrEqual(modes.length * TIMEOUT_MS / 2);
    // The fast failures were not queued behind the hung calls.
    for (const a of [...of('badtool'), ...of('garbage')]) expect(a.started_ms, a.text).toBeLessThan(Math.max(...hung.map((h) => h.ended_ms)));
    // And the hung calls really were in flight together.
    const inFlightAt = (t: number) => hung.filter((a) => a.started_ms <= t && t < a.ended_ms).length;
    expect(Math.max(...hung.map((a) => inFlightAt(a.started_ms)))).toBeGreaterThanOrEqual(2);

    // Each: a fallback with the failure as its reason, one holding reply, the conversation with a human.
    for (const a of all) {
      expect(a.outcome).toBe('fallback');
      // A hung call ends at the timeout; garbage may too (the client retries what it cannot parse).
      if (a.text.includes('[hang]')) expect(a.reason).toMatch(/timed out/i);
      else if (a.text.includes('[badtool]')) expect(a.reason).toMatch(/not valid JSON|tool steps/);
      else expect(a.reason).toBeTruthy();
    }
    const conversations = await sql<{ id: string; owner: string; handoff_requested_at: Date | null; assistant: number; holding: number }>(
      `select c.id, c.owner, c.handoff_requested_at,
              (select count(*)::int from messages o where o.conversation_id = c.id and o.direction = 'outbound' and o.author_kind = 'assistant') as assistant,
              (select count(*)::int from messages o where o.conversation_id = c.id and o.direction = 'outbound' and o.author_kind = 'assistant' and o.text = ?) as holding
         from conversations c where c.workspace_id = ?`, [HOLDING_REPLY.en, ws]);
    expect(conversations).toHaveLength(modes.length);
    for (const c of conversations) {
      expect(c).toMatchObject({ owner: 'human', assistant: 1, holding: 1 });
      expect(c.handoff_requested_at).not.toBeNull();
    }
    // And the holding replies reach Instagram, once each.
    const holdingSent = async () => sql<{ platform_message_id: string }>(
      `select platform_message_id from messages where workspace_id = ? and author_kind = 'assistant' and delivery_state = 'sent'`, [ws]);
    const sentBy = Date.now() + 15_000;
    while ((await holdingSent()).length < modes.length && Date.now() < sentBy) await new Promise((r) => setTimeout(r, 100));
    expect(new Set((await holdingSent()).map((m) => m.platform_message_id)).size).toBe(modes.length);
    // The provider was really called in every mode (the fallback is not the offline engine).
    expect(llm.requests.hang).toBeGreaterThanOrEqual(4);
    expect(llm.requests.garbage).toBeGreaterThanOrEqual(2);
    expect(llm.requests.badtool).toBeGreaterThanOrEqual(2);
  }, 40_000);
});
