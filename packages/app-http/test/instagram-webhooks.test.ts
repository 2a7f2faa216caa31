import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { JobQueue, JobRequest } from '@palette/domain';
import { RecordingJobQueue } from '@palette/domain/in-memory';
import { makeSignedRequest, signHubPayload } from '@palette/adapters/crypto';
import { createApp } from '../src/http/app.js';
import { featureRoutes } from '../src/routes/feature-routes.js';
import { instagramStoresFor, registerInstagramWebhookMetrics } from '../src/routes/instagram-webhooks.route.js';
import { TOKENS } from '../src/tokens.js';
import { buildWorkspaceApp, seedTenant, TEST_USER_HEADER, type Tenant, type WorkspaceApp } from './support/workspace-fixtures.js';

// The sandbox defaults of the config (they match the Graph API simulator).
const SECRET = 'sim-app-secret';
const VERIFY = 'sim-verify-token';
const NOW = new Date('2026-03-01T10:00:00Z');
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../adapters/test/instagram/fixtures/webhooks');
const TEXT = readFileSync(join(FIXTURES, '01-message-text.json'), 'utf8');

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function setup(jobs: JobQueue | null = new RecordingJobQueue()) {
  const w = buildWorkspaceApp();
  const a = await seedTenant(w.reset(), 'A', 1, NOW);
  if (jobs) w.container.bind(TOKENS.JobQueue).toConstantValue(jobs);
  const stores = () => instagramStoresFor(w.repos().uow);
  return { w, a, jobs, stores, inboxRows: async () => (await stores().inbox.countByState()) };
}

const post = (w: WorkspaceApp, body: string, headers: Record<string, string>) => {
  const r = request(w.app).post('/webhooks/instagram').set('Content-Type', 'application/json');
  for (const [k, v] of Object.entries(headers)) r.set(k, v);
  return r.send(body);
};
const total = (c: Record<string, number>) => Object.values(c).reduce((x, y) => x + y, 0);

describe('GET /webhooks/instagram (verification handshake)', () => {
  it('echoes the challenge as text/plain for the right token, 403 otherwise', async () => {
    const { w } = await setup();
    const ok = await request(w.app).get('/webhooks/instagram').query({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY, 'hub.challenge': '1158201444' });
    expect([ok.status, ok.headers['content-type'], ok.text]).toEqual([200, 'text/plain; charset=utf-8', '1158201444']);
    for (const query of [
      { 'hub.mode': 'subscribe', 'hub.verify_token': 'wrong-token!', 'hub.challenge': '1' },
      { 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY, 'hub.challenge': '1' },
      { 'hub.mode': 'subscribe', 'hub.challenge': '1' },
      { 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY },
    ]) {
      const res = await request(w.app).get('/webhooks/instagram').query(query);
      expect(res.status).toBe(403);
      expect(res.body.type).toBe('https://palette.dev/problems/forbidden');
    }
  });
});

