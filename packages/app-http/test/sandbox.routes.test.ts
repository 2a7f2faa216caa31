import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '@palette/adapters/instagram';
import { simulatorSandbox } from '../src/routes/sandbox-port.js';
import { TOKENS } from '../src/tokens.js';
import { startReceiver, type Receiver } from '../../adapters/test/instagram/receiver.js';
import { buildWorkspaceApp, seedTenant, TEST_USER_HEADER, type Tenant, type WorkspaceApp } from './support/workspace-fixtures.js';

// The sandbox routes over a real Graph API simulator: what the dashboard's Sandbox page sends must
// reach the shop's webhook exactly as Instagram would post it, and only for the workspace's own
// simulator account. The shop's webhook is a recording stand-in here; the journey test runs the
// real one.

const NOW = new Date('2026-03-01T09:00:00Z');
const SECRET = 'sandbox-route-test-secret';

interface Entry { id: string; messaging?: Array<Record<string, unknown>>; changes?: Array<{ field: string; value: Record<string, unknown> }> }
const entriesOf = (r: Receiver): Entry[] => r.received.flatMap((x) => (JSON.parse(x.raw.toString('utf8')) as { entry: Entry[] }).entry);

describe('sandbox routes (in-process Instagram simulator)', () => {
  let w: WorkspaceApp;
  let t: Tenant;
  let sim: Simulator;
  let shop: Receiver;
  let igUserId: string;
  const base = () => `/api/workspaces/${t.workspaceId}/sandbox`;
  const as = (userId: string) => ({
    get: (path: string) => request(w.app).get(path).set(TEST_USER_HEADER, userId),
    post: (path: string, body: object) => request(w.app).post(path).set(TEST_USER_HEADER, userId).send(body),
  });
  const owner = () => as(t.members.owner.userId);

  beforeAll(async () => {
    w = buildWorkspaceApp();
    t = await seedTenant(w.reset(), 'S', 1, NOW);
    igUserId = (await w.repos().accounts.listByWorkspace(t.workspaceId))[0]!.igUserId;
    shop = await startReceiver();
    sim = await createSimulator({ appId: 'sandbox-app', appSecret: SECRET, webhookUrl: shop.url, accounts: [{ igUserId, username: 'tenant_s_shop' }] });
    sim.subscribe(igUserId);
    w.container.rebind(TOKENS.Sandbox).toConstantValue(simulatorSandbox(sim));
  });
  afterAll(async () => {
    await sim?.close();
    await shop?.close();
  });

  it('answers a 404 problem (sandbox.not_active) on every sandbox route when no simulator runs', async () => {
    const bare = buildWorkspaceApp();
    const tenant = await seedTenant(bare.reset(), 'N', 2, NOW);
    bare.container.unbind(TOKENS.Sandbox);
    const who = tenant.members.owner.userId;
    const answers = [
      await request(bare.app).get(`/api/workspaces/${tenant.workspaceId}/sandbox`).set(TEST_USER_HEADER, who),
      await request(bare.app).post(`/api/workspaces/${tenant.workspaceId}/sandbox/customers`).set(TEST_USER_HEADER, who).send({ username: 'ana' }),
      await request(bare.app).post(`/api/workspaces/${tenant.workspaceId}/sandbox/sends`).set(TEST_USER_HEADER, who).send({ igsid: '1', kind: 'dm', text: 'hi' }),
    ];
    for (const res of answers) {
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ type: 'https://palette.dev/problems/not-found', code: 'sandbox.not_active' });
    }
  });

  it('creates a customer whose DM, story reply and comment reach the shop webhook as Instagram posts them', async () => {
    const created = await owner().post(`${base()}/customers`, { username: '@marta.rose', name: 'Marta Rose' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'marta.rose', name: 'Marta Rose', conversationId: null, messages: [] });
    const igsid = created.body.igsid as string;
    expect(igsid).toMatch(/^\d{17}$/);

    const before = shop.received.length;
    const dm = await owner().post(`${base()}/sends`, { igsid, kind: 'dm', text: 'How much is the tote?' });
    expect(dm.status).toBe(201);
    expect(dm.body).toMatchObject({ kind: 'dm', text: 'How much is the tote?', delivered: true, skipped: null, username: 'marta.rose' });
    const story = await owner().post(`${base()}/sends`, { igsid, kind: 'story_reply', text: 'Love this one', storyId: '1790000000000001' });
    const comment = await owner().post(`${base()}/sends`, { igsid, kind: 'comment', text: 'Price?', mediaId: '1790000000000002' });
    expect([story.status, comment.status]).toEqual([201, 201]);
    expect(comment.body.commentId).toMatch(/^\d+$/);

    // Signed like Meta's, for this account, in order.
    const posted = shop.received.slice(before);
    expect(posted).toHaveLength(3);
    for (const r of posted) expect(r.headers['x-hub-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const entries = entriesOf({ ...shop, received: posted });
    expect(entries.every((e) => e.id === igUserId)).toBe(true);
    const [m1, m2] = entries.flatMap((e) => e.messaging ?? []);
    expect(m1).toMatchObject({ sender: { id: igsid }, recipient: { id: igUserId }, message: { mid: dm.body.mid, text: 'How much is the tote?' } });
    expect(m2).toMatchObject({ sender: { id: igsid }, message: { mid: story.body.mid, text: 'Love this one', reply_to: { story: { id: '1790000000000001' } } } });
    const change = entries.flatMap((e) => e.changes ?? [])[0]!;
    expect(change).toMatchObject({ field: 'comments', value: { id: comment.body.commentId, text: 'Price?', from: { id: igsid, username: 'marta.rose' }, media: { id: '1790000000000002' } } });

    const state = await owner().get(base());
    expect(state.status).toBe(200);
    expect(state.body.account).toMatchObject({ igUserId, username: expect.any(String) });
    const marta = state.body.customers.find((c: { igsid: string }) => c.igsid === igsid);
    expect(marta.messages.map((m: { from: string; text: string }) => [m.from, m.text])).toEqual([['customer', 'How much is the tote?'], ['customer', 'Love this one']]);
    expect(state.body.sends.slice(0, 3).map((s: { kind: string }) => s.kind)).toEqual(['comment', 'story_reply', 'dm']);
  });

  it("shows the shop's reply (from Instagram's echo) in the thread, and lets the customer react only to a message of that thread", async () => {
    const igsid = (await owner().post(`${base()}/customers`, { username: 'joao_p' })).body.igsid as string;
    await owner().post(`${base()}/sends`, { igsid, kind: 'dm', text: 'Hello?' });
    // The shop answers through the Send API, as the worker does; the simulator echoes it to the webhook.
    const token = sim.issueToken({ igUserId });
    const sent = await fetch(`${sim.url}/v25.0/me/messages`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ recipient: { id: igsid }, message: { text: 'Hi João! How can we help?' } }),
    });
    expect(sent.status).toBe(200);
    const shopMid = ((await sent.json()) as { message_id: string }).message_id;
    await sim.idle();

    const thread = (await owner().get(base())).body.customers.find((c: { igsid: string }) => c.igsid === igsid).messages as Array<{ mid: string; from: string; text: string }>;
    expect(thread.map((m) => [m.from, m.text])).toEqual([['customer', 'Hello?'], ['shop', 'Hi João! How can we help?']]);
    expect(thread[1]!.mid).toBe(shopMid);

    const before = shop.received.length;
    const reaction = await owner().post(`${base()}/sends`, { igsid, kind: 'reaction', mid: shopMid, emoji: '🔥' });
    expect(reaction.status).toBe(201);
    expect(reaction.body).toMatchObject({ kind: 'reaction', text: '🔥', mid: shopMid, delivered: true });
    const posted = entriesOf({ ...shop, received: shop.received.slice(before) }).flatMap((e) => e.messaging ?? []);
    expect(posted).toEqual([expect.objectContaining({ sender: { id: igsid }, reaction: expect.objectContaining({ mid: shopMid, action: 'react', emoji: '🔥' }) })]);

    const unknownMid = await owner().post(`${base()}/sends`, { igsid, kind: 'reaction', mid: 'not-a-message-of-this-thread' });
    expect(unknownMid.status).toBe(404);
    expect(unknownMid.body.type).toBe('https://palette.dev/problems/not-found');
  });

  it('refuses bad input with problem+json and acts only as customers of this sandbox', async () => {
    const unknown = await owner().post(`${base()}/sends`, { igsid: '12345678901234567', kind: 'dm', text: 'hi' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe('https://palette.dev/problems/not-found');
    for (const body of [{ igsid: '1', kind: 'dm', text: '   ' }, { igsid: '1', kind: 'shout', text: 'x' }, { igsid: 'abc', kind: 'dm', text: 'x' }, { igsid: '1', kind: 'reaction' }, { igsid: '1', kind: 'dm', text: 'x', extra: 1 }]) {
      const res = await owner().post(`${base()}/sends`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.type).toBe('https://palette.dev/problems/validation');
    }
    const badHandle = await owner().post(`${base()}/customers`, { username: 'no spaces please' });
    expect(badHandle.status).toBe(400);
    expect(badHandle.body.errors[0].path).toBe('body.username');
    // An analyst reads no message content; an agent may watch but not play customers.
    expect((await as(t.members.analyst.userId).get(base())).status).toBe(403);
    expect((await as(t.members.agent.userId).get(base())).status).toBe(200);
    expect((await as(t.members.agent.userId).post(`${base()}/customers`, { username: 'agent_made' })).status).toBe(403);
  });

  it('answers 409 (sandbox.not_connected) and an empty sandbox when the workspace account is not the simulator\'s', async () => {
    const other = await seedTenant(w.repos(), 'O', 3, NOW);
    const who = other.members.owner.userId;
    const state = await request(w.app).get(`/api/workspaces/${other.workspaceId}/sandbox`).set(TEST_USER_HEADER, who);
    expect(state.status).toBe(200);
    expect(state.body).toEqual({ account: null, customers: [], sends: [] });
    const res = await request(w.app).post(`/api/workspaces/${other.workspaceId}/sandbox/customers`).set(TEST_USER_HEADER, who).send({ username: 'ana' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ type: 'https://palette.dev/problems/conflict', code: 'sandbox.not_connected' });
  });

  it('lists recent sends newest first, bounded, whatever was sent (property)', async () => {
    const quiet = await createSimulator({ appId: 'sandbox-app', appSecret: SECRET, accounts: [{ igUserId: '17841499999999999' }] });
    try {
      const port = simulatorSandbox(quiet);
      const customer = port.addCustomer('17841499999999999', { username: 'prop', name: null });
      let total = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.constantFrom('dm', 'story_reply', 'comment'), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 20 }), async (kinds, limit) => {
          for (const kind of kinds) await port.send('17841499999999999', customer.igsid, { kind: kind as 'dm', text: `n${total++}` });
          const listed = port.sends('17841499999999999', limit);
          expect(listed.length).toBe(Math.min(limit, total));
          // Newest first: ids strictly decrease, and the first is the last sent.
          expect(listed[0]!.text).toBe(`n${total - 1}`);
          for (let i = 1; i < listed.length; i++) expect(listed[i - 1]!.id).toBeGreaterThan(listed[i]!.id);
          // No webhook URL: nothing is delivered, and the send says why.
          expect(listed.every((s) => !s.delivered && s.skipped === 'no webhook URL configured')).toBe(true);
        }),
        { numRuns: 25 },
      );
    } finally {
      await quiet.close();
    }
  });
});
