import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ids, Session, type Repositories } from '@palette/domain';
import { buildExportZip, createMikroOrmRepositories, createSqlExportStores, ExportManifest, openDatabase, persistenceModule, readZip, type Database } from '@palette/adapters/persistence';
import { buildWorkspaceApp, seedTenant, TEST_USER_HEADER, type Tenant, type WorkspaceApp } from './support/workspace-fixtures.js';

const NOW = new Date('2026-03-01T09:00:00Z');
const contactOf = (t: Tenant) => t.workspaceId.replace(/[0-9a-f]{12}$/, '000000000402');
const conversationOf = (t: Tenant) => t.workspaceId.replace(/[0-9a-f]{12}$/, '000000000403');
const messageOf = (t: Tenant) => t.workspaceId.replace(/[0-9a-f]{12}$/, '000000000404');

function privacyRouteSuite(name: string, setup: () => { w: WorkspaceApp; repos: () => Repositories; db?: () => Database }): void {
  describe(`privacy and contact routes (${name})`, () => {
    let w: WorkspaceApp;
    let t: Tenant;
    const as = (userId: string) => ({
      get: (path: string) => request(w.app).get(path).set(TEST_USER_HEADER, userId),
      post: (path: string, body?: object) => request(w.app).post(path).set(TEST_USER_HEADER, userId).send(body ?? {}),
      patch: (path: string, body: object) => request(w.app).patch(path).set(TEST_USER_HEADER, userId).send(body),
      put: (path: string, body: object) => request(w.app).put(path).set(TEST_USER_HEADER, userId).send(body),
      delete: (path: string) => request(w.app).delete(path).set(TEST_USER_HEADER, userId),
    });
    let label = 0;
    beforeAll(() => { w = setup().w; });
    const fresh = async () => {
      label += 1;
      t = await seedTenant(w.reset(), `P${label}`, label, NOW);
      return t;
    };

    it('lists and shows contacts to agents, never to analysts', async () => {
      await fresh();
      const base = `/api/workspaces/${t.workspaceId}/contacts`;
      const list = await as(t.members.agent.userId).get(base);
      expect(list.status).toBe(200);
      expect(list.body.items.map((k: { id: string }) => k.id)).toEqual([contactOf(t)]);
      const one = await as(t.members.agent.userId).get(`${base}/${contactOf(t)}`);
      expect(one.body).toMatchObject({ id: contactOf(t), username: 'customer', consent: { ai_processing: 'unknown' } });
      expect((await as(t.members.analyst.userId).get(base)).status).toBe(403);
    });

    it('corrects a contact (audited by field name only), sets restriction flags and records consent', async () => {
      await fresh();
      const base = `/api/workspaces/${t.workspaceId}/contacts/${contactOf(t)}`;
      const fixed = await as(t.members.agent.userId).patch(base, { displayName: 'Lucía P.' });
      expect(fixed.status).toBe(200);
      expect(fixed.body.displayName).toBe('Lucía P.');
      const audit = await as(t.members.owner.userId).get(`/api/workspaces/${t.workspaceId}/audit?action=contact.corrected`);
      expect(audit.body.items).toHaveLength(1);
      expect(audit.body.items[0].details).toEqual({ fields: 'displayName' });
      expect(JSON.stringify(audit.body)).not.toContain('Lucía');

      expect((await as(t.members.agent.userId).put(`${base}/restrictions`, { aiProcessingObjected: true, processingRestricted: false })).status).toBe(403);
      const flagged = await as(t.members.admin.userId).put(`${base}/restrictions`, { aiProcessingObjected: true, processingRestricted: true });
      expect(flagged.body.restrictions).toEqual({ aiProcessingObjected: true, processingRestricted: true });
      expect(flagged.body.consent.ai_processing).toBe('withdrawn');
      const consent = await as(t.members.admin.userId).post(`${base}/consent`, { purpose: 'marketing', decision: 'withdrawn', note: 'asked by DM' });
      expect(consent.status).toBe(201);
      expect(consent.body.consentLedger.map((e: { purpose: string; decision: string }) => `${e.purpose}:${e.decision}`)).toEqual(['ai_processing:withdrawn', 'marketing:withdrawn']);
      // The domain's gate the assistant reads: nothing automated touches this contact now.
      const contact = await w.repos().contacts.get(t.workspaceId, Ids.contact(contactOf(t)));
      expect(contact!.allowsAutomatedProcessing()).toBe(false);
    });

    it('erases a contact: DMs and profile gone, a receipt listed and verifiable, the same igsid then unknown', async () => {
      await fresh();
      const erased = await as(t.members.admin.userId).post(`/api/workspaces/${t.workspaceId}/contacts/${contactOf(t)}/erasure`);
      expect(erased.status).toBe(200);
      const repos = w.repos();
      expect(await repos.contacts.get(t.workspaceId, Ids.contact(contactOf(t)))).toBeNull();
      expect(await repos.messages.get(t.workspaceId, Ids.message(messageOf(t)))).toBeNull();
      expect(await repos.conversations.get(t.workspaceId, Ids.conversation(conversationOf(t)))).toBeNull();
      expect(erased.body.receipt.counts).toMatchObject({ messages: 1, conversations: 1, contacts_deleted: 1 });

      const receipts = await as(t.members.owner.userId).get(`/api/workspaces/${t.workspaceId}/privacy/receipts`);
      expect(receipts.body.items.map((r: { id: string }) => r.id)).toContain(erased.body.receipt.id);
      expect(JSON.stringify(receipts.body)).not.toMatch(/FIXTURE-DM|customer|Secret Lane/);
      const ids = [`messages:${messageOf(t)}`, `conversations:${conversationOf(t)}`, `contacts_deleted:${contactOf(t)}`];
      const verify = (list: string[]) => as(t.members.owner.userId).post(`/api/workspaces/${t.workspaceId}/privacy/receipts/verify`, { receiptId: erased.body.receipt.id, ids: list });
      expect((await verify(ids)).body).toEqual({ valid: true });
      expect((await verify(ids.slice(1))).body).toEqual({ valid: false });
      expect((await as(t.members.owner.userId).post(`/api/workspaces/${t.workspaceId}/contacts/${contactOf(t)}/erasure`)).status).toBe(404);
    });

    it('erases a user: sessions ended and deleted, memberships removed; a sole owner is refused', async () => {
      await fresh();
      const repos = w.repos();
      const agent = t.members.agent.userId;
      const session = Session.start({ tokenHash: `hash-${agent}`, userId: agent, now: w.clock.now() });
      await repos.uow.run(() => repos.sessions.save(session));
      expect((await as(t.members.owner.userId).delete('/api/me')).status).toBe(409);
      const gone = await as(agent).delete('/api/me');
      expect(gone.status).toBe(200);
      const after = w.repos();
      expect(await after.sessions.get(`hash-${agent}`)).toBeNull();
      expect(await after.memberships.find(t.workspaceId, agent)).toBeNull();
      const user = await after.users.get(agent);
      expect(user!.erasedAt).not.toBeNull();
      expect(user!.email).not.toBe(t.members.agent.email);
      expect((await as(agent).get(`/api/workspaces/${t.workspaceId}/contacts`)).status).toBe(404);
    });

    it('never logs message text, tokens or personal fields while serving these routes (a run\'s log lines are grepped)', async () => {
      await fresh();
      w.logs.lines.length = 0;
      const base = `/api/workspaces/${t.workspaceId}/contacts/${contactOf(t)}`;
      await as(t.members.admin.userId).get(base);
      await as(t.members.admin.userId).patch(base, { displayName: 'LEAKY-NAME-42' });
      await as(t.members.admin.userId).post(`${base}/exports`);
      await as(t.members.admin.userId).post(`${base}/erasure`);
      await as(t.members.agent.userId).post('/api/me/export');
      const logs = w.logs.lines.join('\n');
      expect(w.logs.lines.length).toBeGreaterThan(0);
      for (const secret of [t.messageText, 'Secret Lane', 'LEAKY-NAME-42', 'igsid', '74321000000', t.members.admin.email, 'hash-']) expect(logs).not.toContain(secret);
      const audit = JSON.stringify(await w.repos().audit.list(t.workspaceId, { limit: 100 }));
      for (const secret of [t.messageText, 'LEAKY-NAME-42', '74321000000']) expect(audit).not.toContain(secret);
    });
  });
}