describe('POST /webhooks/instagram', () => {
  it('stores a signed delivery byte for byte, answers 200 and enqueues it with the thread as ordering key', async () => {
    const { w, jobs, stores } = await setup();
    const res = await post(w, TEXT, { 'X-Hub-Signature-256': signHubPayload(TEXT, SECRET) });
    expect([res.status, res.text]).toEqual([200, 'EVENT_RECEIVED']);
    await tick();
    const queued = (jobs as RecordingJobQueue).jobs;
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ name: 'instagram.webhook', orderingKey: 'ig:17841455500112233:7432198865012345' });
    const delivery = await stores().inbox.get(String(queued[0]!.data['deliveryId']));
    expect(delivery).toMatchObject({ state: 'received', rawBody: TEXT, attempts: 0 });
    expect(queued[0]!.dedupeKey).toBe(`delivery:${delivery!.id}`);
  });

  it('refuses unsigned, badly signed and re-serialised bodies with 401, storing nothing', async () => {
    const { w, jobs, inboxRows } = await setup();
    const reserialised = JSON.stringify(JSON.parse(TEXT));
    const cases: Array<Record<string, string>> = [
      {},
      { 'X-Hub-Signature-256': 'sha256=' + '0'.repeat(64) },
      { 'X-Hub-Signature-256': signHubPayload(TEXT, 'another-secret') },
      { 'X-Hub-Signature-256': signHubPayload(TEXT, SECRET).replace('sha256=', 'sha1=') },
      { 'X-Hub-Signature-256': signHubPayload(TEXT, SECRET).slice(0, 20) },
    ];
    for (const headers of cases) {
      const res = await post(w, TEXT, headers);
      expect(res.status).toBe(401);
      expect(res.body.type).toBe('https://palette.dev/problems/unauthenticated');
    }
    // Signed over the original bytes, sent with different (equivalent) JSON: the raw bytes count.
    expect((await post(w, reserialised, { 'X-Hub-Signature-256': signHubPayload(TEXT, SECRET) })).status).toBe(401);
    const wrongType = await request(w.app).post('/webhooks/instagram').set('Content-Type', 'text/plain').set('X-Hub-Signature-256', signHubPayload(TEXT, SECRET)).send(TEXT);
    expect(wrongType.status).toBe(415);
    await tick();
    expect(total(await inboxRows())).toBe(0);
    expect((jobs as RecordingJobQueue).jobs).toEqual([]);
  });

  it('keeps a signed body that is not JSON (the worker quarantines it), and one row for redelivered bytes', async () => {
    const { w, jobs, stores } = await setup();
    const broken = '{"object":"instagram","entry":[';
    expect((await post(w, broken, { 'X-Hub-Signature-256': signHubPayload(broken, SECRET) })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await post(w, TEXT, { 'X-Hub-Signature-256': signHubPayload(TEXT, SECRET) })).status).toBe(200);
    await tick();
    expect(await stores().inbox.countByState()).toEqual({ received: 2, processed: 0, quarantined: 0 });
    expect((jobs as RecordingJobQueue).jobs).toHaveLength(2);
  });

  it('acknowledges without a queue, and when the queue fails or hangs', async () => {
    for (const jobs of [null, { enqueue: () => Promise.reject(new Error('queue down')) }, { enqueue: () => new Promise<void>(() => undefined) }] as Array<JobQueue | null>) {
      const { w, stores } = await setup(jobs);
      const started = Date.now();
      const res = await post(w, TEXT, { 'X-Hub-Signature-256': signHubPayload(TEXT, SECRET) });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await stores().inbox.countByState()).received).toBe(1);
    }
  });

  it('is not subject to the per-address rate limit (Meta retries 429s for hours), other routes are', async () => {
    const { w } = await setup();
    const app = createApp({ config: { bodyLimitBytes: 1024 ** 2, corsOrigins: [], trustProxy: false, publicUrl: 'http://localhost:3000' }, logger: w.logs.logger, routes: featureRoutes(w.container), rateLimit: { windowMs: 60_000, limit: 3 }, defaultMetrics: false });
    for (let i = 0; i < 6; i++) {
      const body = TEXT.replace('Hi!', `Hi ${i}!`);
      expect((await request(app).post('/webhooks/instagram').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signHubPayload(body, SECRET)).send(body)).status).toBe(200);
    }
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(app).get('/privacy/deletion/NOSUCHCODE1')).status);
    expect(statuses).toContain(429);
  });

  it('counts deliveries by state on /metrics', async () => {
    const { w, stores, a } = await setup();
    const app = createApp({ config: { bodyLimitBytes: 1024 ** 2, corsOrigins: [], trustProxy: false, publicUrl: 'http://localhost:3000' }, logger: w.logs.logger, routes: featureRoutes(w.container), rateLimit: false, defaultMetrics: false, registerMetrics: registerInstagramWebhookMetrics(w.container) });
    await post(w, TEXT, { 'X-Hub-Signature-256': signHubPayload(TEXT, SECRET) });
    const inbox = stores().inbox;
    const q = await inbox.store({ id: '00000001-0000-7000-8000-00000000f001', payloadSha256: 'f'.repeat(64), rawBody: '{}', receivedAt: NOW });
    await inbox.markQuarantined(q.id, 'envelope: object: Invalid input', NOW, a.workspaceId);
    const text = (await request(app).get('/metrics')).text;
    expect(text).toContain('palette_instagram_webhook_deliveries{state="received"} 1');
    expect(text).toContain('palette_instagram_webhook_deliveries{state="quarantined"} 1');
    expect(text).toContain('palette_instagram_webhook_deliveries{state="processed"} 0');
  });
});

