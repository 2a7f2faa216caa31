import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ConnectInstagramAccount, Ids, QueueOutboundMessage, ReceiveInboundMessage, type ConversationId, type Message, type Repositories, type WorkspaceId } from '@palette/domain';
import { createMikroOrmRepositories, IN_MEMORY_DATA_DIR, openDatabase, persistenceModule, type Database } from '@palette/adapters/persistence';
import { createSimulator, GraphApiClient, type Simulator } from '@palette/adapters/instagram';
import { AesGcmTokenCipher, parseKeyring } from '@palette/adapters/crypto';
import { PgBossJobQueue, QueueEngine } from '@palette/adapters/queue';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { createScratchPostgresDatabase, describeOnPostgres, type ScratchPostgresDatabase } from '../../../adapters/test/support/databases.js';
import { APP_ID, APP_SECRET, IG, KEYRING, connectedQueue, outboundQueue } from './fixtures/queues.js';

const script = fileURLToPath(new URL('./fixtures/send-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The simulator's mids carry its own sequence number: the order Instagram accepted the sends in. */
const simSeq = (mid: string): number => Number(Buffer.from(mid, 'base64url').toString().split(':')[4]);

describeOnPostgres('outbound.send across worker processes', () => {
  let scratch: ScratchPostgresDatabase;
  let database: Database;
  let sim: Simulator;
  let engine: QueueEngine;
  let jobs: PgBossJobQueue;
  let ws: WorkspaceId;
  const cipher = new AesGcmTokenCipher(parseKeyring(KEYRING));
  const clock = new SystemClock();
  const ids = new UuidV7Generator();
  const children: ChildProcess[] = [];
  let customers = 0;
  const repos = (): Repositories => createMikroOrmRepositories(database.orm);

  function spawnWorker(name: string, expireSeconds = 30): { child: ChildProcess; output: () => string; sent: () => number; ready: Promise<void> } {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, OUTBOUND_TEST_DATABASE_URL: scratch.url, SIM_URL: sim.url, WORKER_NAME: name, OUTBOUND_EXPIRE_SECONDS: String(expireSeconds) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    if (process.env['OUTBOUND_DEBUG']) child.on('exit', () => writeFileSync(`/tmp/outbound-${name}.log`, output));
    return { child, output: () => output, sent: () => output.split('\n').filter((l) => l === `SENT ${name}`).length, ready: waitFor(() => output.includes('READY'), 120_000, `${name} to start`) };
  }

  /** Customers who wrote to the shop (on Instagram and in our database): their windows are open. */
  async function openThreads(n: number): Promise<ConversationId[]> {
    const out: ConversationId[] = [];
    for (let i = 0; i < n; i++) {
      const igsid = `7432198865${String(++customers).padStart(6, '0')}`;
      const sent = await sim.customerSends({ igUserId: IG, igsid, text: 'Hello! Is this available?' });
      const r = await new ReceiveInboundMessage({ ...repos(), clock, ids }).execute({
        igUserId: IG, senderIgsid: igsid, platformMessageId: sent.mid!, text: 'Hello! Is this available?', attachments: [], replyTo: null, sentAt: clock.now(), entryPoint: 'organic_dm',
      });
      if (!r.ok) throw new Error(r.error.kind);
      out.push(r.value.conversation.id);
    }
    return out;
  }

  async function states(messageIds: readonly string[]): Promise<Message[]> {
    const r = repos();
    return Promise.all(messageIds.map(async (id) => (await r.messages.get(ws, Ids.message(id)))!));
  }

  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase();
    database = await openDatabase({ databaseUrl: scratch.url, dataDir: IN_MEMORY_DATA_DIR, ...persistenceModule() });
    await database.migrate();
    sim = await createSimulator({ appId: APP_ID, appSecret: APP_SECRET, accounts: [{ igUserId: IG, username: 'burst_shop' }] });
    engine = await QueueEngine.open({ connection: { connectionString: scratch.url }, role: 'producer' });
    await engine.ensureQueues([outboundQueue, connectedQueue]);
    jobs = new PgBossJobQueue(engine, new Map([[outboundQueue.name, outboundQueue], [connectedQueue.name, connectedQueue]]));
    ws = Ids.workspace(randomUUID());
    await database.orm.em.fork().execute(`insert into workspaces (id, name, timezone, default_currency, retention, created_at, updated_at) values ('${ws}', 'Shop', 'UTC', 'EUR', '{}', now(), now())`);
    const connected = await new ConnectInstagramAccount({ ...repos(), cipher, clock, ids }).execute({
      workspaceId: ws, igUserId: IG, username: 'burst_shop', accountType: 'Business', grantedScopes: ['instagram_business_basic', 'instagram_business_manage_messages'],
      accessToken: sim.issueToken({ igUserId: IG }), tokenExpiresAt: new Date(Date.now() + 60 * 86400_000),
    });
    if (!connected.ok) throw new Error(connected.error.kind);
  }, 90_000);

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
    await sim?.close();
    await database?.close();
    await scratch?.drop();
  });

  it('two workers, a burst of 300 sends for one account: Instagram never sees more than 100 calls/s, none refused, none lost or doubled, both workers send', async () => {
    const one = spawnWorker('one');
    const two = spawnWorker('two');
    await Promise.all([one.ready, two.ready]);
    const conversations = await openThreads(30);
    sim.resetStats();
    // One use case (one unit of work) per message: conversations are queued concurrently.
    const queue = () => new QueueOutboundMessage({ ...repos(), jobs, clock, ids });
    const queued: Array<{ id: string; conversation: ConversationId; k: number }> = [];
    await Promise.all(conversations.map(async (conversation) => {
      for (let k = 0; k < 10; k++) {
        const r = await queue().execute({ workspaceId: ws, conversationId: conversation, author: 'assistant', text: `Reply ${k}: yes, it is available.` });
        if (!r.ok) throw new Error(r.error.kind);
        queued.push({ id: r.value.message.id, conversation, k });
      }
    }));
    const ids300 = queued.map((q) => q.id);
    await waitFor(async () => (await states(ids300)).every((m) => m.deliveryState === 'sent'), 120_000, '300 sends');

    const stats = sim.stats(IG);
    expect(stats.maxSendCallsPerSecond).toBeLessThanOrEqual(stats.limits.text.limit);
    expect(stats.maxPerWindow.text).toBeLessThanOrEqual(100);
    expect(stats.rejectedForRate).toBe(0);
    // Exactly one accepted call per message, split between the two processes.
    expect(one.sent() + two.sent()).toBe(300);
    expect(Math.min(one.sent(), two.sent())).toBeGreaterThan(0);
    const sent = await states(ids300);
    expect(new Set(sent.map((m) => m.platformMessageId)).size).toBe(300);
    // Per conversation, Instagram accepted the replies in the order they were queued.
    const byId = new Map(sent.map((m) => [m.id as string, m]));
    for (const conversation of conversations) {
      const seqs = queued.filter((q) => q.conversation === conversation).sort((a, b) => a.k - b.k).map((q) => simSeq(byId.get(q.id)!.platformMessageId!));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    one.child.kill('SIGTERM');
    two.child.kill('SIGTERM');
    const codes = await Promise.all([once(one.child, 'exit'), once(two.child, 'exit')]);
    expect(codes.map(([code]) => code)).toEqual([0, 0]);
  }, 300_000);

  it('a worker SIGKILLed during the Send API call: after restart the message is reconciled, nothing lost, nothing sent twice', async () => {
    const [conversation] = await openThreads(1);
    sim.resetStats();
    const victim = spawnWorker('victim', 3);
    await victim.ready;
    // The next Graph call hangs 2.5 s and then goes through: Instagram gets the message, the caller is gone.
    sim.injectFault(IG, { kind: 'latency', ms: 2_500 }, { calls: 1 });
    const queue = new QueueOutboundMessage({ ...repos(), jobs, clock, ids });
    const texts = ['First: your order is confirmed.', 'Second: it ships tomorrow.', 'Third: thank you!'];
    const queued: string[] = [];
    for (const text of texts) {
      const r = await queue.execute({ workspaceId: ws, conversationId: conversation!, author: 'assistant', text });
      if (!r.ok) throw new Error(r.error.kind);
      queued.push(r.value.message.id);
    }
    await waitFor(async () => (await states(queued))[0]!.deliveryState === 'sending', 60_000, 'the first send to be under way');
    // Killed only once Instagram has the request in hand (it counts the call on arrival).
    await waitFor(() => sim.stats(IG).maxSendCallsPerSecond >= 1, 10_000, 'the call to reach Instagram');
    victim.child.kill('SIGKILL');
    await once(victim.child, 'exit');
    expect(victim.sent()).toBe(0);
    await sleep(3_000);

    const rescuer = spawnWorker('rescuer', 3);
    await rescuer.ready;
    await waitFor(async () => (await states(queued)).every((m) => m.deliveryState === 'sent'), 60_000, 'all three sent');
    // The first was reconciled from Instagram's copy of the thread, not sent again.
    expect(rescuer.sent()).toBe(2);
    const final = await states(queued);
    expect(final.every((m) => m.platformMessageId !== null)).toBe(true);

    // Instagram's own view of the thread: each text exactly once, in order.
    const client = new GraphApiClient({ appId: APP_ID, appSecret: APP_SECRET, graphUrl: sim.url, oauthUrl: sim.url });
    const token = sim.issueToken({ igUserId: IG });
    const customerIgsid = (await repos().contacts.get(ws, final[0]!.contactId))!.igsid!;
    // The Conversations API allows 2 calls/s per account and the rescuer's reconciliation just used it.
    await sleep(1_100);
    const threads = await client.listConversations(token, { userId: customerIgsid });
    if (!threads.ok) throw new Error(threads.error.kind);
    await sleep(1_100);
    const page = await client.conversationMessages(token, threads.value.items[0]!.id, { limit: 20 });
    if (!page.ok) throw new Error(page.error.kind);
    const merchantTexts = page.value.items.filter((m) => m.from?.id === IG).sort((a, b) => simSeq(a.id) - simSeq(b.id)).map((m) => m.text);
    expect(merchantTexts).toEqual(texts);
    expect(final.map((m) => m.platformMessageId).sort()).toEqual(page.value.items.filter((m) => m.from?.id === IG).map((m) => m.id).sort());
  }, 120_000);
});
