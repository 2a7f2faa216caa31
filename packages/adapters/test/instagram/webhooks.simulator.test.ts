import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyHubSignature } from '../../src/crypto/index.js';
import { parseWebhookDelivery } from '../../src/instagram/index.js';
import type { CustomerAction } from '../../src/instagram/index.js';
import { APP_SECRET, CUSTOMER, IG, START, connect, harness } from './harness.js';
import type { Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
  connect(h.sim);
});
afterEach(async () => { await h.close(); });

const body = (i: number) => JSON.parse(h.receiver.received[i]!.raw.toString()) as { object: string; entry: Array<{ id: string; time: number; messaging?: Array<{ timestamp: number }>; changes?: unknown[] }> };

describe('webhook delivery as a fake customer', () => {
  it('posts every kind in Meta\'s shapes, signed, and the adapter parses them all without quarantine', async () => {
    const { sim } = h;
    const { mid } = await sim.customerSends({ igUserId: IG, igsid: CUSTOMER, text: 'Hi!', quickReplyPayload: 'SIZE_M' });
    const actions: CustomerAction[] = [
      { igUserId: IG, igsid: CUSTOMER, attachments: [{ type: 'image', url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1' }] },
      { igUserId: IG, igsid: CUSTOMER, storyReply: { storyId: '18044455566677788', url: 'https://lookaside.fbsbx.com/story', text: 'How much?' } },
      { igUserId: IG, igsid: CUSTOMER, postback: { title: 'Track my order', payload: 'ORDER_STATUS:10482' } },
      { igUserId: IG, igsid: CUSTOMER, reaction: { mid: mid! } },
      { igUserId: IG, igsid: CUSTOMER, reaction: { mid: mid!, action: 'unreact' } },
      { igUserId: IG, igsid: CUSTOMER, read: { mid: mid! } },
      { igUserId: IG, igsid: CUSTOMER, edit: { mid: mid!, text: 'Hi there!' } },
      { igUserId: IG, igsid: CUSTOMER, referral: { ref: 'spring-sale' } },
      { igUserId: IG, igsid: CUSTOMER, unsend: { mid: mid! } },
      { igUserId: IG, igsid: '5561203398874410', username: 'maria.buys.linen', comment: { text: 'PRICE?', mediaProductType: 'REELS' } },
    ];
    for (const a of actions) await sim.customerSends(a);
    const all = await h.receiver.waitFor(actions.length + 1);
    const kinds: string[] = [];
    for (const r of all) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(verifyHubSignature(r.raw, r.headers['x-hub-signature-256'] as string, APP_SECRET)).toBe(true);
      expect(r.headers['x-hub-signature']).toMatch(/^sha1=[0-9a-f]{40}$/);
      const parsed = parseWebhookDelivery(JSON.parse(r.raw.toString()));
      expect(parsed.quarantined).toEqual([]);
      kinds.push(...parsed.events.map((e) => e.event.kind));
    }
    expect(kinds).toEqual(['message', 'message', 'message', 'postback', 'reaction', 'reaction', 'read', 'edit', 'referral', 'unsend', 'comment']);
    // Messaging entries carry milliseconds, comment entries seconds.
    expect(body(0).entry[0]!.time).toBe(START);
    expect(body(actions.length).entry[0]!.time).toBe(Math.floor(START / 1000));
  });

  it('redelivers the same signed bytes N times', async () => {
    const r = await h.sim.customerSends({ igUserId: IG, igsid: CUSTOMER, text: 'dup me' }, { times: 5 });
    expect(r.deliveries.map((d) => d.status)).toEqual([200, 200, 200, 200, 200]);
    const got = await h.receiver.waitFor(5);
    expect(new Set(got.map((g) => g.raw.toString())).size).toBe(1);
    const keys = got.map((g) => parseWebhookDelivery(JSON.parse(g.raw.toString())).events[0]!.dedupeKey);
    expect(new Set(keys).size).toBe(1);
  });

  it('shuffles a batch: same events, another order, timestamps still tell the truth', async () => {
    const actions: CustomerAction[] = Array.from({ length: 12 }, (_, i) => ({ igUserId: IG, igsid: CUSTOMER, text: `part ${i}` }));
    await h.sim.customerSendsBatch(actions, { shuffle: true, seed: 7 });
    const [only] = await h.receiver.waitFor(1);
    const items = parseWebhookDelivery(JSON.parse(only!.raw.toString())).events.map((e) => e.event);
    const texts = items.map((e) => (e.kind === 'message' ? e.text : null));
    expect([...texts].sort()).toEqual(actions.map((a) => ('text' in a ? a.text : '')).sort());
    expect(texts).not.toEqual(actions.map((a) => ('text' in a ? a.text : '')));
    const byTime = [...items].sort((a, b) => a.at.getTime() - b.at.getTime()).map((e) => (e.kind === 'message' ? e.text : null));
    expect(byTime).toEqual(actions.map((a) => ('text' in a ? a.text : '')));
  });

  it('can post a shuffled batch as separate requests, each redelivered', async () => {
    const actions: CustomerAction[] = Array.from({ length: 4 }, (_, i) => ({ igUserId: IG, igsid: CUSTOMER, text: `m${i}` }));
    const results = await h.sim.customerSendsBatch(actions, { shuffle: true, seed: 3, separatePosts: true, times: 2 });
    expect(results.every((r) => r.deliveries.length === 2)).toBe(true);
    await h.receiver.waitFor(8);
    expect(h.receiver.received.every((r) => body(h.receiver.received.indexOf(r)).entry[0]!.messaging!.length === 1)).toBe(true);
  });

  it('retries a failed delivery at once, parks it, and redelivers it later', async () => {
    let fail = true;
    h.receiver.respondWith(() => ({ status: fail ? 500 : 200 }));
    const r = await h.sim.customerSends({ igUserId: IG, igsid: CUSTOMER, text: 'will you get it?' });
    expect(r.deliveries.map((d) => d.status)).toEqual([500, 500]);
    fail = false;
    const later = await h.sim.redeliverFailed();
    expect(later.map((d) => d.status)).toEqual([200]);
    expect(h.receiver.received).toHaveLength(3);
  });

  it('delivers nothing for fields the account is not subscribed to', async () => {
    h.sim.subscribe(IG, ['messages']);
    const r = await h.sim.customerSends({ igUserId: IG, igsid: CUSTOMER, read: { mid: 'x' } });
    expect(r.skipped).toMatch(/messaging_seen/);
    expect(r.deliveries).toEqual([]);
  });

  it('performs the verification handshake', async () => {
    h.receiver.respondWith((req) => {
      const q = new URL(req.path, 'http://x').searchParams;
      return q.get('hub.verify_token') === 'tok' ? { status: 200, body: q.get('hub.challenge')! } : { status: 403 };
    });
    expect((await h.sim.verifyWebhook('tok')).ok).toBe(true);
    expect((await h.sim.verifyWebhook('wrong')).ok).toBe(false);
  });

  it('drives a customer message through the admin API', async () => {
    const res = await fetch(`${h.sim.url}/__admin/customer-sends`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: { igUserId: IG, igsid: CUSTOMER, text: 'via admin' }, times: 2 }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { deliveries: unknown[] }).deliveries).toHaveLength(2);
    const stats = await fetch(`${h.sim.url}/__admin/stats?igUserId=${IG}`);
    expect(await stats.json()).toMatchObject({ maxSendCallsPerSecond: 0 });
  });
});
