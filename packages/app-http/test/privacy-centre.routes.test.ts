import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RETENTION_RULES, ReceiveInboundMessage } from '@palette/domain';
import { InMemoryDatabase, InMemoryPrivacyStores } from '@palette/domain/in-memory';
import { instagramStoresFor } from '../src/routes/instagram-webhooks.route.js';
import { TOKENS } from '../src/tokens.js';
import { openDatabase, persistenceModule, type Database } from '@palette/adapters/persistence';
import { buildWorkspaceApp, seedTenant, TEST_USER_HEADER, type Tenant, type WorkspaceApp } from './support/workspace-fixtures.js';

const NOW = new Date('2026-03-01T09:00:00Z');
const contactOf = (t: Tenant) => t.workspaceId.replace(/[0-9a-f]{12}$/, '000000000402');
const accountOf = (t: Tenant) => t.workspaceId.replace(/[0-9a-f]{12}$/, '000000000400');

/** The routes behind the dashboard's privacy centre and Instagram health section (in memory). */
describe('privacy centre and connection-health routes', () => {
  const w = buildWorkspaceApp();
  let t: Tenant;
  let n = 0;
  const as = (userId: string) => ({
    get: (path: string) => request(w.app).get(path).set(TEST_USER_HEADER, userId),
    post: (path: string, body?: object) => request(w.app).post(path).set(TEST_USER_HEADER, userId).send(body ?? {}),
    put: (path: string, body: object) => request(w.app).put(path).set(TEST_USER_HEADER, userId).send(body),
  });
  beforeEach(async () => {
    n += 1;
    t = await seedTenant(w.reset(), `C${n}`, n, NOW);
  });

  it('shows the published maximum per class, stores a shorter period, refuses a longer one with a problem, and audits the change', async () => {
    const path = `/api/workspaces/${t.workspaceId}/privacy/retention`;
    const owner = as(t.members.owner.userId);
    const initial = await owner.get(path);
    expect(initial.status).toBe(200);
    for (const c of initial.body.classes) {
      expect(c.days).toBe(RETENTION_RULES[c.dataClass as keyof typeof RETENTION_RULES].maxDays);
      expect(c.overridden).toBe(false);
    }

    const shorter = await owner.put(path, { days: { messages: 10, exports: 3 } });
    expect(shorter.status).toBe(200);
    const byClass = (body: { classes: Array<{ dataClass: string; days: number; overridden: boolean }> }) => Object.fromEntries(body.classes.map((c) => [c.dataClass, c]));
    expect(byClass(shorter.body).messages).toMatchObject({ days: 10, overridden: true });
    expect(byClass(shorter.body).exports).toMatchObject({ days: 3, overridden: true });
    expect((await w.repos().workspaces.get(t.workspaceId))!.retention).toEqual({ messages: 10, exports: 3 });

    const above = await owner.put(path, { days: { messages: RETENTION_RULES.messages.maxDays + 1 } });
    expect(above.status).toBe(400);
    expect(above.headers['content-type']).toContain('application/problem+json');
    expect(above.body.errors).toEqual([expect.objectContaining({ path: 'body.days.messages', code: 'retention_above_maximum' })]);
    expect(above.body.errors[0].message).toContain(`${RETENTION_RULES.messages.maxDays} days`);
    // Nothing of the refused change was stored.
    expect((await w.repos().workspaces.get(t.workspaceId))!.retention).toEqual({ messages: 10, exports: 3 });

    expect((await owner.put(path, { days: { messages: 0 } })).status).toBe(400);
    expect((await owner.put(path, { days: { nonsense: 3 } })).status).toBe(400);

    const reset = await owner.put(path, { days: { messages: null } });
    expect(byClass(reset.body).messages).toMatchObject({ days: RETENTION_RULES.messages.maxDays, overridden: false });
    expect(byClass(reset.body).exports).toMatchObject({ days: RETENTION_RULES.exports.maxDays, overridden: false });

    const audit = await w.repos().audit.list(t.workspaceId, { action: 'privacy.retention_changed', limit: 10 });
    expect(audit.map((e) => e.details.overrides)).toEqual(['none', 'exports=3,messages=10']);

    expect((await as(t.members.agent.userId).get(path)).status).toBe(403);
    expect((await as(t.members.agent.userId).put(path, { days: {} })).status).toBe(403);
  });

  it('lists the workspace\'s data-subject requests with status and receipt once a contact is erased', async () => {
    const path = `/api/workspaces/${t.workspaceId}/privacy/requests`;
    const owner = as(t.members.owner.userId);
    expect((await owner.get(path)).body).toEqual({ items: [] });
    const erased = await owner.post(`/api/workspaces/${t.workspaceId}/contacts/${contactOf(t)}/erasure`);
    expect(erased.status).toBe(200);
    const listed = await owner.get(path);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ type: 'erasure', subject: 'contact', contactId: contactOf(t), status: 'completed', receiptId: erased.body.receipt.id })]);
    expect((await as(t.members.agent.userId).get(path)).status).toBe(403);
  });

  it('lists contact exports with their status; only the requester sees one as downloadable, and only once built', async () => {
    const path = `/api/workspaces/${t.workspaceId}/privacy/exports`;
    const admin = as(t.members.admin.userId);
    const requested = await admin.post(`/api/workspaces/${t.workspaceId}/contacts/${contactOf(t)}/exports`);
    expect(requested.status).toBe(202);
    const pending = await admin.get(path);
    expect(pending.body.items).toEqual([expect.objectContaining({ id: requested.body.id, status: 'pending', contactId: contactOf(t), downloadable: false })]);

    const repos = w.repos();
    if (!(repos.uow instanceof InMemoryDatabase)) throw new Error('in-memory test');
    new InMemoryPrivacyStores(repos.uow).complete(requested.body.id, new Uint8Array([80, 75, 5, 6]), 'f'.repeat(64), w.clock.now());
    expect((await admin.get(path)).body.items[0]).toMatchObject({ status: 'ready', downloadable: true });
    expect((await as(t.members.owner.userId).get(path)).body.items[0]).toMatchObject({ status: 'ready', downloadable: false });
    expect((await as(t.members.owner.userId).get(`/api/me/exports/${requested.body.id}/download`)).status).toBe(404);
    // The download itself (zip bytes) is covered on PGlite in privacy-routes.test.ts.
  });

  it('reports connection health: token refresh time, the last customer message per account and quarantined deliveries', async () => {
    const path = `/api/workspaces/${t.workspaceId}/instagram`;
    const before = await as(t.members.owner.userId).get(path);
    expect(before.status).toBe(200);
    expect(before.body.accounts[0]).toMatchObject({ id: accountOf(t), tokenRefreshedAt: NOW.toISOString() });
    expect(before.body.health).toEqual({ lastMessageReceived: [], quarantinedDeliveries: 0, lastQuarantinedAt: null });

    const repos = w.repos();
    const at = new Date('2026-03-01T09:30:00Z');
    const received = await new ReceiveInboundMessage({ ...repos, clock: { now: () => at }, ids: w.container.get(TOKENS.Ids) }).execute({
      igUserId: `17841400000000${n}`, senderIgsid: '999000111', platformMessageId: `mid-health-${n}`, text: 'hello', attachments: [], replyTo: null, sentAt: at, entryPoint: 'organic_dm',
    });
    expect(received.ok).toBe(true);
    const inbox = instagramStoresFor(repos.uow).inbox;
    const stored = await inbox.store({ id: w.container.get(TOKENS.Ids).next(), payloadSha256: 'a'.repeat(64), rawBody: '{}', receivedAt: at });
    await inbox.markQuarantined(stored.id, 'unparseable', at, t.workspaceId);

    const after = await as(t.members.owner.userId).get(path);
    expect(after.status).toBe(200);
    expect(after.body.health).toEqual({ lastMessageReceived: [{ accountId: accountOf(t), at: at.toISOString() }], quarantinedDeliveries: 1, lastQuarantinedAt: at.toISOString() });
  });
});