privacyRouteSuite('in memory', () => {
  const w = buildWorkspaceApp();
  return { w, repos: () => w.repos() };
});

describe('exports over HTTP (MikroORM on PGlite)', () => {
  let database: Database;
  let w: WorkspaceApp;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://', ...persistenceModule() });
    await database.migrate();
    w = buildWorkspaceApp({ orm: database.orm });
  });
  afterAll(async () => { await database?.close(); });

  it('a contact export is requested (202), downloadable by the requester only once built, valid, and gone after 7 days', async () => {
    const t = await seedTenant(w.repos(), 'X', 7, NOW);
    const admin = t.members.admin.userId;
    const requested = await request(w.app).post(`/api/workspaces/${t.workspaceId}/contacts/${contactOf(t)}/exports`).set(TEST_USER_HEADER, admin).send({});
    expect(requested.status).toBe(202);
    expect(requested.body.status).toBe('pending');
    const id = requested.body.id as string;
    expect((await request(w.app).get(`/api/me/exports/${id}/download`).set(TEST_USER_HEADER, admin)).status).toBe(404);

    // What the export-bundle job does (packages/app-worker/src/handlers/export-bundle.ts).
    const repos = createMikroOrmRepositories(database.orm);
    const stores = createSqlExportStores(repos.uow);
    await repos.uow.run(async () => {
      const record = await stores.exports.claim(id);
      const sections = await stores.reader.contactSections(t.workspaceId, Ids.contact(contactOf(t)), []);
      await stores.exports.complete(id, buildExportZip('contact', sections!, w.clock.now(), record!.expiresAt).zip, w.clock.now());
    });

    const status = await request(w.app).get(`/api/me/exports/${id}`).set(TEST_USER_HEADER, admin);
    expect(status.body).toMatchObject({ id, status: 'ready', subject: 'contact' });
    const download = await request(w.app).get(`/api/me/exports/${id}/download`).set(TEST_USER_HEADER, admin).buffer(true)
      .parse((res, done) => { const chunks: Buffer[] = []; res.on('data', (c: Buffer) => chunks.push(c)); res.on('end', () => done(null, Buffer.concat(chunks))); });
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('application/zip');
    const files = readZip(download.body as Buffer);
    const manifest = ExportManifest.parse(JSON.parse(files.get('manifest.json')!.toString('utf8')));
    expect(manifest.files.find((f) => f.name === 'messages.json')!.records).toBe(1);
    expect(files.get('messages.json')!.toString('utf8')).toContain(t.messageText);

    // The owner outranks the admin, yet only the requester may see or fetch the bundle.
    expect((await request(w.app).get(`/api/me/exports/${id}`).set(TEST_USER_HEADER, t.members.owner.userId)).status).toBe(404);
    expect((await request(w.app).get(`/api/me/exports/${id}/download`).set(TEST_USER_HEADER, t.members.owner.userId)).status).toBe(404);
    w.clock.advanceDays(7);
    expect((await request(w.app).get(`/api/me/exports/${id}/download`).set(TEST_USER_HEADER, admin)).status).toBe(404);
  });
});
