import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConnectInstagramAccount, Ids } from '@palette/domain';
import { createMikroOrmRepositories, IN_MEMORY_DATA_DIR, openDatabase, persistenceModule, type Database } from '@palette/adapters/persistence';
import { createSimulator, type Simulator } from '@palette/adapters/instagram';
import { AesGcmTokenCipher, parseKeyring } from '@palette/adapters/crypto';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { createScratchPostgresDatabase, describeOnPostgres, type ScratchPostgresDatabase } from '../../adapters/test/support/databases.js';

// Issue #11, "at scale": the production topology on one PostgreSQL — two `start:http` processes and
// two `start:worker` processes, each its own Node process started from its real entry point — with
// the Graph API simulator standing in for Instagram. Customers write in (webhooks alternate between
// the HTTP processes), the offline assistant answers each once from the catalog, one customer
// orders, the merchant confirms through HTTP. What multi-process must not break: one reply per
// message, work shared by both workers, Instagram's rate limit respected, stock reserved once.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HTTP_MAIN = 'packages/app-http/src/main.ts';
const WORKER_MAIN = 'packages/app-worker/src/main.ts';
const APP_ID = 'scale-test-app';
const APP_SECRET = 'scale-test-instagram-secret';
const IG = '17841455500445566';
const KEYRING = `k1:${Buffer.alloc(32, 11).toString('base64')}`;
const CUSTOMERS = 8;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The few fields of API answers this test reads. */
interface ApiBody { readonly workspace?: { readonly id: string }; readonly items?: ReadonlyArray<Record<string, unknown>>; readonly status?: string }

interface Child { readonly name: string; readonly child: ChildProcess; output(): string }

