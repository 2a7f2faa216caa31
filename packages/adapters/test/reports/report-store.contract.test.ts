import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Ids, ManageCatalog, Message, Money, Order, ReadReports, ReceiveInboundMessage, RepairReports, REBUILDABLE_METRICS, TransitionOrder, addDays,
  firstResponse, localDay, outboundSent, sendRefused,
  type ConversationId, type EntryPoint, type OrderId, type OrderStatus, type Repositories, type ReportSource, type ReportStore, type VariantId, type WorkspaceId,
} from '@palette/domain';
import { FakeClock, InMemoryDatabase, InMemoryReportStore, SequentialIds, createInMemoryRepositories } from '@palette/domain/in-memory';
import { make, unwrap } from '@palette/domain/testing';
import { createMikroOrmRepositories, createSqlReportStore, IN_MEMORY_DATA_DIR, openDatabase, persistenceModule, type Database } from '../../src/persistence/index.js';
import { createScratchPostgresDatabase, describeOnPostgres, testDatabaseUrl } from '../support/databases.js';

/** One unit of work: repositories plus the report store over the same transaction. */
interface Session { repos: Repositories; store: ReportStore & ReportSource }
interface Harness { session(): Session; reset(): Promise<void>; teardown(): Promise<void> }

function inMemoryHarness(): Promise<Harness> {
  let db = new InMemoryDatabase();
  return Promise.resolve({
    session: () => ({ repos: createInMemoryRepositories(db) as unknown as Repositories, store: new InMemoryReportStore(db) }),
    reset: async () => { db = new InMemoryDatabase(); },
    teardown: async () => {},
  });
}

async function ormHarness(db: Database, cleanup: () => Promise<void>): Promise<Harness> {
  await db.migrate();
  return {
    session: () => { const repos = createMikroOrmRepositories(db.orm); return { repos: repos as unknown as Repositories, store: createSqlReportStore(repos.uow) }; },
    reset: async () => { await db.orm.em.fork().getConnection().execute('truncate workspaces, users cascade'); },
    teardown: async () => { await db.close(); await cleanup(); },
  };
}

const START = '2026-03-28T21:30:00.000Z';
const IG_USER = '17841400000000077';

type Event =
  | { kind: 'wait'; minutes: number }
  | { kind: 'inbound'; contact: number; entry: EntryPoint }
  | { kind: 'reply'; contact: number; author: 'assistant' | 'agent' | 'notification'; refused: boolean }
  | { kind: 'order'; contact: number | null; variant: number; quantity: number }
  | { kind: 'transition'; order: number; to: OrderStatus };

const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 1, max: 60 * 30 }) }),
  fc.record({ kind: fc.constant('inbound' as const), contact: fc.integer({ min: 0, max: 2 }), entry: fc.constantFrom<EntryPoint>('organic_dm', 'ad_referral', 'comment') }),
  fc.record({ kind: fc.constant('reply' as const), contact: fc.integer({ min: 0, max: 2 }), author: fc.constantFrom('assistant' as const, 'agent' as const, 'notification' as const), refused: fc.boolean() }),
  fc.record({ kind: fc.constant('order' as const), contact: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }), variant: fc.integer({ min: 0, max: 1 }), quantity: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('transition' as const), order: fc.integer({ min: 0, max: 3 }), to: fc.constantFrom<OrderStatus>('confirmed', 'paid', 'shipped', 'cancelled', 'refunded') }),
);