describe('retention and requests routes over MikroORM on PGlite', () => {
  let database: Database;
  let w: WorkspaceApp;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://', ...persistenceModule() });
    await database.migrate();
    w = buildWorkspaceApp({ orm: database.orm });
  });
  afterAll(async () => { await database?.close(); });

  it('stores a shorter period in the workspace row, refuses one above the maximum, and lists the erasure request', async () => {
    const t = await seedTenant(w.repos(), 'Q', 8, NOW);
    const owner = t.members.owner.userId;
    const path = `/api/workspaces/${t.workspaceId}/privacy/retention`;
    expect((await request(w.app).put(path).set(TEST_USER_HEADER, owner).send({ days: { audit_log: 90 } })).status).toBe(200);
    expect((await request(w.app).put(path).set(TEST_USER_HEADER, owner).send({ days: { audit_log: 366 } })).body.errors[0].code).toBe('retention_above_maximum');
    // Read back through a fresh request (a new unit of work): the row holds the override.
    const read = await request(w.app).get(path).set(TEST_USER_HEADER, owner);
    expect(read.body.classes.find((c: { dataClass: string }) => c.dataClass === 'audit_log')).toMatchObject({ days: 90, overridden: true });

    const erased = await request(w.app).post(`/api/workspaces/${t.workspaceId}/contacts/${contactOf(t)}/erasure`).set(TEST_USER_HEADER, owner).send({});
    expect(erased.status).toBe(200);
    const listed = await request(w.app).get(`/api/workspaces/${t.workspaceId}/privacy/requests`).set(TEST_USER_HEADER, owner);
    expect(listed.body.items).toEqual([expect.objectContaining({ type: 'erasure', status: 'completed', receiptId: erased.body.receipt.id })]);
  });
});
