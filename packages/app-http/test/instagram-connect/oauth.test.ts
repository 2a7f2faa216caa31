import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Ids, ReceiveInboundMessage, type JobRequest, type WorkspaceId } from '@palette/domain';
import { persistenceModule } from '@palette/adapters/persistence';
import { createSimulator, createInstagramServices, loadInstagramSettings, sqlRowsOf, type Simulator } from '@palette/adapters/instagram';
import { AesGcmTokenCipher, parseKeyring } from '@palette/adapters/crypto';
import { UuidV7Generator } from '@palette/adapters/system';
import { openTestDatabase, type TestDatabase } from '../../../adapters/test/support/databases.js';
import { buildSessionApp, signUp, type SessionApp, type SignedUp } from '../support/session-app.js';
import { TOKENS } from '../../src/tokens.js';

const APP_ID = 'oauth-test-app';
const APP_SECRET = 'oauth-test-secret';
const IG = '17841455500112233';
const ORIGIN = 'http://localhost:3000';

describe('Instagram connect through the Graph API simulator (PGlite)', () => {
  let db: TestDatabase;
  let sim: Simulator;
  let s: SessionApp;
  const enqueued: JobRequest[] = [];
  const cipher = new AesGcmTokenCipher(parseKeyring(`k1:${Buffer.alloc(32, 3).toString('base64')}`));

  beforeAll(async () => {
    db = await openTestDatabase('pglite', persistenceModule());
    sim = await createSimulator({ appId: APP_ID, appSecret: APP_SECRET, accounts: [{ igUserId: IG, username: 'palette_demo_shop' }, { igUserId: '17841400000000777', username: 'second_shop' }] });
    s = buildSessionApp({ orm: db.database.orm });
    const settings = loadInstagramSettings({ INSTAGRAM_GRAPH_URL: sim.url, INSTAGRAM_APP_ID: APP_ID, INSTAGRAM_APP_SECRET: APP_SECRET });
    if (!settings.ok) throw new Error(settings.problems.join());
    s.container.bind(TOKENS.Instagram).toConstantValue({ services: createInstagramServices({ settings: settings.value, sql: sqlRowsOf(db.database.orm.em.fork()) }), cipher });
    s.container.bind(TOKENS.JobQueue).toConstantValue({ enqueue: async (job) => void enqueued.push(job) });
  });
  afterAll(async () => {
    await sim?.close();
    await db?.teardown();
  });

  /** GET connect → Instagram's consent page → the form's answer; returns the callback path and the state. */
  async function consent(user: SignedUp, choice: { decision?: 'allow' | 'cancel'; untick?: string[]; account?: string } = {}) {
    const start = await request(s.app).get(`/api/workspaces/${user.workspaceId}/instagram/connect`).set('Cookie', user.cookie);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers['location'] as string);
    expect(authorize.origin + authorize.pathname).toBe(`${sim.url}/oauth/authorize`);
    const state = authorize.searchParams.get('state')!;
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const page = await fetch(authorize);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Allow');
    const scopes = authorize.searchParams.get('scope')!.split(',');
    const form = new URLSearchParams({
      client_id: authorize.searchParams.get('client_id')!, redirect_uri: authorize.searchParams.get('redirect_uri')!, response_type: 'code',
      scope: scopes.join(','), state, account: choice.account ?? IG, decision: choice.decision ?? 'allow',
    });
    for (const scope of scopes) if (!(choice.untick ?? []).includes(scope)) form.append('granted', scope);
    const answer = await fetch(`${sim.url}/oauth/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    expect(answer.status).toBe(302);
    const back = new URL(answer.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(`${ORIGIN}/api/instagram/callback`);
    return { callback: `${back.pathname}${back.search}`, state };
  }

  const callback = (user: SignedUp, path: string) => request(s.app).get(path).set('Cookie', user.cookie);
  const accounts = async (user: SignedUp) => (await request(s.app).get(`/api/workspaces/${user.workspaceId}/instagram`).set('Cookie', user.cookie)).body.accounts as Array<Record<string, unknown>>;
  const problemOf = (html: string) => /data-problem-type="https:\/\/palette\.dev\/problems\/instagram\.([a-z_-]+)"/.exec(html)?.[1] ?? null;

  it('connects: state checked, code exchanged, long-lived token stored encrypted, /me read, webhooks subscribed, backfill queued', async () => {
    const owner = await signUp(s.app);
    const { callback: path } = await consent(owner);
    const res = await callback(owner, path);
    expect(res.status).toBe(200);
    expect(res.text).toContain('@palette_demo_shop is connected');
    const [account] = await accounts(owner);
    expect(account).toMatchObject({ igUserId: IG, username: 'palette_demo_shop', accountType: 'Business', status: 'connected', statusReason: null });
    expect(account!['grantedScopes']).toEqual(expect.arrayContaining(['instagram_business_basic', 'instagram_business_manage_messages']));
    expect([...sim.account(IG).subscribedFields]).toEqual(expect.arrayContaining(['messages', 'message_reactions', 'messaging_seen', 'messaging_postbacks']));
    expect(enqueued.at(-1)).toMatchObject({ name: 'instagram.connected', data: { workspaceId: owner.workspaceId, accountId: account!['id'] } });
    // Only ciphertext at rest, bound to this workspace and account.
    const rows = await db.database.orm.em.fork().execute<Array<{ ciphertext: string; aad: string; key_id: string }>>(`select ciphertext, aad, key_id from secrets where workspace_id = '${owner.workspaceId}'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.aad).toBe(`instagram_token:${owner.workspaceId}:${account!['id']}`);
    expect(rows[0]!.ciphertext).not.toMatch(/IGAA/);
    const token = await cipher.decrypt({ keyId: rows[0]!.key_id, data: rows[0]!.ciphertext }, rows[0]!.aad);
    expect(token).toMatch(/^IGAA/);

    // Meta's revocation callbacks name the account by its app-scoped id (/me `id`): remembered at connect.
    const aliases = await db.database.orm.em.fork().execute<Array<{ account_id: string }>>(`select account_id from instagram_account_aliases where app_scoped_id = '${sim.account(IG).appScopedId}'`);
    expect(aliases.map((a) => a.account_id)).toEqual([account!['id']]);

    // The same callback again: the state is spent.
    const again = await callback(owner, path);
    expect(again.status).toBe(400);
    expect(problemOf(again.text)).toBe('state-used');

    // Disconnect: unsubscribed, token destroyed, marked, deletion queued.
    const off = await request(s.app).post(`/api/workspaces/${owner.workspaceId}/instagram/disconnect`).set('Cookie', owner.cookie).set('Origin', ORIGIN).send({ accountId: account!['id'] });
    expect(off.status).toBe(200);
    expect(off.body.account).toMatchObject({ status: 'disconnected', statusReason: 'Disconnected by the merchant', tokenExpiresAt: null });
    expect(sim.account(IG).subscribedFields.size).toBe(0);
    expect(await db.database.orm.em.fork().execute(`select id from secrets where workspace_id = '${owner.workspaceId}'`)).toEqual([]);
    expect(enqueued.at(-1)).toMatchObject({ name: 'privacy.revocation-deletion', data: { workspaceId: owner.workspaceId, accountId: account!['id'] } });
  });

  it('refuses a state from another session, an expired one, and a made-up one, and connects nothing', async () => {
    const owner = await signUp(s.app);
    const intruder = await signUp(s.app);
    const { callback: path } = await consent(owner, { account: '17841400000000777' });
    const stolen = await callback(intruder, path);
    expect(stolen.status).toBe(400);
    expect(problemOf(stolen.text)).toBe('state-other_session');
    // Exposed to another session, the state is spent for its owner too.
    expect(problemOf((await callback(owner, path)).text)).toBe('state-used');

    const late = await consent(owner, { account: '17841400000000777' });
    s.clock.advance(11 * 60_000);
    const expired = await callback(owner, late.callback);
    expect(problemOf(expired.text)).toBe('state-expired');

    const forged = await callback(owner, '/api/instagram/callback?state=made-up&code=AQ123');
    expect(problemOf(forged.text)).toBe('state-unknown');
    const unsigned = await request(s.app).get(late.callback);
    expect(unsigned.status).toBe(401);
    expect(await accounts(owner)).toEqual([]);
  });

  it('a merchant who unticks the messaging permission gets a clear page, and nothing is connected', async () => {
    const owner = await signUp(s.app);
    const { callback: path } = await consent(owner, { untick: ['instagram_business_manage_messages'], account: '17841400000000777' });
    const res = await callback(owner, path);
    expect(res.status).toBe(400);
    expect(problemOf(res.text)).toBe('missing-scopes');
    expect(res.text).toContain('instagram_business_manage_messages');
    expect(await accounts(owner)).toEqual([]);
    const cancelled = await consent(owner, { decision: 'cancel', account: '17841400000000777' });
    const page = await callback(owner, cancelled.callback);
    expect(problemOf(page.text)).toBe('authorization-denied');
  });

  it('reconnecting keeps the account and its history; a token_expired account shows its reason until then', async () => {
    const owner = await signUp(s.app);
    await callback(owner, (await consent(owner, { account: '17841400000000777' })).callback);
    const [first] = await accounts(owner);
    const ws = owner.workspaceId as WorkspaceId;
    const repos = s.container.get(TOKENS.Repositories);
    const received = await new ReceiveInboundMessage({ ...repos, clock: s.clock, ids: new UuidV7Generator() }).execute({
      igUserId: '17841400000000777', senderIgsid: '7432100000000999', platformMessageId: 'mid-history-1', text: 'An old question', attachments: [], replyTo: null, sentAt: s.clock.now(), entryPoint: 'organic_dm',
    });
    expect(received.ok).toBe(true);
    const stored = (await repos.accounts.get(ws, Ids.instagramAccount(first!['id'] as string)))!;
    stored.markTokenExpired('Instagram rejected the access token: reconnect the account', s.clock.now());
    await repos.uow.run(async () => { await repos.accounts.save(stored); });
    const [expired] = await accounts(owner);
    expect(expired).toMatchObject({ status: 'token_expired', statusReason: 'Instagram rejected the access token: reconnect the account' });

    const res = await callback(owner, (await consent(owner, { account: '17841400000000777' })).callback);
    expect(res.text).toContain('Instagram reconnected');
    const [again] = await accounts(owner);
    expect(again).toMatchObject({ id: first!['id'], status: 'connected', statusReason: null });
    const fresh = s.container.get(TOKENS.Repositories);
    expect((await fresh.messages.findByPlatformId(Ids.instagramAccount(first!['id'] as string), 'mid-history-1'))?.text).toBe('An old question');
    // One live token per account: the old one was destroyed.
    expect(await db.database.orm.em.fork().execute(`select id from secrets where workspace_id = '${owner.workspaceId}'`)).toHaveLength(1);
  });

  it('the same Instagram account cannot be attached to a second workspace', async () => {
    const other = await signUp(s.app);
    const res = await callback(other, (await consent(other, { account: '17841400000000777' })).callback);
    expect(res.status).toBe(409);
    expect(problemOf(res.text)).toBe('account-linked-elsewhere');
  });
});