describe('quarantined deliveries: list and replay (instagram.manage)', () => {
  async function quarantined(w: WorkspaceApp, t: Tenant, n: number) {
    const inbox = instagramStoresFor(w.repos().uow).inbox;
    const id = `0000000${n}-0000-7000-8000-00000000e00${n}`;
    await inbox.store({ id, payloadSha256: String(n).repeat(64), rawBody: TEXT, receivedAt: NOW });
    await inbox.markQuarantined(id, 'entry.0.messaging.0: unknown messaging event kind', NOW, t.workspaceId);
    return id;
  }

  it('lists only the workspace\'s own, replays them (fresh job, back to received), and refuses other roles', async () => {
    const { w, a, jobs, stores } = await setup();
    const b = await seedTenant(w.repos(), 'B', 2, NOW);
    const mine = await quarantined(w, a, 1);
    const theirs = await quarantined(w, b, 2);
    const base = `/api/workspaces/${a.workspaceId}/instagram/webhooks/quarantined`;
    const list = await request(w.app).get(base).set(TEST_USER_HEADER, a.members.admin.userId);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([{ id: mine, reason: 'entry.0.messaging.0: unknown messaging event kind', attempts: 0, receivedAt: NOW.toISOString() }]);
    expect((await request(w.app).get(base).set(TEST_USER_HEADER, a.members.agent.userId)).status).toBe(403);

    const other = await request(w.app).post(`${base}/replay`).set(TEST_USER_HEADER, a.members.owner.userId).send({ ids: [theirs] });
    expect(other.body).toEqual({ replayed: 0 });
    const replay = await request(w.app).post(`${base}/replay`).set(TEST_USER_HEADER, a.members.owner.userId).send({});
    expect([replay.status, replay.body]).toEqual([200, { replayed: 1 }]);
    expect((await stores().inbox.get(mine))?.state).toBe('received');
    expect((await stores().inbox.get(theirs))?.state).toBe('quarantined');
    expect((jobs as RecordingJobQueue).jobs).toEqual([{ name: 'instagram.webhook', data: { deliveryId: mine }, orderingKey: 'ig:17841455500112233:7432198865012345', dedupeKey: `replay:${mine}:0` }]);
  });
});