/** A history through the real use cases plus the documented helper calls, one unit of work per step. */
async function play(h: Harness, events: readonly Event[], timezone: string) {
  const clock = new FakeClock(START);
  const ids = new SequentialIds('00000000');
  const s0 = h.session();
  const workspace = make.workspace(ids.next(), clock.now(), { timezone });
  const account = make.account(ids.next(), workspace.id, IG_USER, clock.now());
  await s0.repos.uow.run(async () => { await s0.repos.workspaces.save(workspace); await s0.repos.accounts.save(account); });
  const ws: WorkspaceId = workspace.id;
  const variants: { id: VariantId; sku: string; priceMinor: number; currency: string }[] = [];
  for (const [i, currency] of ['EUR', 'USD'].entries()) {
    const s = h.session();
    const created = unwrap(await new ManageCatalog({ ...s.repos, clock, ids }).createProduct({ workspaceId: ws, sku: `SKU-${i}`, name: `P${i}`, priceMinor: 1500 + i, currency, initialStock: 1000, actor: { kind: 'system' } }));
    variants.push({ id: created.variants[0]!.id, sku: `SKU-${i}`, priceMinor: 1500 + i, currency });
  }
  const orders: OrderId[] = [];
  const replied = new Set<ConversationId>();
  let mid = 0;
  for (const e of events) {
    const { repos } = h.session();
    if (e.kind === 'wait') clock.advance(e.minutes * 60_000);
    if (e.kind === 'inbound') {
      // The use case records the contact's activity itself, in its own transaction.
      unwrap(await new ReceiveInboundMessage({ ...repos, clock, ids }).execute({ igUserId: IG_USER, senderIgsid: `c${e.contact}`, platformMessageId: `m${++mid}`, text: 'a; b', attachments: [], replyTo: null, sentAt: clock.now(), entryPoint: e.entry }));
    }
    if (e.kind === 'reply') {
      const contact = await repos.contacts.findByIgsid(account.id, `c${e.contact}`);
      const conversation = contact ? await repos.conversations.findByContact(account.id, contact.id) : null;
      if (contact && conversation) {
        await repos.uow.run(async () => {
          const m = Message.outbound({ id: Ids.message(ids.next()), workspaceId: ws, accountId: account.id, conversationId: conversation.id, contactId: contact.id, author: e.author, text: 'ok', now: clock.now() });
          if (e.refused) {
            m.refuse('window_closed');
            await repos.metrics.add(sendRefused({ workspaceId: ws, author: e.author, reason: 'window_closed', at: m.sentAt, timezone }));
          } else {
            m.markSent(`out-${m.id}`, null);
            await repos.metrics.add(outboundSent({ workspaceId: ws, author: e.author, at: m.sentAt, timezone }));
            if (e.author !== 'notification' && !replied.has(conversation.id)) {
              replied.add(conversation.id);
              await repos.metrics.add(firstResponse({ workspaceId: ws, author: e.author, customerMessageAt: conversation.createdAt, respondedAt: m.sentAt, timezone }));
            }
          }
          await repos.messages.save(m);
        });
      }
    }
    if (e.kind === 'order') {
      const v = variants[e.variant]!;
      const contact = e.contact === null ? null : await repos.contacts.findByIgsid(account.id, `c${e.contact}`);
      const conversation = contact ? await repos.conversations.findByContact(account.id, contact.id) : null;
      const order = unwrap(Order.draft({ id: Ids.order(ids.next()), workspaceId: ws, source: conversation ? 'chat' : 'dashboard', contactId: contact?.id ?? null, conversationId: conversation?.id ?? null,
        lines: [{ variantId: v.id, sku: v.sku, name: v.sku, unitPrice: Money.unsafe(v.priceMinor, v.currency), quantity: e.quantity }], actor: { kind: 'system' }, now: clock.now() }));
      await repos.uow.run(async () => { await repos.orders.save(order); });
      orders.push(order.id);
    }
    if (e.kind === 'transition' && orders.length > 0) {
      // An illegal transition is a refusal, not a failure of the history: it records nothing.
      await new TransitionOrder({ ...repos, clock, ids }).execute({ workspaceId: ws, orderId: orders[e.order % orders.length]!, to: e.to, actor: { kind: 'system' } });
    }
  }
  return { ws, clock };
}

async function snapshot(h: Harness, ws: WorkspaceId, fromDay: string, toDay: string) {
  const { store } = h.session();
  const metrics = (await store.metrics(ws, fromDay, toDay, REBUILDABLE_METRICS)).map((m) => `${m.day} ${m.metric} ${m.dimension} ${m.count} ${m.sum}`);
  const periods = [];
  for (let d = fromDay; d <= toDay; d = addDays(d, 1)) periods.push({ key: d, fromDay: d, toDay: d });
  periods.push({ key: 'all', fromDay, toDay });
  return { metrics, contacts: await store.contactSummary(ws, periods) };
}