describeOnPostgres('two HTTP and two worker processes on one PostgreSQL, Instagram simulated', () => {
  let scratch: ScratchPostgresDatabase;
  let database: Database;
  let sim: Simulator;
  const children: Child[] = [];
  const sql = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => database.orm.em.fork().getConnection().execute<T[]>(text, params as never[]);

  async function waitFor<T>(what: string, check: () => Promise<T | false | null | undefined> | T | false | null | undefined, timeoutMs = 45_000, context?: () => Promise<unknown>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v) return v;
      const dead = children.find((c) => c.child.exitCode !== null && c.child.exitCode !== 0);
      if (dead) throw new Error(`${dead.name} exited with ${dead.child.exitCode} while waiting for ${what}:\n${dead.output().slice(-3000)}`);
      if (Date.now() > deadline) {
        const tails = children.map((c) => `--- ${c.name} (exit ${String(c.child.exitCode)}):\n${c.output().slice(-1500)}`).join('\n');
        throw new Error(`timed out waiting for ${what}: ${context ? JSON.stringify(await context()) : ''}\n${tails}`);
      }
      await sleep(100);
    }
  }

  function start(name: string, script: string, env: Record<string, string>, ready: RegExp): Promise<{ proc: Child; match: RegExpExecArray }> {
    // Only what the process needs: no LLM_* from the developer's shell (the assistant must be offline).
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LLM_|INSTAGRAM_|DATABASE_URL|PORT|HOST|PALETTE_|WORKER_)/.test(k)));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const proc: Child = { name, child, output: () => output };
    children.push(proc);
    return waitFor(`${name} to start`, () => ready.exec(output), 150_000).then((match) => ({ proc, match }));
  }

  const common = () => ({
    DATABASE_URL: scratch.url, INSTAGRAM_GRAPH_URL: sim.url, INSTAGRAM_APP_ID: APP_ID, INSTAGRAM_APP_SECRET: APP_SECRET,
    PALETTE_ENCRYPTION_KEYS: KEYRING, PALETTE_DATA_DIR: IN_MEMORY_DATA_DIR, SHUTDOWN_GRACE_MS: '2000',
  });
  let http: string[] = [];
  let workers: Child[] = [];

  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase();
    database = await openDatabase({ databaseUrl: scratch.url, dataDir: IN_MEMORY_DATA_DIR, ...persistenceModule() });
    // Migrated once here so the four processes start on a ready schema (they would wait on the advisory lock anyway).
    await database.migrate();
    sim = await createSimulator({ appId: APP_ID, appSecret: APP_SECRET, accounts: [{ igUserId: IG, username: 'scale_shop' }], requireSubscription: false });
    // All four at once: boot time (tsx, drivers) is most of this test's wall time.
    const started = await Promise.all([
      start('http-1', HTTP_MAIN, { ...common(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, /running at (http:\/\/\S+?)\/?\s/),
      start('http-2', HTTP_MAIN, { ...common(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, /running at (http:\/\/\S+?)\/?\s/),
      start('worker-1', WORKER_MAIN, { ...common(), WORKER_METRICS_PORT: '0', LOG_LEVEL: 'debug' }, /Palette worker is running/),
      start('worker-2', WORKER_MAIN, { ...common(), WORKER_METRICS_PORT: '0', LOG_LEVEL: 'debug' }, /Palette worker is running/),
    ]);
    http = started.slice(0, 2).map((s) => s.match[1]!.replace(/\/$/, ''));
    workers = started.slice(2).map((s) => s.proc);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(children.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const exited = once(child, 'exit');
      if (await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)])) return;
      child.kill('SIGKILL');
      await exited;
    }));
    await sim?.close();
    await database?.close();
    await scratch?.drop();
  }, 30_000);

  async function api(base: string, method: string, path: string, cookie: string | null, body?: unknown): Promise<{ status: number; body: ApiBody; headers: Headers }> {
    const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as ApiBody };
  }

  it('every customer gets exactly one grounded reply through Instagram, an order is drafted and confirmed, both workers work, no rate limit is crossed', async () => {
    // The merchant signs up through HTTP #2 and adds a product there; the session works on #1 too (it lives in the database).
    const reg = await api(http[1]!, 'POST', '/api/auth/register', null, { name: 'Scale Merchant', email: 'scale@example.com', password: 'correct horse battery staple' });
    expect(reg.status).toBe(201);
    const cookie = /palette_session=[^;]+/.exec(reg.headers.get('set-cookie') ?? '')![0];
    const ws = reg.body.workspace!.id;
    const created = await api(http[1]!, 'POST', `/api/workspaces/${ws}/products`, cookie, { sku: 'TOTE-1', name: 'Canvas Tote Bag', priceMinor: 2450, currency: 'EUR', initialStock: 12 });
    expect(created.status).toBe(201);

    // Connecting is seeded (as the outbound process test does): the token is encrypted with the keyring the processes share.
    const repos = createMikroOrmRepositories(database.orm);
    const connected = await new ConnectInstagramAccount({ ...repos, cipher: new AesGcmTokenCipher(parseKeyring(KEYRING)), clock: new SystemClock(), ids: new UuidV7Generator() }).execute({
      workspaceId: Ids.workspace(ws), igUserId: IG, username: 'scale_shop', accountType: 'Business', grantedScopes: ['instagram_business_basic', 'instagram_business_manage_messages'],
      accessToken: sim.issueToken({ igUserId: IG }), tokenExpiresAt: new Date(Date.now() + 60 * 86_400_000),
    });
    if (!connected.ok) throw new Error(connected.error.kind);
    expect((await api(http[0]!, 'GET', `/api/workspaces/${ws}/instagram`, cookie)).status).toBe(200);

    // Customers write in; Meta's deliveries alternate between the two HTTP processes.
    const customers = Array.from({ length: CUSTOMERS }, (_, i) => `7432198865${String(700_000 + i)}`);
    sim.resetStats();
    for (const [i, igsid] of customers.entries()) {
      sim.setWebhookUrl(`${http[i % 2]!}/webhooks/instagram`);
      const sent = await sim.customerSends({ igUserId: IG, igsid, text: 'Hi! How much is the canvas tote bag?' });
      expect(sent.deliveries.map((d) => d.status)).toEqual([200]);
    }
    const assistantSent = async () => sql<{ igsid: string; text: string; platform_message_id: string }>(
      `select c.igsid, m.text, m.platform_message_id from messages m join contacts c on c.id = m.contact_id
        where m.workspace_id = ? and m.direction = 'outbound' and m.author_kind = 'assistant' and m.platform_message_id is not null`, [ws]);
    await waitFor('a sent assistant reply for every customer', async () => (await assistantSent()).length >= CUSTOMERS);
    await sim.idle();

    // One customer orders; the assistant drafts it with a stock hold.
    sim.setWebhookUrl(`${http[1]!}/webhooks/instagram`);
    await sim.customerSends({ igUserId: IG, igsid: customers[0]!, text: 'I want 2 of the canvas tote bag' });
    // Polled in the database: polling through HTTP would only exercise the per-address rate limit.
    const [draft] = await waitFor('the order draft', async () => {
      const rows = await sql<{ id: string }>(`select id from orders where workspace_id = ? and status = 'draft'`, [ws]);
      return rows.length > 0 ? rows : null;
    }, 45_000, async () => ({ orders: await sql('select id, status from orders'), replies: (await assistantSent()).filter((r) => r.igsid === customers[0]) }));
    const listed = await api(http[0]!, 'GET', `/api/workspaces/${ws}/orders`, cookie);
    // One draft for one order message, whichever worker ran the turn (a regenerated turn must not draft again).
    expect(listed.body.items, JSON.stringify(await sql('select outcome, reason from ai_audit_records'))).toHaveLength(1);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: draft!.id, status: 'draft' })]);
    await waitFor('the order reply sent', async () => (await assistantSent()).length >= CUSTOMERS + 1);
    const confirm = await api(http[1]!, 'POST', `/api/workspaces/${ws}/orders/${draft!.id}/transitions`, cookie, { to: 'confirmed', notifyCustomer: false });
    expect([confirm.status, confirm.body.status]).toEqual([200, 'confirmed']);
    const inventory = await api(http[0]!, 'GET', `/api/workspaces/${ws}/inventory`, cookie);
    expect(inventory.body.items).toEqual([expect.objectContaining({ sku: 'TOTE-1', onHand: 12, reserved: 2, available: 10 })]);
    await sim.idle();

    // Exactly one reply per customer message, grounded in the catalog (the price), nothing doubled.
    const replies = await assistantSent();
    expect(replies).toHaveLength(CUSTOMERS + 1);
    for (const igsid of customers) {
      const theirs = replies.filter((r) => r.igsid === igsid);
      expect(theirs).toHaveLength(igsid === customers[0] ? 2 : 1);
      expect(theirs.some((r) => r.text.includes('24.50'))).toBe(true);
    }
    expect(replies.filter((r) => r.igsid === customers[0]).map((r) => r.text).join('\n')).toContain('total 49.00 EUR');
    expect(new Set(replies.map((r) => r.platform_message_id)).size).toBe(replies.length);
    // Instagram's side: one accepted send per reply (each echoed back once), none refused for rate.
    const echoes = new Set(sim.deliveries().flatMap((d) => {
      try {
        const body = JSON.parse(d.body) as { entry?: Array<{ messaging?: Array<{ message?: { mid?: string; is_echo?: boolean } }> }> };
        return (body.entry ?? []).flatMap((e) => (e.messaging ?? []).filter((m) => m.message?.is_echo).map((m) => m.message!.mid!));
      } catch { return []; }
    }));
    // The welcome automation also writes once per new conversation; every send we recorded, and nothing else, reached Instagram.
    const outbound = await sql<{ platform_message_id: string; author_kind: string }>(`select platform_message_id, author_kind from messages where workspace_id = ? and direction = 'outbound' and platform_message_id is not null`, [ws]);
    expect([...echoes].sort()).toEqual(outbound.map((m) => m.platform_message_id).sort());
    expect(outbound.filter((m) => m.author_kind !== 'assistant').length).toBeLessThanOrEqual(CUSTOMERS);
    const stats = sim.stats(IG);
    expect(stats.rejectedForRate).toBe(0);
    expect(stats.maxSendCallsPerSecond).toBeLessThanOrEqual(stats.limits.text.limit);
    // Every webhook landed (both HTTP processes acknowledged) and was applied.
    await waitFor('the last echoes to be applied', async () => (await sql<{ n: number }>("select count(*)::int as n from instagram_webhook_inbox where state = 'received'"))[0]!.n === 0);
    const inbox = await sql<{ state: string; n: number }>('select state, count(*)::int as n from instagram_webhook_inbox group by state');
    expect(inbox).toEqual([{ state: 'processed', n: sim.deliveries().filter((d) => d.status === 200).length }]);
    expect(new Set(sim.deliveries().filter((d) => d.status === 200).map((d) => new URL(d.url).port)).size).toBe(2);
    // Both workers did jobs (their debug logs name each completed job's queue).
    const completed = workers.map((w) => w.output().split('\n').filter((l) => l.includes('"msg":"job completed"')).length);
    expect(completed.every((n) => n > 0)).toBe(true);
  }, 120_000);
});
