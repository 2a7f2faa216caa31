import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyHubSignature } from '../../src/crypto/index.js';
import { parseWebhookDelivery } from '../../src/instagram/index.js';
import type { FaultSpec } from '../../src/instagram/index.js';
import { APP_SECRET, CUSTOMER, IG, connect, harness } from './harness.js';
import type { Harness } from './harness.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
let h: Harness;
let token: string;

beforeEach(async () => {
  h = await harness();
  token = connect(h.sim);
});
afterEach(async () => { await h.close(); });

const text = (t: string, tag: 'HUMAN_AGENT' | null = null) => h.client.send({ accessToken: token, igUserId: IG, recipient: { igsid: CUSTOMER }, payload: { type: 'text', text: t }, tag });
const customerSays = (t = 'Is the linen shirt in M available?') => h.sim.customerSends({ igUserId: IG, igsid: CUSTOMER, text: t });

describe('Send API within and outside the window', () => {
  it('sends inside 24 h, returns the mid, and the signed echo carries the same mid', async () => {
    await customerSays();
    await h.receiver.waitFor(1);
    const sent = await text('Yes, size M is in stock.');
    if (!sent.ok) throw new Error(JSON.stringify(sent.error));
    await h.sim.idle();
    const [, echo] = await h.receiver.waitFor(2);
    expect(verifyHubSignature(echo!.raw, echo!.headers['x-hub-signature-256'] as string, APP_SECRET)).toBe(true);
    const events = parseWebhookDelivery(JSON.parse(echo!.raw.toString()));
    expect(events.events.map((e) => e.event)).toEqual([expect.objectContaining({ kind: 'echo', igUserId: IG, recipientIgsid: CUSTOMER, mid: sent.value.platformMessageId, text: 'Yes, size M is in stock.' })]);
  });

  it('refuses a recipient who never wrote, and one who is unavailable', async () => {
    expect(await text('hello')).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
    await customerSays();
    h.sim.setCustomerUnavailable(IG, CUSTOMER);
    expect(await text('hello')).toEqual({ ok: false, error: { kind: 'RecipientUnavailable' } });
  });

  it('closes the standard window at 24 h (403 10/2534022) → WindowClosed', async () => {
    await customerSays();
    h.sim.advanceTime(DAY - 1);
    expect((await text('still in time')).ok).toBe(true);
    h.sim.advanceTime(1);
    expect(await text('too late')).toEqual({ ok: false, error: { kind: 'WindowClosed' } });
    const raw = await fetch(`${h.sim.url}/v25.0/${IG}/messages`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ recipient: { id: CUSTOMER }, message: { text: 'x' } }) });
    expect(raw.status).toBe(403);
    expect(await raw.json()).toMatchObject({ error: { message: 'This message is sent outside of allowed window.', type: 'IGApiException', code: 10, error_subcode: 2534022 } });
  });

  it('allows HUMAN_AGENT at 3 days and refuses it at 8 days', async () => {
    await customerSays();
    h.sim.advanceTime(3 * DAY);
    expect((await text('An agent here, sorry for the wait.', 'HUMAN_AGENT')).ok).toBe(true);
    expect(await text('bot reply', null)).toEqual({ ok: false, error: { kind: 'WindowClosed' } });
    h.sim.advanceTime(5 * DAY);
    expect(await text('too late even for a human', 'HUMAN_AGENT')).toEqual({ ok: false, error: { kind: 'WindowClosed' } });
  });

  it('a new customer message reopens the window', async () => {
    await customerSays();
    h.sim.advanceTime(2 * DAY);
    await customerSays('hello again');
    expect((await text('welcome back')).ok).toBe(true);
  });

  it('splits long multi-byte text into ≤1000-byte parts sent in order, each echoed', async () => {
    await customerSays();
    const long = `${'日本語のテキスト'.repeat(60)} ${'😀 emoji '.repeat(80)}`;
    const sent = await text(long);
    if (!sent.ok) throw new Error(JSON.stringify(sent.error));
    expect(sent.value.platformMessageIds.length).toBeGreaterThan(2);
    expect(sent.value.platformMessageId).toBe(sent.value.platformMessageIds.at(-1));
    await h.sim.idle();
    const echoes = h.receiver.received.slice(1).flatMap((r) => parseWebhookDelivery(JSON.parse(r.raw.toString())).events.map((e) => e.event));
    expect(echoes.map((e) => e.kind === 'echo' && e.mid)).toEqual(sent.value.platformMessageIds);
    for (const e of echoes) expect(Buffer.byteLength(e.kind === 'echo' ? e.text ?? '' : '', 'utf8')).toBeLessThanOrEqual(1000);
    expect(echoes.map((e) => (e.kind === 'echo' ? e.text : '')).join('').replace(/\s/g, '')).toBe(long.replace(/\s/g, ''));
  });

  it('the simulator itself refuses text over 1000 bytes with code 100', async () => {
    await customerSays();
    const res = await fetch(`${h.sim.url}/v25.0/me/messages`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ recipient: { id: CUSTOMER }, messaging_type: 'RESPONSE', message: { text: 'é'.repeat(501) } }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 100 } });
  });

  it('sends images, product cards, typing indicators and reactions', async () => {
    const { client } = h;
    const { mid } = await customerSays();
    const base = { accessToken: token, igUserId: IG, recipient: { igsid: CUSTOMER }, tag: null } as const;
    expect((await client.send({ ...base, payload: { type: 'image', url: 'https://cdn.palette.test/shirt.jpg' } })).ok).toBe(true);
    const cards = Array.from({ length: 10 }, (_, i) => ({ title: `Linen shirt ${i}`, subtitle: '€49', imageUrl: 'https://cdn.palette.test/s.jpg', url: 'https://palette.test/p/1', payload: `SKU:${i}` }));
    expect((await client.send({ ...base, payload: { type: 'products', cards } })).ok).toBe(true);
    expect((await client.send({ ...base, payload: { type: 'text', text: 'Which size?', quickReplies: [{ title: 'S', payload: 'S' }, { title: 'M', payload: 'M' }] } })).ok).toBe(true);
    expect(await client.typing({ accessToken: token, igUserId: IG, igsid: CUSTOMER, on: true })).toEqual({ ok: true, value: undefined });
    expect(await client.react({ accessToken: token, igUserId: IG, igsid: CUSTOMER, messageId: mid!, emoji: '❤️' })).toEqual({ ok: true, value: undefined });
    expect(await client.unreact({ accessToken: token, igUserId: IG, igsid: CUSTOMER, messageId: mid! })).toEqual({ ok: true, value: undefined });
    expect((await client.react({ accessToken: token, igUserId: IG, igsid: CUSTOMER, messageId: 'unknown', emoji: '❤️' })).ok).toBe(false);
  });

  it('private replies: once per comment, within 7 days, without opening the DM window', async () => {
    const { client, sim } = h;
    const { commentId } = await sim.customerSends({ igUserId: IG, igsid: '5561203398874410', username: 'maria.buys.linen', comment: { text: 'PRICE? dm me please' } });
    const reply = (id: string) => client.send({ accessToken: token, igUserId: IG, recipient: { commentId: id }, payload: { type: 'text', text: 'Sent you the price!' }, tag: null });
    expect((await reply(commentId!)).ok).toBe(true);
    expect(await reply(commentId!)).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
    expect((await client.send({ accessToken: token, igUserId: IG, recipient: { igsid: '5561203398874410' }, payload: { type: 'text', text: 'follow-up' }, tag: null })).ok).toBe(false);
    const { commentId: old } = await sim.customerSends({ igUserId: IG, igsid: '77', comment: { text: 'how much?' } });
    sim.advanceTime(7 * DAY);
    expect(await reply(old!)).toEqual({ ok: false, error: { kind: 'WindowClosed' } });
  });

  it('never logs a token', async () => {
    await text('no window yet');
    h.sim.injectFault(IG, { kind: 'serverError' }, { calls: 1 });
    await customerSays();
    await text('boom');
    expect(h.logs.length).toBeGreaterThan(0);
    for (const line of h.logs) expect(line).not.toContain(token);
  });
});

