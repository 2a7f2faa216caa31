import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ConnectInstagramAccount, Ids, ManageCatalog, Order, ProcessInstagramEvent, QueueOutboundMessage, ReceiveInboundMessage, RepairReports, REBUILDABLE_METRICS,
  SendOutboundMessage, TransitionOrder, localDay, addDays, Money, ok,
  type EntryPoint, type InstagramConversationsReader, type InstagramGateway, type OrderId, type OrderSource, type OrderStatus, type TokenCipher, type VariantId, type WorkspaceId,
} from '../src/index.js';
import { FakeClock, InMemoryInstagramEventLog, InMemoryReportStore, RecordingJobQueue, SequentialIds, createInMemoryRepositories } from '../in-memory/index.js';
import { make, unwrap } from '../testing/index.js';

const START = '2026-03-28T20:00:00.000Z'; // spans a DST change in Europe and a month end
const IG_USER = '17841400000000001';
const TIMEZONES = ['UTC', 'Europe/Madrid', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Chatham'] as const;
const ENTRY_POINTS: readonly EntryPoint[] = ['organic_dm', 'ad_referral', 'story_reply', 'comment'];

type Event =
  | { kind: 'wait'; minutes: number }
  | { kind: 'inbound'; contact: number; entry: EntryPoint; dupe: boolean }
  | { kind: 'reply'; contact: number; author: 'assistant' | 'agent' | 'notification' | 'automation' }
  | { kind: 'echo'; contact: number; own: boolean }
  | { kind: 'order'; contact: number | null; variant: number; quantity: number; source: OrderSource }
  | { kind: 'transition'; order: number; to: OrderStatus };

const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 1, max: 60 * 40 }) }),
  fc.record({ kind: fc.constant('inbound' as const), contact: fc.integer({ min: 0, max: 3 }), entry: fc.constantFrom(...ENTRY_POINTS), dupe: fc.boolean() }),
  fc.record({ kind: fc.constant('reply' as const), contact: fc.integer({ min: 0, max: 3 }), author: fc.constantFrom('assistant' as const, 'agent' as const, 'notification' as const, 'automation' as const) }),
  fc.record({ kind: fc.constant('echo' as const), contact: fc.integer({ min: 0, max: 3 }), own: fc.boolean() }),
  fc.record({ kind: fc.constant('order' as const), contact: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }), variant: fc.integer({ min: 0, max: 2 }), quantity: fc.integer({ min: 1, max: 4 }), source: fc.constantFrom('chat' as const, 'dashboard' as const, 'api' as const) }),
  fc.record({ kind: fc.constant('transition' as const), order: fc.integer({ min: 0, max: 5 }), to: fc.constantFrom<OrderStatus>('confirmed', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded') }),
);

const cipher: TokenCipher = { currentKeyId: () => 'k1', encrypt: async (plaintext) => ({ keyId: 'k1', data: plaintext }), decrypt: async (c) => c.data };

/** Instagram accepts every send; the reader is never needed (no send is left `sending`). */
function fakeInstagram(): InstagramGateway & InstagramConversationsReader & { delivered: string[] } {
  const delivered: string[] = [];
  return {
    delivered,
    send: async () => { const mid = `out-${delivered.length + 1}`; delivered.push(mid); return ok({ platformMessageId: mid }); },
    sentSince: async () => ok({ messages: [], complete: true }),
  };
}

/**
 * Plays a history through the real use cases, each writing its own metrics and contact facts:
 * ReceiveInboundMessage, TransitionOrder, QueueOutboundMessage + SendOutboundMessage (sent,
 * first response, refusals by the gate at queueing or at send time) and ProcessInstagramEvent
 * echoes (a human's Instagram-app reply, or the echo of our own send).
 */
async function play(events: readonly Event[], timezone: string) {
  const repos = createInMemoryRepositories();
  const clock = new FakeClock(START);
  const ids = new SequentialIds();
  const deps = { ...repos, clock, ids };
  const receive = new ReceiveInboundMessage(deps);
  const transition = new TransitionOrder(deps);
  const jobs = new RecordingJobQueue();
  const queue = new QueueOutboundMessage({ ...deps, jobs });
  const instagram = fakeInstagram();
  const noFlags = { flagUnavailable: async () => {}, unavailableSince: async () => null };
  const limiter = { tryAcquire: async () => ({ granted: true as const }), reportUsage: async () => {}, pauseUntil: async () => {} };
  const sender = new SendOutboundMessage({ ...repos, clock, cipher, gateway: instagram, reader: instagram, limiter, flags: noFlags, options: { sleep: async () => {} } });
  const process = new ProcessInstagramEvent({ ...deps, events: new InMemoryInstagramEventLog(repos.db), jobs });
  const catalog = new ManageCatalog(deps);
  const store = new InMemoryReportStore(repos.db);

  const workspace = make.workspace(ids.next(), clock.now(), { timezone });
  await repos.workspaces.save(workspace);
  const account = unwrap(await new ConnectInstagramAccount({ ...deps, cipher }).execute({
    workspaceId: workspace.id, igUserId: IG_USER, username: 'shop', accountType: 'Business', grantedScopes: ['instagram_business_basic', 'instagram_business_manage_messages'],
    accessToken: 'token', tokenExpiresAt: new Date(clock.now().getTime() + 400 * 86_400_000),
  })).account;
  const variants: { id: VariantId; sku: string; priceMinor: number; currency: string }[] = [];
  for (const [i, currency] of ['EUR', 'EUR', 'USD'].entries()) {
    const sku = `SKU-${i}`;
    const created = unwrap(await catalog.createProduct({ workspaceId: workspace.id, sku, name: `Product ${i}`, priceMinor: 1000 + i * 250, currency, initialStock: 10_000, actor: { kind: 'system' } }));
    variants.push({ id: created.variants[0]!.id, sku, priceMinor: 1000 + i * 250, currency });
  }

  const orders: OrderId[] = [];
  const lastMid = new Map<number, string>();
  let mid = 0;
  let mid_ = 0;
  const ws: WorkspaceId = workspace.id;

  for (const e of events) {
    switch (e.kind) {
      case 'wait': clock.advance(e.minutes * 60_000); break;
      case 'inbound': {
        const platformMessageId = e.dupe && lastMid.has(e.contact) ? lastMid.get(e.contact)! : `m${++mid}`;
        lastMid.set(e.contact, platformMessageId);
        unwrap(await receive.execute({ igUserId: IG_USER, senderIgsid: `igsid-${e.contact}`, platformMessageId, text: 'hi; there', attachments: [], replyTo: null, sentAt: clock.now(), entryPoint: e.entry }));
        break;
      }
      case 'reply': {
        const contact = await repos.contacts.findByIgsid(account.id, `igsid-${e.contact}`);
        const conversation = contact ? await repos.conversations.findByContact(account.id, contact.id) : null;
        if (!contact || !conversation) break;
        // A distinct instant per outbound message, so "the first reply" is the same in both orders.
        clock.advance(1000);
        const queued = unwrap(await queue.execute({ workspaceId: ws, conversationId: conversation.id, author: e.author, text: 'reply' }));
        if (queued.decision.outcome === 'send') await sender.execute({ workspaceId: ws, messageId: queued.message.id });
        break;
      }
      case 'echo': {
        clock.advance(1000);
        const own = e.own ? instagram.delivered.at(-1) : undefined;
        const mid = own ?? `app-${++mid_}`;
        unwrap(await process.execute({ event: { kind: 'echo', igUserId: IG_USER, recipientIgsid: `igsid-${e.contact}`, mid, text: 'from the app', attachments: [], at: clock.now() }, dedupeKey: `echo:${mid}` }));
        // An echo may open the thread; a customer message in that same millisecond would look to a
        // repair like the one that opened it.
        clock.advance(1000);
        break;
      }
      case 'order': {
        const v = variants[e.variant]!;
        const contact = e.contact === null ? null : await repos.contacts.findByIgsid(account.id, `igsid-${e.contact}`);
        const conversation = contact ? await repos.conversations.findByContact(account.id, contact.id) : null;
        const order = unwrap(Order.draft({
          id: Ids.order(ids.next()), workspaceId: ws, source: e.source, contactId: contact?.id ?? null, conversationId: conversation?.id ?? null,
          lines: [{ variantId: v.id, sku: v.sku, name: v.sku, unitPrice: Money.unsafe(v.priceMinor, v.currency), quantity: e.quantity }], actor: { kind: 'system' }, now: clock.now(),
        }));
        await repos.uow.run(async () => { await repos.orders.save(order); });
        orders.push(order.id);
        break;
      }
      case 'transition': {
        const id = orders[e.order % Math.max(1, orders.length)];
        if (!id) break;
        await transition.execute({ workspaceId: ws, orderId: id, to: e.to, actor: { kind: 'system' } });
        break;
      }
    }
  }
  return { repos, store, ws, clock, repair: new RepairReports({ store, source: store, workspaces: repos.workspaces, uow: repos.uow }) };
}

async function snapshot(store: InMemoryReportStore, ws: WorkspaceId, fromDay: string, toDay: string) {
  const metrics = (await store.metrics(ws, fromDay, toDay, REBUILDABLE_METRICS)).map((m) => `${m.day} ${m.metric} ${m.dimension} ${m.count} ${m.sum}`);
  const periods = [];
  for (let d = fromDay; d <= toDay; d = addDays(d, 1)) periods.push({ key: d, fromDay: d, toDay: d });
  periods.push({ key: 'all', fromDay, toDay });
  return { metrics, contacts: await store.contactSummary(ws, periods) };
}

describe('report repair', () => {
  it('rebuilding from source equals the incremental aggregates, for any history and timezone', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 60 }), fc.constantFrom(...TIMEZONES), async (events, timezone) => {
        const { store, ws, clock, repair } = await play(events, timezone);
        const fromDay = addDays(localDay(new Date(START), timezone), -1);
        const toDay = addDays(localDay(clock.now(), timezone), 1);
        const incremental = await snapshot(store, ws, fromDay, toDay);

        // Damage the aggregates, then repair: the result is what the incremental path wrote.
        await store.replaceRange({ workspaceId: ws, fromDay, toDay, metrics: REBUILDABLE_METRICS, deltas: [{ workspaceId: ws, day: fromDay, metric: 'orders.confirmed', dimension: 'currency=EUR;entry=none;source=api', count: 7, sum: 7 }], facts: [] });
        unwrap(await repair.execute({ workspaceId: ws, fromDay, toDay }));
        expect(await snapshot(store, ws, fromDay, toDay)).toEqual(incremental);

        // Repairing an undamaged range, or only part of it, changes nothing.
        const mid = addDays(fromDay, 1);
        unwrap(await repair.execute({ workspaceId: ws, fromDay: mid, toDay: mid }));
        expect(await snapshot(store, ws, fromDay, toDay)).toEqual(incremental);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps metrics no source holds (handoffs, deflection, rate-limit delays)', async () => {
    const { store, ws, repos, repair } = await play([{ kind: 'inbound', contact: 0, entry: 'organic_dm', dupe: false }], 'UTC');
    await repos.metrics.add([{ workspaceId: ws, day: '2026-03-28', metric: 'handoffs', dimension: 'initiator=assistant', count: 2, sum: 0 }]);
    unwrap(await repair.execute({ workspaceId: ws, fromDay: '2026-03-01', toDay: '2026-03-31' }));
    expect((await store.metrics(ws, '2026-03-01', '2026-03-31', ['handoffs'])).map((m) => m.count)).toEqual([2]);
    expect((await store.metrics(ws, '2026-03-01', '2026-03-31', ['messages.inbound'])).map((m) => m.count)).toEqual([1]);
  });

  it('refuses malformed, reversed and oversized ranges', async () => {
    const { ws, repair } = await play([], 'UTC');
    expect(await repair.execute({ workspaceId: ws, fromDay: '2026-02-30', toDay: '2026-03-01' })).toMatchObject({ ok: false, error: { kind: 'InvalidRange' } });
    expect(await repair.execute({ workspaceId: ws, fromDay: '2026-03-02', toDay: '2026-03-01' })).toMatchObject({ ok: false, error: { kind: 'InvalidRange' } });
    expect(await repair.execute({ workspaceId: ws, fromDay: '2024-01-01', toDay: '2026-03-01' })).toMatchObject({ ok: false, error: { kind: 'InvalidRange' } });
    expect(await repair.execute({ workspaceId: Ids.workspace('00000000-0000-7000-8000-00000000ffff'), fromDay: '2026-03-01', toDay: '2026-03-01' })).toMatchObject({ ok: false, error: { kind: 'NotFound' } });
  });

  it('sweeps a contact’s day facts with the contact', async () => {
    const { store, ws, repos } = await play([{ kind: 'inbound', contact: 0, entry: 'organic_dm', dupe: false }, { kind: 'inbound', contact: 1, entry: 'ad_referral', dupe: false }], 'UTC');
    const contact = (await repos.contacts.findByIgsid((await repos.accounts.findByIgUserId(IG_USER))!.id, 'igsid-0'))!;
    const before = await store.contactSummary(ws, [{ key: 'k', fromDay: '2026-03-28', toDay: '2026-03-28' }]);
    expect(before[0]!.active).toBe(2);
    expect(await store.forgetContact(ws, contact.id)).toBe(1);
    expect((await store.contactSummary(ws, [{ key: 'k', fromDay: '2026-03-28', toDay: '2026-03-28' }]))[0]!.active).toBe(1);
  });
});
