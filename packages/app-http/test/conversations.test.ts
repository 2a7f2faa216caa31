import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ids, ReceiveInboundMessage, type JobQueue, type JobRequest, type Repositories } from '@palette/domain';
import { TOKENS } from '../src/tokens.js';
import { buildWorkspaceApp, seedTenant, TEST_USER_HEADER, type Tenant, type WorkspaceApp } from './support/workspace-fixtures.js';

const NOW = new Date('2026-03-01T09:00:00Z');
const HOUR = 3600_000;
const convId = (t: Tenant) => t.workspaceId.replace(/[0-9a-f]{12}$/, '000000000403');
const base = (t: Tenant) => `/api/workspaces/${t.workspaceId}/conversations`;

let w: WorkspaceApp;
let a: Tenant;
let b: Tenant;
let jobs: JobRequest[];

/** The customer writes (through the real use case) at the clock's current time. */
async function customerWrites(t: Tenant, n: number, mid: string, text: string): Promise<void> {
  const repos = w.repos();
  const receive = new ReceiveInboundMessage({ ...repos, metrics: repos.metrics, clock: w.clock, ids: w.container.get(TOKENS.Ids) });
  const done = await receive.execute({ igUserId: `17841400000000${n}`, senderIgsid: `74321000000${n}`, platformMessageId: mid, text, attachments: [], replyTo: null, sentAt: w.clock.now(), entryPoint: 'organic_dm' });
  if (!done.ok || done.value.duplicate) throw new Error(`inbound not recorded: ${JSON.stringify(done)}`);
}

const as = (t: Tenant, role: keyof Tenant['members'] = 'agent') => ({ [TEST_USER_HEADER]: t.members[role].userId });

beforeEach(async () => {
  w = buildWorkspaceApp();
  const repos: Repositories = w.reset();
  w.clock.set(NOW);
  a = await seedTenant(repos, 'A', 1, NOW);
  b = await seedTenant(repos, 'B', 2, NOW);
  jobs = [];
  const queue: JobQueue = { enqueue: async (job) => { jobs.push(job); } };
  if (w.container.isBound(TOKENS.JobQueue)) w.container.rebind(TOKENS.JobQueue).toConstantValue(queue);
  else w.container.bind(TOKENS.JobQueue).toConstantValue(queue);
});

