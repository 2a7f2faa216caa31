import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ids } from '@palette/domain';
import { make } from '@palette/domain/testing';
import { openDatabase, persistenceModule, type Database } from '@palette/adapters/persistence';
import { Sha256Digest } from '@palette/adapters/system';
import { buildWorkspaceApp, seedTenant, TEST_USER_HEADER, type Tenant, type WorkspaceApp } from './support/workspace-fixtures.js';

const NOW = new Date('2026-03-01T09:00:00Z');
const PROBLEM = 'https://palette.dev/problems/';
const digest = new Sha256Digest();

async function world(orm?: Database['orm']): Promise<{ w: WorkspaceApp; a: Tenant }> {
  const w = buildWorkspaceApp(orm ? { orm } : {});
  const a = await seedTenant(orm ? w.repos() : w.reset(), 'A', 1, NOW);
  return { w, a };
}
const as = (w: WorkspaceApp, userId: string) => ({
  get: (p: string) => request(w.app).get(p).set(TEST_USER_HEADER, userId),
  post: (p: string) => request(w.app).post(p).set(TEST_USER_HEADER, userId),
  patch: (p: string) => request(w.app).patch(p).set(TEST_USER_HEADER, userId),
  delete: (p: string) => request(w.app).delete(p).set(TEST_USER_HEADER, userId),
});

describe('workspace settings', () => {
  it('changes settings under optimistic concurrency and audits the change', async () => {
    const { w, a } = await world();
    const owner = as(w, a.members.owner.userId);
    const base = `/api/workspaces/${a.workspaceId}`;
    const read = await owner.get(base);
    expect(read.body).toMatchObject({ name: 'Shop A', timezone: 'Europe/Madrid', currency: 'EUR', businessProfile: null, version: 1 });

    const changed = await owner.patch(base).send({ version: 1, timezone: 'America/Mexico_City', name: 'Tienda A' }).set('X-Request-Id', 'req-settings-1');
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'Tienda A', timezone: 'America/Mexico_City', version: 2 });

    const stale = await owner.patch(base).send({ version: 1, name: 'Lost update' });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ type: `${PROBLEM}conflict`, code: 'workspace.version_conflict' });
    expect((await owner.patch(base).send({ version: 2, timezone: 'Mars/Olympus' })).status).toBe(400);
    expect((await owner.get(base)).body.name).toBe('Tienda A');

    const audit = await owner.get(`${base}/audit?action=workspace.settings_changed`);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ actor: { kind: 'user', id: a.members.owner.userId }, target: { type: 'workspace', id: a.workspaceId }, details: { fields: 'name,timezone', fromVersion: 1 } });
    expect(typeof audit.body.items[0].requestId).toBe('string');
  });
});