describe('fault modes map to SendFailure', () => {
  const cases: Array<[string, FaultSpec, unknown]> = [
    ['5xx', { kind: 'serverError', status: 503 }, { kind: 'Transient' }],
    ['429 with code 4', { kind: 'rateLimit', code: 4, httpStatus: 429 }, { kind: 'RateLimited', retryAfterMs: 1234 }],
    ['613', { kind: 'rateLimit', code: 613, httpStatus: 400 }, { kind: 'RateLimited', retryAfterMs: 1234 }],
    ['80002 with regain time', { kind: 'bucLimit', regainMinutes: 12 }, { kind: 'RateLimited', retryAfterMs: 12 * 60_000 }],
    ['expired token', { kind: 'tokenExpired' }, { kind: 'TokenInvalid' }],
    ['connection reset', { kind: 'connectionReset' }, { kind: 'Transient' }],
    ['latency past the client timeout', { kind: 'latency', ms: 1700 }, { kind: 'Transient', message: 'timed out after 1500 ms' }],
  ];
  for (const [name, fault, expected] of cases) {
    it(name, async () => {
      await customerSays();
      h.sim.injectFault(IG, fault, { calls: 1 });
      const r = await text('hello');
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatchObject(expected as object);
      await new Promise((resolve) => setTimeout(resolve, name.startsWith('latency') ? 300 : 0));
      expect((await text('and now it works')).ok).toBe(true);
    });
  }

  it('a fault "for N seconds" ends when the simulated time passes', async () => {
    await customerSays();
    h.sim.injectFault(IG, { kind: 'serverError' }, { forMs: 5000 });
    expect((await text('a')).ok).toBe(false);
    expect((await text('b')).ok).toBe(false);
    h.sim.advanceTime(5000);
    expect((await text('c')).ok).toBe(true);
  });

  it('faults switch on and off through the admin API too', async () => {
    await customerSays();
    const post = (path: string, body: unknown, method = 'POST') => fetch(`${h.sim.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/__admin/faults', { igUserId: IG, fault: { kind: 'tokenExpired' } })).status).toBe(200);
    expect(await text('x')).toEqual({ ok: false, error: { kind: 'TokenInvalid' } });
    expect((await post('/__admin/faults', { igUserId: IG }, 'DELETE')).status).toBe(200);
    expect((await text('y')).ok).toBe(true);
  });

  it('a small latency only slows the call down', async () => {
    await customerSays();
    h.sim.injectFault(IG, { kind: 'latency', ms: 120 }, { calls: 1 });
    const t0 = Date.now();
    expect((await text('slow')).ok).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
  });
});

describe('rate limits and usage', () => {
  it('a burst above 100 text calls/s gets 613 → RateLimited, and the per-second counter reports it', async () => {
    // The clock is frozen, so all 120 calls fall in one simulated second however long they take; the
    // client's timeout is lifted so a loaded machine cannot turn slow answers into failures.
    await h.close();
    h = await harness({}, { timeoutMs: 60_000 });
    token = connect(h.sim);
    await customerSays();
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => text(`msg ${i}`)));
    const limited = results.filter((r) => !r.ok);
    expect(results.filter((r) => r.ok)).toHaveLength(100);
    expect(limited).toHaveLength(20);
    for (const r of limited) expect(!r.ok && r.error.kind).toBe('RateLimited');
    const stats = h.sim.stats(IG);
    expect(stats.maxSendCallsPerSecond).toBe(120);
    expect(stats.rejectedForRate).toBe(20);
    expect(h.client.isNearLimit(IG)).toBe(true);
    h.sim.advanceTime(1000);
    expect((await text('next second')).ok).toBe(true);
  });

  it('media has its own 10/s limit', async () => {
    await customerSays();
    const img = () => h.client.send({ accessToken: token, igUserId: IG, recipient: { igsid: CUSTOMER }, payload: { type: 'image', url: 'https://cdn.palette.test/a.jpg' }, tag: null });
    const results = [];
    for (let i = 0; i < 11; i++) results.push(await img());
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(results.at(-1)).toMatchObject({ ok: false, error: { kind: 'RateLimited' } });
    expect((await text('text still flows')).ok).toBe(true);
  });

  it('reports BUC usage so a limiter can slow down above 80%', async () => {
    await customerSays();
    expect((await text('one')).ok).toBe(true);
    expect(h.client.usageFor(IG)!.maxPercent).toBe(1);
    expect(h.client.isNearLimit(IG)).toBe(false);
    h.sim.injectFault(IG, { kind: 'usage', percent: 85 }, { calls: 1 });
    expect((await text('two')).ok).toBe(true);
    expect(h.client.usageFor(IG)!.maxPercent).toBe(85);
    expect(h.client.isNearLimit(IG)).toBe(true);
  });
});

describe('Conversations API', () => {
  it('lists conversations newest first with paging, and reads only the 20 most recent messages', async () => {
    const { sim, client } = h;
    for (let i = 0; i < 3; i++) {
      await sim.customerSends({ igUserId: IG, igsid: `10${i}`, text: `hi from ${i}` });
      sim.advanceTime(1000);
    }
    for (let i = 0; i < 25; i++) {
      await sim.customerSends({ igUserId: IG, igsid: CUSTOMER, text: `message ${i}` });
      sim.advanceTime(600);
    }
    const page1 = await client.listConversations(token, { limit: 2 });
    if (!page1.ok) throw new Error(JSON.stringify(page1.error));
    expect(page1.value.items).toHaveLength(2);
    expect(page1.value.nextCursor).not.toBeNull();
    sim.advanceTime(1000);
    const page2 = await client.listConversations(token, { limit: 2, after: page1.value.nextCursor! });
    expect(page2.ok && page2.value.items).toHaveLength(2);
    expect(page2.ok && page2.value.nextCursor).toBeNull();
    const ids = [...page1.value.items, ...(page2.ok ? page2.value.items : [])];
    expect(ids.map((c) => c.updatedTime.getTime())).toEqual([...ids.map((c) => c.updatedTime.getTime())].sort((a, b) => b - a));
    sim.advanceTime(1000);
    const msgs = await client.conversationMessages(token, ids[0]!.id);
    if (!msgs.ok) throw new Error(JSON.stringify(msgs.error));
    expect(msgs.value.items).toHaveLength(20);
    expect(msgs.value.items[0]!.text).toBe('message 24');
    expect(msgs.value.items[0]!.from).toEqual({ id: CUSTOMER, username: `customer_${CUSTOMER.slice(-4)}` });
    expect(msgs.value.nextCursor).toBeNull();
  });

  it('allows 2 conversation calls per second', async () => {
    await customerSays();
    const results = await Promise.all([1, 2, 3].map(() => h.client.listConversations(token)));
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(!results[2]!.ok && results[2]!.error.kind).toBe('RateLimited');
  });
});