describe('GET /conversations (the inbox)', () => {
  it('lists threads newest activity first with contact, owner, unread, preview, entry point and the window', async () => {
    w.clock.set(new Date(NOW.getTime() + HOUR));
    await customerWrites(a, 1, 'mid-a-2', 'Is the blue vase still available?');
    w.clock.set(new Date(NOW.getTime() + 4 * HOUR));
    const res = await request(w.app).get(base(a)).set(as(a));
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items).toHaveLength(1);
    const item = res.body.items[0];
    expect(item).toMatchObject({
      id: convId(a), owner: 'assistant', unread: true, unreadCount: 1, entryPoint: 'organic_dm',
      contact: { username: 'customer', displayName: 'Customer', anonymized: false },
      lastMessage: { direction: 'inbound', authorKind: 'customer', text: 'Is the blue vase still available?' },
      window: { status: 'open', closesAt: new Date(NOW.getTime() + 25 * HOUR).toISOString(), humanAgentUntil: new Date(NOW.getTime() + HOUR + 7 * 24 * HOUR).toISOString() },
    });
    expect(JSON.stringify(res.body)).not.toContain('FIXTURE-DM-B');
  });

  it('filters by owner, unread, entry point and search, pages with a cursor, and rejects bad input', async () => {
    await customerWrites(a, 1, 'mid-a-2', 'price of the lamp?');
    const get = (q: string) => request(w.app).get(`${base(a)}?${q}`).set(as(a));
    expect((await get('owner=assistant')).body.items).toHaveLength(1);
    expect((await get('owner=human')).body.items).toHaveLength(0);
    expect((await get('unread=true')).body.items).toHaveLength(1);
    expect((await get('unread=false')).body.items).toHaveLength(0);
    expect((await get('entryPoint=ad_referral')).body.items).toHaveLength(0);
    expect((await get('q=LAMP')).body.items).toHaveLength(1);
    expect((await get('q=customer')).body.items).toHaveLength(1);
    expect((await get('q=nothing-like-this')).body.items).toHaveLength(0);
    for (const bad of ['owner=robot', 'unread=maybe', 'entryPoint=billboard', 'limit=0', 'limit=101', 'cursor=not-ours', `q=${'x'.repeat(101)}`]) {
      const res = await get(bad);
      expect(res.status, bad).toBe(400);
      expect(res.body.type).toBe('https://palette.dev/problems/validation');
    }
    // A second thread (another contact) and a page of one.
    const repos = w.repos();
    const ids = w.container.get(TOKENS.Ids);
    const receive = new ReceiveInboundMessage({ ...repos, clock: w.clock, ids });
    w.clock.advance(60_000);
    await receive.execute({ igUserId: '178414000000001', senderIgsid: '999', platformMessageId: 'mid-new', text: 'hi', attachments: [], replyTo: null, sentAt: w.clock.now(), entryPoint: 'story_reply' });
    const first = await get('limit=1');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.items[0].entryPoint).toBe('story_reply');
    const second = await get(`limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((i: { id: string }) => i.id)).toEqual([convId(a)]);
    expect(second.body.nextCursor).toBeNull();
    expect((await get('entryPoint=story_reply')).body.items).toHaveLength(1);
  });

  it('keeps analysts out of conversations and message text', async () => {
    for (const path of [base(a), `${base(a)}/${convId(a)}`, `/api/workspaces/${a.workspaceId}/events`]) {
      const res = await request(w.app).get(path).set(as(a, 'analyst'));
      expect(res.status, path).toBe(403);
      expect(res.text).not.toContain('FIXTURE-DM');
    }
  });
});

describe('a conversation and its reply box', () => {
  it('shows messages newest first with author kinds, attachments and reactions, paged', async () => {
    const repos = w.repos();
    const first = (await repos.messages.listByConversation(a.workspaceId, Ids.conversation(convId(a))))[0]!;
    first.react({ by: 'merchant', emoji: '❤️', at: NOW });
    await repos.messages.save(first);
    w.clock.advance(1000);
    const receive = new ReceiveInboundMessage({ ...repos, clock: w.clock, ids: w.container.get(TOKENS.Ids) });
    await receive.execute({ igUserId: '178414000000001', senderIgsid: '743210000001', platformMessageId: 'mid-img', text: null, attachments: [{ type: 'image', url: 'https://cdn.example/1.jpg' }], replyTo: null, sentAt: w.clock.now(), entryPoint: 'organic_dm' });
    const res = await request(w.app).get(`${base(a)}/${convId(a)}?limit=1`).set(as(a));
    expect(res.status).toBe(200);
    expect(res.body.messages.items).toHaveLength(1);
    expect(res.body.messages.items[0]).toMatchObject({ authorKind: 'customer', text: null, attachments: [{ type: 'image', url: 'https://cdn.example/1.jpg' }], deliveryState: 'received' });
    const older = await request(w.app).get(`${base(a)}/${convId(a)}?limit=1&cursor=${res.body.messages.nextCursor}`).set(as(a));
    expect(older.body.messages.items[0]).toMatchObject({ text: a.messageText, reactions: [{ by: 'merchant', emoji: '❤️', at: NOW.toISOString() }] });
    expect(older.body.messages.nextCursor).toBeNull();
  });

  it('queues a reply inside the window, and says so beforehand', async () => {
    await customerWrites(a, 1, 'mid-a-2', 'hello?');
    w.clock.advance(21 * HOUR);
    const policy = await request(w.app).get(`${base(a)}/${convId(a)}/reply-policy`).set(as(a));
    expect(policy.body).toMatchObject({ allowed: true, outcome: 'send', tag: null, reason: null, takesOver: true, summary: 'Window closes in 3 h.', window: { status: 'open' } });
    const sent = await request(w.app).post(`${base(a)}/${convId(a)}/messages`).set(as(a)).send({ text: 'Yes, it is!' });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ outcome: 'queued', tag: null, messages: [{ authorKind: 'agent', direction: 'outbound', text: 'Yes, it is!', deliveryState: 'pending' }] });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ name: 'outbound.send', data: { tag: null } });
    // Replying took the thread over from the assistant.
    const list = await request(w.app).get(base(a)).set(as(a));
    expect(list.body.items[0].owner).toBe('human');
  });

  it('applies the HUMAN_AGENT tag between 24 h and 7 days for a human author', async () => {
    await customerWrites(a, 1, 'mid-a-2', 'hello?');
    w.clock.advance(30 * HOUR);
    const policy = await request(w.app).get(`${base(a)}/${convId(a)}/reply-policy`).set(as(a));
    expect(policy.body).toMatchObject({ allowed: true, tag: 'HUMAN_AGENT', window: { status: 'human_agent_only' } });
    expect(policy.body.summary).toMatch(/^Human-agent window: 5 days left/);
    const sent = await request(w.app).post(`${base(a)}/${convId(a)}/messages`).set(as(a)).send({ text: 'Sorry for the wait' });
    expect(sent.status).toBe(202);
    expect(sent.body.tag).toBe('HUMAN_AGENT');
    expect(jobs.map((j) => (j.data as { tag: unknown }).tag)).toEqual(['HUMAN_AGENT']);
  });

  it('refuses a reply after 7 days with 422 naming the reason, and records the refused message', async () => {
    await customerWrites(a, 1, 'mid-a-2', 'hello?');
    w.clock.advance(8 * 24 * HOUR);
    const policy = await request(w.app).get(`${base(a)}/${convId(a)}/reply-policy`).set(as(a));
    expect(policy.body).toMatchObject({ allowed: false, outcome: 'refuse', reason: 'human_agent_window_closed', window: { status: 'closed' } });
    const sent = await request(w.app).post(`${base(a)}/${convId(a)}/messages`).set(as(a)).send({ text: 'Still there?' });
    expect(sent.status).toBe(422);
    expect(sent.headers['content-type']).toContain('application/problem+json');
    expect(sent.body).toMatchObject({ type: 'https://palette.dev/problems/unprocessable', code: 'reply.human_agent_window_closed', reason: 'human_agent_window_closed' });
    expect(jobs).toEqual([]);
    const thread = await request(w.app).get(`${base(a)}/${convId(a)}`).set(as(a));
    expect(thread.body.messages.items[0]).toMatchObject({ id: sent.body.messageIds[0], text: 'Still there?', deliveryState: 'refused', holdReason: 'human_agent_window_closed' });
  });

  it('refuses before the customer ever wrote, rejects bad bodies, and replays an Idempotency-Key', async () => {
    const none = await request(w.app).post(`${base(a)}/${convId(a)}/messages`).set(as(a)).send({ text: 'Hi!' });
    expect(none.status).toBe(422);
    expect(none.body.code).toBe('reply.no_customer_message');
    for (const body of [{}, { text: '   ' }, { text: 'x'.repeat(4001) }, { text: 'ok', extra: 1 }, { text: 5 }]) {
      const res = await request(w.app).post(`${base(a)}/${convId(a)}/messages`).set(as(a)).send(body);
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBe(400);
    }
    await customerWrites(a, 1, 'mid-a-2', 'hello?');
    const send = () => request(w.app).post(`${base(a)}/${convId(a)}/messages`).set(as(a)).set('Idempotency-Key', 'reply-1').send({ text: 'Once only' });
    const one = await send();
    const two = await send();
    expect(one.status).toBe(202);
    expect(two.status).toBe(202);
    expect(two.headers['idempotent-replayed']).toBe('true');
    expect(two.body).toEqual(one.body);
    expect(jobs).toHaveLength(1);
    const other = await request(w.app).post(`${base(a)}/${convId(a)}/messages`).set(as(a)).set('Idempotency-Key', 'reply-1').send({ text: 'Different' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency.key_reused');
  });
});

describe('take over, hand back, read', () => {
  it('moves the owner and resets unread; agents may, analysts may not', async () => {
    await customerWrites(a, 1, 'mid-a-2', 'hello?');
    const taken = await request(w.app).post(`${base(a)}/${convId(a)}/takeover`).set(as(a));
    expect(taken.status).toBe(200);
    expect(taken.body.owner).toBe('human');
    expect((await w.repos().conversations.get(a.workspaceId, Ids.conversation(convId(a))))!.acceptsAutomatedReplies()).toBe(false);
    const back = await request(w.app).post(`${base(a)}/${convId(a)}/handback`).set(as(a));
    expect(back.body.owner).toBe('assistant');
    expect(back.body.unread).toBe(true);
    const read = await request(w.app).post(`${base(a)}/${convId(a)}/read`).set(as(a));
    expect(read.body).toMatchObject({ unread: false, unreadCount: 0 });
    expect((await request(w.app).post(`${base(a)}/${convId(a)}/takeover`).set(as(a, 'analyst'))).status).toBe(403);
  });
});

describe('tenant isolation', () => {
  it("answers 404 for another workspace's conversation and changes nothing there", async () => {
    for (const [method, suffix] of [['get', ''], ['get', '/reply-policy'], ['post', '/takeover'], ['post', '/handback'], ['post', '/read'], ['post', '/messages']] as const) {
      const res = await request(w.app)[method](`${base(a)}/${convId(b)}${suffix}`).set(as(a, 'owner')).send(method === 'post' && suffix === '/messages' ? { text: 'x' } : undefined);
      expect(res.status, suffix).toBe(404);
      expect(res.text).not.toContain(b.messageText);
    }
    // A member of B gets a 404 for A's workspace as a whole.
    expect((await request(w.app).get(base(a)).set(as(b, 'owner'))).status).toBe(404);
    const bThread = await w.repos().conversations.get(b.workspaceId, Ids.conversation(convId(b)));
    expect(bThread!.owner).toBe('assistant');
    expect((await w.repos().messages.listByConversation(b.workspaceId, Ids.conversation(convId(b)))).map((m) => m.text)).toEqual([b.messageText]);
  });
});

describe('GET /events', () => {
  it('answers JSON for polling clients: ids of what changed, never text, and only this workspace', async () => {
    w.clock.advance(1000);
    const since = w.clock.now().toISOString();
    await customerWrites(a, 1, 'mid-a-2', 'secret words');
    await customerWrites(b, 2, 'mid-b-2', 'other shop');
    const res = await request(w.app).get(`/api/workspaces/${a.workspaceId}/events?since=${encodeURIComponent(since)}`).set(as(a));
    expect(res.status).toBe(200);
    expect(res.body.items.map((e: { type: string }) => e.type).sort()).toEqual(['conversation.updated', 'message.created']);
    expect(res.body.items.every((e: { conversationId: string }) => e.conversationId === convId(a))).toBe(true);
    expect(res.text).not.toContain('secret words');
    expect((await request(w.app).get(`/api/workspaces/${a.workspaceId}/events?since=yesterday`).set(as(a))).status).toBe(400);
  });

  it('streams a new message as a server-sent event (ids only), and ends the stream when the server shuts down', async () => {
    const server = createServer(w.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/workspaces/${a.workspaceId}/events`;
    const abort = new AbortController();
    try {
      const res = await fetch(url, { headers: { Accept: 'text/event-stream', [TEST_USER_HEADER]: a.members.agent.userId }, signal: abort.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      // Recorded after the stream opened: it must arrive within a couple of polls.
      w.clock.advance(1000);
      await customerWrites(a, 1, 'mid-a-live', 'live one');
      const deadline = Date.now() + 8000;
      while (!text.includes('event: message.created') && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
      expect(text).toContain('retry: 3000');
      expect(text).toContain('event: message.created');
      expect(text).toMatch(new RegExp(`"conversationId":"${convId(a)}"`));
      expect(text).not.toContain('live one');
      // Shutting down: the server stops listening, and the stream ends by itself within a poll.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      let ended = false;
      while (!ended) ended = (await reader.read()).done;
      await closed;
    } finally {
      abort.abort();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 20_000);
});