describe('team', () => {
  it('keeps the last owner, and lets only owners touch the owner role', async () => {
    const { w, a } = await world();
    const owner = as(w, a.members.owner.userId);
    const admin = as(w, a.members.admin.userId);
    const members = `/api/workspaces/${a.workspaceId}/members`;

    const demote = await owner.patch(`${members}/${a.members.owner.memberId}`).send({ role: 'admin' });
    expect(demote.status).toBe(409);
    expect(demote.body.code).toBe('team.last_owner');
    expect((await owner.delete(`${members}/${a.members.owner.memberId}`)).body.code).toBe('team.last_owner');

    expect((await admin.patch(`${members}/${a.target.memberId}`).send({ role: 'owner' })).status).toBe(403);
    expect((await admin.delete(`${members}/${a.members.owner.memberId}`)).status).toBe(403);
    expect((await admin.patch(`${members}/${a.target.memberId}`).send({ role: 'analyst' })).body.role).toBe('analyst');

    expect((await owner.patch(`${members}/${a.target.memberId}`).send({ role: 'owner' })).status).toBe(200);
    expect((await owner.patch(`${members}/${a.members.owner.memberId}`).send({ role: 'agent' })).status).toBe(200);
    // The demoted owner is an agent from the next request on: no audit log any more.
    expect((await owner.get(`/api/workspaces/${a.workspaceId}/audit`)).status).toBe(403);

    const log = await admin.get(`/api/workspaces/${a.workspaceId}/audit?action=member.role_changed`);
    expect(log.body.items.map((e: { details: unknown }) => e.details)).toEqual([{ from: 'owner', to: 'agent' }, { from: 'analyst', to: 'owner' }, { from: 'agent', to: 'analyst' }]);
  });

  it('pages members with an opaque cursor, and refuses a forged cursor or a bad limit', async () => {
    const { w, a } = await world();
    const agent = as(w, a.members.agent.userId);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await agent.get(`/api/workspaces/${a.workspaceId}/members?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((m: { id: string }) => m.id));
      cursor = res.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect((await agent.get(`/api/workspaces/${a.workspaceId}/members?cursor=bm90LWEtY3Vyc29y`)).body.errors[0].path).toBe('query.cursor');
    expect((await agent.get(`/api/workspaces/${a.workspaceId}/members?limit=0`)).status).toBe(400);
    expect((await agent.get(`/api/workspaces/${a.workspaceId}/members?limit=101`)).status).toBe(400);
  });
});

describe('invitations', () => {
  it('emails a single-use token, stores only its hash, and joins the invited user once', async () => {
    const { w, a } = await world();
    const owner = as(w, a.members.owner.userId);
    const repos = w.repos();
    await repos.uow.run(async () => {
      await repos.users.save(make.user('00000001-0000-7000-8000-000000000901', 'newbie@example.com', NOW));
      await repos.users.save(make.user('00000001-0000-7000-8000-000000000902', 'stranger@example.com', NOW));
    });
    const created = await owner.post(`/api/workspaces/${a.workspaceId}/invitations`).send({ email: 'Newbie@Example.com', role: 'admin' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'newbie@example.com', role: 'admin' });
    expect(new Date(created.body.expiresAt).getTime() - w.clock.now().getTime()).toBe(7 * 24 * 3600_000);
    const token = w.mailer.tokenFor('newbie@example.com');
    expect(JSON.stringify(created.body)).not.toContain(token);
    expect((await repos.invitations.findByTokenHash(digest.sha256Hex(token)))?.id).toBe(created.body.id);
    expect(JSON.stringify(await repos.invitations.get(a.workspaceId, created.body.id))).not.toContain(token);
    expect(w.logs.lines.join('\n')).not.toContain(token);

    const pending = await owner.get(`/api/workspaces/${a.workspaceId}/invitations`);
    expect(pending.body.items.map((i: { id: string }) => i.id)).toEqual([a.invitationId, created.body.id]);

    const stranger = await as(w, '00000001-0000-7000-8000-000000000902').post('/api/invitations/accept').send({ token });
    expect(stranger.body).toMatchObject({ status: 403, code: 'invitation.email_mismatch' });
    const joined = await as(w, '00000001-0000-7000-8000-000000000901').post('/api/invitations/accept').send({ token });
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ workspaceId: a.workspaceId, role: 'admin' });
    expect((await repos.memberships.find(a.workspaceId, Ids.user('00000001-0000-7000-8000-000000000901')))?.role).toBe('admin');
    expect((await as(w, '00000001-0000-7000-8000-000000000901').post('/api/invitations/accept').send({ token })).body.code).toBe('invitation.used');
    expect((await as(w, a.members.owner.userId).post('/api/invitations/accept').send({ token: 'x'.repeat(40) })).status).toBe(404);

    const joins = await owner.get(`/api/workspaces/${a.workspaceId}/audit?action=member.joined`);
    expect(joins.body.items).toHaveLength(1);
  });

  it('expires after 7 days, and a revoked invitation cannot be accepted', async () => {
    const { w, a } = await world();
    const owner = as(w, a.members.owner.userId);
    const repos = w.repos();
    await repos.uow.run(async () => { await repos.users.save(make.user('00000001-0000-7000-8000-000000000903', 'late@example.com', NOW)); });
    const late = await as(w, '00000001-0000-7000-8000-000000000903');
    await owner.post(`/api/workspaces/${a.workspaceId}/invitations`).send({ email: 'late@example.com', role: 'agent' });
    const expiring = w.mailer.tokenFor('late@example.com');
    w.clock.advanceDays(8);
    expect((await late.post('/api/invitations/accept').send({ token: expiring })).body).toMatchObject({ status: 409, code: 'invitation.expired' });

    const again = await owner.post(`/api/workspaces/${a.workspaceId}/invitations`).send({ email: 'late@example.com', role: 'agent' });
    expect((await owner.delete(`/api/workspaces/${a.workspaceId}/invitations/${again.body.id}`)).status).toBe(204);
    expect((await owner.delete(`/api/workspaces/${a.workspaceId}/invitations/${again.body.id}`)).status).toBe(204);
    expect((await late.post('/api/invitations/accept').send({ token: w.mailer.tokenFor('late@example.com') })).body.code).toBe('invitation.revoked');
    expect((await as(w, a.members.admin.userId).post(`/api/workspaces/${a.workspaceId}/invitations`).send({ email: 'boss@example.com', role: 'owner' })).status).toBe(403);
    expect((await owner.post(`/api/workspaces/${a.workspaceId}/invitations`).send({ email: a.members.agent.email, role: 'agent' })).body.code).toBe('invitation.already_member');
  });
});

async function idempotencyChecks(w: WorkspaceApp, a: Tenant): Promise<void> {
  const owner = as(w, a.members.owner.userId);
  const path = `/api/workspaces/${a.workspaceId}/invitations`;
  const first = await owner.post(path).set('Idempotency-Key', 'retry-1').send({ email: 'once@example.com', role: 'agent' });
  const retry = await owner.post(path).set('Idempotency-Key', 'retry-1').send({ role: 'agent', email: 'once@example.com' });
  expect(first.status).toBe(201);
  expect(retry.status).toBe(201);
  expect(retry.body).toEqual(first.body);
  expect(retry.headers['idempotent-replayed']).toBe('true');
  expect(w.mailer.sent.filter((m) => m.to === 'once@example.com')).toHaveLength(1);
  const reused = await owner.post(path).set('Idempotency-Key', 'retry-1').send({ email: 'other@example.com', role: 'agent' });
  expect(reused.body).toMatchObject({ status: 422, code: 'idempotency.key_reused' });
  expect((await owner.post(path).set('Idempotency-Key', 'bad key with spaces').send({ email: 'x@example.com', role: 'agent' })).status).toBe(400);
  // A day later the key is forgotten: the same request is a new one (and meets the pending invitation).
  w.clock.advance(24 * 3600_000 + 1);
  expect((await owner.post(path).set('Idempotency-Key', 'retry-1').send({ email: 'once@example.com', role: 'agent' })).body.code).toBe('invitation.pending_exists');
}

async function auditPaging(w: WorkspaceApp, a: Tenant): Promise<void> {
  const owner = as(w, a.members.owner.userId);
  const base = `/api/workspaces/${a.workspaceId}/audit`;
  for (let i = 0; i < 5; i++) {
    await owner.post(`/api/workspaces/${a.workspaceId}/invitations`).send({ email: `p${i}@example.com`, role: 'agent' });
    if (i % 2 === 0) w.clock.advance(1000);
  }
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await owner.get(`${base}?action=invitation.created&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    ids.push(...res.body.items.map((e: { id: string }) => e.id));
    cursor = res.body.nextCursor;
  } while (cursor !== null);
  const all = await owner.get(`${base}?action=invitation.created`);
  expect(ids).toEqual(all.body.items.map((e: { id: string }) => e.id));
  expect(ids.length).toBeGreaterThanOrEqual(5);
  const times = all.body.items.map((e: { at: string }) => e.at);
  expect([...times].sort().reverse()).toEqual(times);
  expect((await owner.get(`${base}?actorId=${a.members.owner.userId}&from=${times[0]}`)).body.items.every((e: { at: string }) => e.at >= times[0])).toBe(true);
  expect((await owner.get(`${base}?to=2000-01-01T00:00:00Z`)).body.items).toEqual([]);
  expect((await as(w, a.members.agent.userId).get(base)).status).toBe(403);
  expect((await as(w, a.members.admin.userId).get(base)).status).toBe(200);
}

describe('conventions in memory', () => {
  it('Idempotency-Key: a retry gets the same response; another body with the key is 422', async () => {
    const { w, a } = await world();
    await idempotencyChecks(w, a);
  });
  it('audit log: filters and cursor pages', async () => {
    const { w, a } = await world();
    await auditPaging(w, a);
  });
});

describe('conventions on MikroORM (PGlite)', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://', ...persistenceModule() });
    await database.migrate();
  });
  afterAll(async () => { await database?.close(); });

  it('Idempotency-Key and audit paging behave the same on SQL', async () => {
    const { w, a } = await world(database.orm);
    await idempotencyChecks(w, a);
    await auditPaging(w, a);
  });
});