describe("Meta's signed callbacks", () => {
  const form = (w: WorkspaceApp, path: string, signedRequest: string) => request(w.app).post(path).type('form').send({ signed_request: signedRequest });
  const signed = (userId: string, secret = SECRET, extra: Record<string, unknown> = {}) => makeSignedRequest({ algorithm: 'HMAC-SHA256', issued_at: 1767712345, user_id: userId, ...extra }, secret);
  const IG_A = '178414000000001';

  async function withToken(w: WorkspaceApp, a: Tenant) {
    const repos = w.repos();
    const account = (await repos.accounts.findByIgUserId(IG_A))!;
    await repos.uow.run(() => repos.secrets.save({ id: account.tokenRef!, workspaceId: a.workspaceId, purpose: 'instagram_token', ciphertext: { keyId: 'k1', data: 'cipher' }, aad: 'aad', createdAt: NOW }));
    return account;
  }

  it('deauthorize: account revoked, token destroyed, deletion job enqueued', async () => {
    const { w, a, jobs } = await setup();
    const account = await withToken(w, a);
    const res = await form(w, '/webhooks/instagram/deauthorize', signed(IG_A));
    expect([res.status, res.body]).toEqual([200, { received: true }]);
    const after = await w.repos().accounts.get(a.workspaceId, account.id);
    expect([after?.status, after?.tokenRef, after?.canSend().ok]).toEqual(['revoked', null, false]);
    expect(await w.repos().secrets.get(a.workspaceId, account.tokenRef!)).toBeNull();
    const queued = (jobs as RecordingJobQueue).jobs;
    expect(queued.map((j) => [j.name, j.data['workspaceId'], j.data['accountId']])).toEqual([['privacy.revocation-deletion', a.workspaceId, account.id]]);
    expect(typeof queued[0]!.data['requestId']).toBe('string');
  });

  it('bad signed requests are 400 and change nothing', async () => {
    const { w, a, jobs } = await setup();
    const account = await withToken(w, a);
    const good = signed(IG_A);
    for (const bad of [
      signed(IG_A, 'another-secret'),
      makeSignedRequest({ algorithm: 'HMAC-SHA1', user_id: IG_A }, SECRET),
      `${good.split('.')[0]}.${Buffer.from(JSON.stringify({ algorithm: 'HMAC-SHA256', user_id: '999' })).toString('base64url')}`,
      'not-a-signed-request',
    ]) {
      for (const path of ['/webhooks/instagram/deauthorize', '/webhooks/instagram/data-deletion']) {
        const res = await form(w, path, bad);
        expect(res.status).toBe(400);
      }
    }
    expect((await request(w.app).post('/webhooks/instagram/deauthorize').type('form').send({})).status).toBe(400);
    expect((await request(w.app).post('/webhooks/instagram/deauthorize').send({ signed_request: good })).status).toBe(415);
    expect((await w.repos().accounts.get(a.workspaceId, account.id))?.status).toBe('connected');
    expect(await w.repos().secrets.get(a.workspaceId, account.tokenRef!)).not.toBeNull();
    expect((jobs as RecordingJobQueue).jobs).toEqual([]);
  });

  it('data deletion: answers url and code, found by app-scoped id; the status page reads pending then complete, without personal data', async () => {
    const { w, a, jobs, stores } = await setup();
    const account = await withToken(w, a);
    await stores().aliases.remember('9988776655443322', { workspaceId: a.workspaceId, accountId: account.id });
    const res = await form(w, '/webhooks/instagram/data-deletion', signed('9988776655443322'));
    expect(res.status).toBe(200);
    const { url, confirmation_code: code } = res.body as { url: string; confirmation_code: string };
    expect(code).toMatch(/^[A-Z0-9]{24}$/);
    expect(url).toBe(`http://localhost:3000/privacy/deletion/${code}`);
    expect((await w.repos().accounts.get(a.workspaceId, account.id))?.status).toBe('revoked');
    const job = (jobs as RecordingJobQueue).jobs[0] as JobRequest;
    expect(job.name).toBe('privacy.revocation-deletion');

    const pending = await request(w.app).get(`/privacy/deletion/${code}`).set('Accept', 'application/json');
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({ confirmationCode: code, status: 'pending', completedAt: null });
    expect(pending.body.message).toMatch(/in progress/);
    const html = await request(w.app).get(`/privacy/deletion/${code}`).set('Accept', 'text/html');
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.text).toContain('Deletion in progress');
    for (const text of [pending.text, html.text]) {
      for (const secret of [IG_A, '9988776655443322', 'shop', a.workspaceId, account.id]) expect(text).not.toContain(secret);
    }
    // The revocation-deletion job (another feature) marks it complete with the requestId it was given.
    await stores().deletions.markComplete(String(job.data['requestId']), new Date('2026-03-02T08:00:00Z'));
    const done = await request(w.app).get(`/privacy/deletion/${code}`).set('Accept', 'application/json');
    expect(done.body).toMatchObject({ status: 'complete', completedAt: '2026-03-02T08:00:00.000Z' });
    expect(done.body.message).toMatch(/was deleted on 2026-03-02/);
    expect((await request(w.app).get('/privacy/deletion/NOSUCHCODE1')).status).toBe(404);
  });

  it('a user id Palette does not know gets a request that is complete at once, and no job', async () => {
    const { w, jobs } = await setup();
    const res = await form(w, '/webhooks/instagram/data-deletion', signed('1234567890'));
    expect(res.status).toBe(200);
    const status = await request(w.app).get(`/privacy/deletion/${res.body.confirmation_code}`);
    expect(status.body.status).toBe('complete');
    expect(status.body.message).toMatch(/held no data/);
    expect((jobs as RecordingJobQueue).jobs).toEqual([]);
  });
});