function reportStoreContract(name: string, setup: () => Promise<Harness>, runs: number) {
  describe(`report store contract: ${name}`, () => {
    let h: Harness;
    beforeAll(async () => { h = await setup(); }, 60_000);
    afterAll(async () => { await h?.teardown(); });
    beforeEach(async () => { await h.reset(); });

    it('repair rebuilds exactly what the incremental path wrote', async () => {
      await fc.assert(fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 25 }), fc.constantFrom('UTC', 'Europe/Madrid', 'America/Los_Angeles'), async (events, tz) => {
        await h.reset();
        const { ws, clock } = await play(h, events, tz);
        const fromDay = addDays(localDay(new Date(START), tz), -1);
        const toDay = addDays(localDay(clock.now(), tz), 1);
        const before = await snapshot(h, ws, fromDay, toDay);
        const s = h.session();
        await s.store.replaceRange({ workspaceId: ws, fromDay, toDay, metrics: REBUILDABLE_METRICS, deltas: [], facts: [] });
        const s2 = h.session();
        unwrap(await new RepairReports({ store: s2.store, source: s2.store, workspaces: s2.repos.workspaces, uow: s2.repos.uow }).execute({ workspaceId: ws, fromDay, toDay }));
        expect(await snapshot(h, ws, fromDay, toDay)).toEqual(before);
      }), { numRuns: runs });
    }, 120_000);

    it('reads metrics by name and day range, and never another workspace', async () => {
      const { ws } = await play(h, [{ kind: 'inbound', contact: 0, entry: 'ad_referral' }, { kind: 'wait', minutes: 60 * 24 }, { kind: 'inbound', contact: 1, entry: 'organic_dm' }], 'UTC');
      const { store } = h.session();
      expect((await store.metrics(ws, '2026-03-28', '2026-03-28', ['conversations.new'])).map((m) => m.dimension)).toEqual(['entry=ad_referral']);
      expect((await store.metrics(ws, '2026-03-28', '2026-03-29', ['messages.inbound'])).map((m) => [m.day, m.count])).toEqual([['2026-03-28', 1], ['2026-03-29', 1]]);
      expect(await store.metrics(Ids.workspace('00000000-0000-7000-8000-0000000000aa'), '2026-03-01', '2026-03-31', REBUILDABLE_METRICS)).toEqual([]);
    });

    it('counts distinct, new and repeat contacts from the hashed day facts, and forgets a contact', async () => {
      const { ws } = await play(h, [{ kind: 'inbound', contact: 0, entry: 'organic_dm' }], 'UTC');
      const c0 = Ids.contact('00000000-0000-7000-8000-0000000000c0');
      const c1 = Ids.contact('00000000-0000-7000-8000-0000000000c1');
      const { store, repos } = h.session();
      await repos.uow.run(async () => {
        await store.record([
          { workspaceId: ws, contactId: c0, day: '2026-04-01', inbound: 2, orders: 1 },
          { workspaceId: ws, contactId: c0, day: '2026-04-09', inbound: 1, orders: 1 },
          { workspaceId: ws, contactId: c1, day: '2026-04-09', inbound: 1, orders: 1 },
        ]);
      });
      const summary = await h.session().store.contactSummary(ws, [{ key: 'w1', fromDay: '2026-04-01', toDay: '2026-04-07' }, { key: 'w2', fromDay: '2026-04-08', toDay: '2026-04-14' }]);
      expect(summary).toEqual([
        { key: 'w1', active: 1, newContacts: 1, purchasers: 1, repeatPurchasers: 0 },
        { key: 'w2', active: 2, newContacts: 1, purchasers: 2, repeatPurchasers: 1 },
      ]);
      const s = h.session();
      expect(await s.repos.uow.run(() => s.store.forgetContact(ws, c0))).toBe(2);
      expect((await h.session().store.contactSummary(ws, [{ key: 'w2', fromDay: '2026-04-08', toDay: '2026-04-14' }]))[0]).toEqual({ key: 'w2', active: 1, newContacts: 1, purchasers: 1, repeatPurchasers: 0 });
    });

    it('counts contacts per period as a direct model of the definitions does, for any facts and periods', async () => {
      const { ws } = await play(h, [], 'UTC');
      const contacts = [0, 1, 2, 3].map((n) => Ids.contact(`00000000-0000-7000-8000-0000000001c${n}`));
      const fact = fc.record({ contact: fc.integer({ min: 0, max: 3 }), day: fc.integer({ min: 0, max: 40 }), inbound: fc.integer({ min: 0, max: 2 }), orders: fc.integer({ min: 0, max: 2 }) });
      await fc.assert(fc.asyncProperty(fc.array(fact, { maxLength: 30 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 12 }), async (facts, start, len) => {
        const s = h.session();
        await s.repos.uow.run(async () => {
          for (const c of contacts) await s.store.forgetContact(ws, c);
          await s.store.record(facts.map((f) => ({ workspaceId: ws, contactId: contacts[f.contact]!, day: addDays('2026-05-01', f.day), inbound: f.inbound, orders: f.orders })));
        });
        const periods = [0, 1, 2].map((i) => ({ key: `p${i}`, fromDay: addDays('2026-05-01', start + i * len), toDay: addDays('2026-05-01', start + (i + 1) * len - 1) }));
        periods.push({ key: 'all', fromDay: periods[0]!.fromDay, toDay: periods[2]!.toDay });
        const model = periods.map((p) => {
          const day = (f: { day: number }) => addDays('2026-05-01', f.day);
          const within = facts.filter((f) => day(f) >= p.fromDay && day(f) <= p.toDay);
          const active = new Set(within.filter((f) => f.inbound > 0).map((f) => f.contact));
          const buyers = new Set(within.filter((f) => f.orders > 0).map((f) => f.contact));
          const first = (c: number) => facts.filter((f) => f.contact === c).map(day).sort()[0]!;
          const ordersThrough = (c: number) => facts.filter((f) => f.contact === c && day(f) <= p.toDay).reduce((n, f) => n + f.orders, 0);
          return { key: p.key, active: active.size, newContacts: [...active].filter((c) => first(c) >= p.fromDay).length, purchasers: buyers.size, repeatPurchasers: [...buyers].filter((c) => ordersThrough(c) >= 2).length };
        });
        expect(await h.session().store.contactSummary(ws, periods)).toEqual(model);
      }), { numRuns: 25 });
    }, 120_000);

    it('builds the reports from the aggregates alone', async () => {
      const { ws } = await play(h, [
        { kind: 'inbound', contact: 0, entry: 'ad_referral' }, { kind: 'wait', minutes: 3 }, { kind: 'reply', contact: 0, author: 'assistant', refused: false },
        { kind: 'order', contact: 0, variant: 0, quantity: 2 }, { kind: 'transition', order: 0, to: 'confirmed' },
      ], 'UTC');
      const reports = new ReadReports(h.session().store);
      const req = { workspaceId: ws, fromDay: '2026-03-28', toDay: '2026-03-28', granularity: 'day' as const, timezone: 'UTC', today: '2026-03-28' };
      const sales = await reports.sales(req);
      expect(sales.currencies).toHaveLength(1);
      expect(sales.currencies[0]).toMatchObject({ currency: 'EUR', totals: { orders: 1, revenueMinor: 3000, units: 2, aovMinor: 3000 }, byEntryPoint: [{ entryPoint: 'ad_referral', orders: 1, revenueMinor: 3000 }] });
      expect(sales.currencies[0]!.byProduct).toEqual([expect.objectContaining({ productName: 'P0', units: 2, revenueMinor: 3000 })]);
      const messaging = await reports.messaging(req);
      expect(messaging.totals).toMatchObject({ inbound: 1, outbound: 1, newConversations: 1, firstResponse: { assistant: { count: 1, medianSeconds: 300 } } });
      const engagement = await reports.engagement(req);
      expect(engagement.totals).toMatchObject({ activeContacts: 1, newContacts: 1, purchasers: 1, conversationOrders: 1, conversionRate: 1 });
    });
  });
}

reportStoreContract('in memory', inMemoryHarness, 40);
reportStoreContract('MikroORM on PGlite', async () => ormHarness(await openDatabase({ dataDir: IN_MEMORY_DATA_DIR, ...persistenceModule() }), async () => {}), 8);
describeOnPostgres('report store contract', () => {
  reportStoreContract('MikroORM on PostgreSQL', async () => {
    const scratch = await createScratchPostgresDatabase(testDatabaseUrl);
    return ormHarness(await openDatabase({ databaseUrl: scratch.url, dataDir: '', ...persistenceModule() }), () => scratch.drop());
  }, 8);
});
