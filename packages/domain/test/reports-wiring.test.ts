import { describe, expect, it } from 'vitest';
import {
  ConnectInstagramAccount, Ids, NO_AI_DECISION_RECORDS, RunRevocationDeletion, ManageCatalog, Money, Order, OfflineAssistant, ProcessInstagramEvent, QueueOutboundMessage, ReceiveInboundMessage, SendOutboundMessage,
  TransitionOrder, err, ok,
  type ContactDeliveryFlags, type ConversationId, type InstagramConversationsReader, type InstagramGateway, type MessageId, type OutboundAuthor, type PlatformSentMessage,
  type RateDecision, type RateLimiter, type SendFailure, type TokenCipher, type WorkspaceId,
} from '../src/index.js';
import { FakeClock, InMemoryInstagramEventLog, InMemoryPrivacyStores, InMemoryReportStore, RecordingJobQueue, SequentialIds, createInMemoryRepositories } from '../in-memory/index.js';
import { make, unwrap, uuid } from '../testing/index.js';
import { assistantWorld } from './assistant/world.js';

/**
 * The metric helpers wired at their call sites: each case drives the real use case and reads what
 * it wrote to daily_metrics / report_contact_days. The workspace is in Kolkata (+05:30), so an
 * event at 20:00 UTC lands on the next local day: the timezone really comes from the workspace.
 */
const IG = '17841455500112233';
const CUSTOMER = '7432198865012345';
const WS = Ids.workspace(uuid(0xaa)) as WorkspaceId;
const TZ = 'Asia/Kolkata';
const T0 = '2026-03-01T20:00:00Z'; // 2026-03-02 01:30 in Kolkata
const DAY = '2026-03-02';

const cipher: TokenCipher = {
  currentKeyId: () => 'k1',
  encrypt: async (plaintext, aad) => ({ keyId: 'k1', data: JSON.stringify([aad, plaintext]) }),
  decrypt: async (c) => (JSON.parse(c.data) as [string, string])[1],
};

class FakeInstagram implements InstagramGateway, InstagramConversationsReader {
  readonly delivered: PlatformSentMessage[] = [];
  script: SendFailure[] = [];
  private n = 0;
  constructor(private readonly clock: FakeClock) {}
  async send(input: Parameters<InstagramGateway['send']>[0]) {
    const next = this.script.shift();
    if (next) return err(next);
    const mid = `mid-${++this.n}`;
    this.delivered.push({ platformMessageId: mid, text: input.payload.type === 'text' ? input.payload.text : '', createdAt: this.clock.now() });
    return ok({ platformMessageId: mid });
  }
  async sentSince(input: { since: Date }) { return ok({ messages: this.delivered.filter((m) => m.createdAt >= input.since), complete: true }); }
}

class ScriptedLimiter implements RateLimiter {
  next: RateDecision[] = [];
  async tryAcquire() { return this.next.shift() ?? { granted: true as const }; }
  async reportUsage() {}
  async pauseUntil() {}
}

const noFlags: ContactDeliveryFlags = { flagUnavailable: async () => {}, unavailableSince: async () => null };

async function harness() {
  const repos = createInMemoryRepositories();
  const clock = new FakeClock(T0);
  const ids = new SequentialIds();
  const jobs = new RecordingJobQueue();
  const instagram = new FakeInstagram(clock);
  const limiter = new ScriptedLimiter();
  const deps = { ...repos, clock, ids };
  await repos.uow.run(() => repos.workspaces.save(make.workspace(WS, clock.now(), { timezone: TZ })));
  unwrap(await new ConnectInstagramAccount({ ...deps, cipher }).execute({
    workspaceId: WS, igUserId: IG, username: 'shop', accountType: 'Business', grantedScopes: ['instagram_business_basic', 'instagram_business_manage_messages'],
    accessToken: 'token-1', tokenExpiresAt: new Date(clock.now().getTime() + 60 * 86_400_000),
  }));
  const sender = new SendOutboundMessage({ ...repos, clock, cipher, gateway: instagram, reader: instagram, limiter, flags: noFlags, options: { sleep: async () => {}, jitterMs: () => 0, reconcileGraceMs: 5_000 } });
  const queue = new QueueOutboundMessage({ ...deps, jobs });
  const store = new InMemoryReportStore(repos.db);
  const events = new InMemoryInstagramEventLog(repos.db);
  const process = new ProcessInstagramEvent({ ...deps, events, jobs });
  const h = {
    repos, clock, ids, jobs, instagram, limiter, sender, queue, store, process,
    receive: (mid: string) => new ReceiveInboundMessage(deps).execute({ igUserId: IG, senderIgsid: CUSTOMER, platformMessageId: mid, text: 'Is it in stock?', attachments: [], replyTo: null, sentAt: clock.now(), entryPoint: 'organic_dm' }),
    async reply(conversationId: ConversationId, author: OutboundAuthor, text = 'Yes, in stock!') { return unwrap(await queue.execute({ workspaceId: WS, conversationId, author, text })); },
    runJob: (index: number) => sender.execute({ workspaceId: WS, messageId: (jobs.jobs[index]!.data as { messageId: MessageId }).messageId }),
    async metric(metric: string) {
      return (await repos.metrics.query(WS, { metric, fromDay: '2026-02-01', toDay: '2026-04-30' })).map((m) => ({ day: m.day, dimension: m.dimension, count: m.count, sum: m.sum }));
    },
    summary: async () => (await store.contactSummary(WS, [{ key: DAY, fromDay: DAY, toDay: DAY }]))[0]!,
    async restrict() {
      await repos.uow.run(async () => {
        const contact = (await repos.contacts.findByIgsid((await repos.accounts.findByIgUserId(IG))!.id, CUSTOMER))!;
        contact.restrictProcessing(true, clock.now());
        await repos.contacts.save(contact);
      });
    },
  };
  return h;
}

async function threadOf(h: Awaited<ReturnType<typeof harness>>) {
  return unwrap(await h.receive('m-in-1')).conversation.id;
}

describe('contact facts at their call sites', () => {
  it('ReceiveInboundMessage records the customer as active on the local day (once per stored message, not per redelivery)', async () => {
    const h = await harness();
    await h.receive('m-1');
    await h.receive('m-1');
    expect(await h.summary()).toMatchObject({ active: 1, newContacts: 1, purchasers: 0 });
    const facts = h.repos.db.scan<{ day: string; inbound: number }>('report_contact_days', () => true);
    expect(facts.map((f) => [f.day, f.inbound])).toEqual([[DAY, 1]]);
  });

  it('ReceiveInboundMessage records nothing for a contact under an Art. 18 restriction', async () => {
    const h = await harness();
    await h.receive('m-1');
    await h.restrict();
    h.clock.advance(60_000);
    await h.receive('m-2');
    const facts = h.repos.db.scan<{ inbound: number }>('report_contact_days', () => true);
    expect(facts.map((f) => f.inbound)).toEqual([1]);
  });

  it('TransitionOrder records a purchase for the order’s contact on confirmation only, and skips a restricted contact', async () => {
    const h = await harness();
    const conversationId = await threadOf(h);
    const conversation = (await h.repos.conversations.get(WS, conversationId))!;
    const product = unwrap(await new ManageCatalog({ ...h.repos, clock: h.clock, ids: h.ids }).createProduct({ workspaceId: WS, sku: 'S-1', name: 'Shirt', priceMinor: 3900, currency: 'EUR', initialStock: 10, actor: { kind: 'system' } }));
    const variant = product.variants[0]!;
    const draft = async () => {
      const order = unwrap(Order.draft({
        id: Ids.order(h.ids.next()), workspaceId: WS, source: 'chat', contactId: conversation.contactId, conversationId,
        lines: [{ variantId: variant.id, sku: 'S-1', name: 'Shirt', unitPrice: Money.unsafe(3900, 'EUR'), quantity: 1 }], actor: { kind: 'system' }, now: h.clock.now(),
      }));
      await h.repos.uow.run(() => h.repos.orders.save(order));
      return order.id;
    };
    const transition = new TransitionOrder({ ...h.repos, clock: h.clock, ids: h.ids });
    const first = await draft();
    unwrap(await transition.execute({ workspaceId: WS, orderId: first, to: 'confirmed', actor: { kind: 'system' } }));
    unwrap(await transition.execute({ workspaceId: WS, orderId: first, to: 'paid', actor: { kind: 'system' } }));
    const second = await draft();
    unwrap(await transition.execute({ workspaceId: WS, orderId: second, to: 'confirmed', actor: { kind: 'system' } }));
    expect(await h.summary()).toMatchObject({ active: 1, purchasers: 1, repeatPurchasers: 1 });

    await h.restrict();
    const third = await draft();
    unwrap(await transition.execute({ workspaceId: WS, orderId: third, to: 'confirmed', actor: { kind: 'system' } }));
    const facts = h.repos.db.scan<{ orders: number }>('report_contact_days', () => true);
    expect(facts.map((f) => f.orders)).toEqual([2]);
  });
});

describe('outbound metrics at their call sites', () => {
  it('SendOutboundMessage counts a sent message and the thread’s first response once, on the workspace’s local day', async () => {
    const h = await harness();
    const conversationId = await threadOf(h);
    h.clock.advance(45_000);
    await h.reply(conversationId, 'assistant');
    expect(await h.metric('messages.outbound')).toEqual([]); // queued is not sent
    expect((await h.runJob(0)).kind).toBe('sent');
    h.clock.advance(60_000);
    await h.reply(conversationId, 'notification', 'Your order shipped');
    expect((await h.runJob(1)).kind).toBe('sent');
    await h.reply(conversationId, 'automation', 'Anything else?');
    expect((await h.runJob(2)).kind).toBe('sent');
    expect((await h.runJob(2)).kind).toBe('settled'); // a second run counts nothing

    expect(await h.metric('messages.outbound')).toEqual([
      { day: DAY, dimension: 'author=assistant', count: 1, sum: 0 },
      { day: DAY, dimension: 'author=automation', count: 1, sum: 0 },
      { day: DAY, dimension: 'author=notification', count: 1, sum: 0 },
    ]);
    // 45 s after the first customer message: bucket 02 (≤ 60 s), answered by the assistant.
    expect(await h.metric('response.first')).toEqual([{ day: DAY, dimension: 'bucket=02;responder=assistant', count: 1, sum: 45 }]);
  });

  it('a refusal by the gate is counted where it happens: at queueing (QueueOutboundMessage) or at send time (SendOutboundMessage); a hold is not', async () => {
    const h = await harness();
    const conversationId = await threadOf(h);
    await h.reply(conversationId, 'agent', 'Hi, Ana here'); // the agent takes the thread over
    expect((await h.runJob(0)).kind).toBe('sent');
    const refused = await h.reply(conversationId, 'assistant', 'Can I help?');
    expect(refused.decision).toMatchObject({ outcome: 'refuse', reason: 'conversation_owned_by_human' });

    await h.reply(conversationId, 'agent', 'Following up');
    h.clock.advance(8 * 86_400_000); // past the 7-day human-agent window before the job runs
    expect(await h.runJob(1)).toMatchObject({ kind: 'refused' });

    const refusals = await h.metric('sends.refused');
    expect(refusals).toEqual(expect.arrayContaining([
      { day: DAY, dimension: 'human=false;reason=conversation_owned_by_human', count: 1, sum: 0 },
      expect.objectContaining({ day: DAY, dimension: expect.stringMatching(/^human=true;reason=(human_agent_window_closed|window_closed)$/), count: 1 }),
    ]));
    expect(refusals).toHaveLength(2);
    expect((await h.metric('messages.outbound')).map((m) => m.count)).toEqual([1]);
  });

  it('Instagram refusing the send for a closed window counts as a refusal, not an outbound message', async () => {
    const h = await harness();
    const conversationId = await threadOf(h);
    await h.reply(conversationId, 'assistant');
    h.instagram.script = [{ kind: 'WindowClosed' } as SendFailure];
    expect(await h.runJob(0)).toEqual({ kind: 'refused', reason: 'window_closed' });
    expect(await h.metric('sends.refused')).toEqual([{ day: DAY, dimension: 'human=false;reason=window_closed', count: 1, sum: 0 }]);
    expect(await h.metric('messages.outbound')).toEqual([]);
    expect(await h.metric('response.first')).toEqual([]);
  });

  it('SendOutboundMessage records each rate-limit delay: an inline wait, a reschedule, and Instagram’s own 429', async () => {
    const h = await harness();
    const conversationId = await threadOf(h);
    await h.reply(conversationId, 'assistant');
    h.limiter.next = [{ granted: false, retryAfterMs: 700, reason: 'full' }];
    expect((await h.runJob(0)).kind).toBe('sent');
    await h.reply(conversationId, 'assistant', 'second');
    h.limiter.next = [{ granted: false, retryAfterMs: 60_000, reason: 'paused' }];
    expect(await h.runJob(1)).toMatchObject({ kind: 'retry', afterMs: 60_000, reschedule: true });
    h.instagram.script = [{ kind: 'RateLimited', retryAfterMs: 30_000 } as SendFailure];
    expect(await h.runJob(1)).toMatchObject({ kind: 'retry', afterMs: 30_000 });
    expect(await h.metric('sends.rate_limited')).toEqual([{ day: DAY, dimension: '', count: 3, sum: 700 + 60_000 + 30_000 }]);
  });

  it('records nothing outbound for a restricted contact', async () => {
    const h = await harness();
    const conversationId = await threadOf(h);
    await h.reply(conversationId, 'agent');
    await h.restrict();
    await h.runJob(0);
    await h.reply(conversationId, 'assistant');
    expect(await h.metric('messages.outbound')).toEqual([]);
    expect(await h.metric('response.first')).toEqual([]);
    expect(await h.metric('sends.refused')).toEqual([]);
  });
});

describe('echo path (ProcessInstagramEvent)', () => {
  const echo = (mid: string, text: string, at: Date) => ({ kind: 'echo' as const, igUserId: IG, recipientIgsid: CUSTOMER, mid, text, attachments: [], at });

  it('a human’s Instagram-app reply counts as outbound (instagram_app_echo) and as the thread’s first, human, response', async () => {
    const h = await harness();
    await threadOf(h);
    const at = new Date(h.clock.now().getTime() + 20 * 60_000);
    unwrap(await h.process.execute({ event: echo('app-1', 'hello from the app', at), dedupeKey: 'echo:app-1' }));
    unwrap(await h.process.execute({ event: echo('app-1', 'hello from the app', at), dedupeKey: 'echo:app-1' })); // redelivery
    expect(await h.metric('messages.outbound')).toEqual([{ day: DAY, dimension: 'author=instagram_app_echo', count: 1, sum: 0 }]);
    expect(await h.metric('response.first')).toEqual([{ day: DAY, dimension: 'bucket=07;responder=human', count: 1, sum: 1200 }]);
  });

  it('reconciling our own send by its echo counts it once, whichever of the echo and the send job marks it sent', async () => {
    const h = await harness();
    const conversationId = await threadOf(h);
    // Echo first: the send job then finds it settled.
    const queued = await h.reply(conversationId, 'assistant', 'first answer');
    unwrap(await h.process.execute({ event: echo('our-1', 'first answer', h.clock.now()), dedupeKey: 'echo:our-1' }));
    expect((await h.repos.messages.get(WS, queued.message.id))!.deliveryState).toBe('sent');
    expect((await h.runJob(0)).kind).toBe('settled');
    // Send job first: the echo of the same mid then finds it sent.
    await h.reply(conversationId, 'assistant', 'second answer');
    const sent = await h.runJob(1);
    expect(sent.kind).toBe('sent');
    unwrap(await h.process.execute({ event: echo((sent as { platformMessageId: string }).platformMessageId, 'second answer', h.clock.now()), dedupeKey: 'echo:our-2' }));

    expect(await h.metric('messages.outbound')).toEqual([{ day: DAY, dimension: 'author=assistant', count: 2, sum: 0 }]);
    expect((await h.metric('response.first')).map((m) => m.count)).toEqual([1]);
  });
});

describe('handoff (RespondToCustomer)', () => {
  it('the assistant handing off records a handoff on the workspace’s local day', async () => {
    const w = await assistantWorld(new OfflineAssistant());
    expect((await w.useCase.execute(await w.receive('I want to talk to a human'))).kind).toBe('handoff');
    const rows = await w.repos.metrics.query(w.ws.id, { metric: 'handoffs', fromDay: '2026-02-01', toDay: '2026-03-31' });
    expect(rows.map((r) => [r.day, r.dimension, r.count])).toEqual([['2026-03-01', 'initiator=assistant', 1]]);
    // The assistant never answered this thread (the outbound port is a recorder), so no deflection is lost.
    expect(await w.repos.metrics.query(w.ws.id, { metric: 'deflection.lost', fromDay: '2026-02-01', toDay: '2026-03-31' })).toEqual([]);
  });
});

describe('report facts at revocation (RunRevocationDeletion)', () => {
  it('deleting an account’s contacts on revocation keeps their pseudonymous report day facts, so past reports do not change', async () => {
    const h = await harness();
    await h.receive('m-1');
    expect(h.repos.db.scan('report_contact_days', () => true)).toHaveLength(1);
    const account = (await h.repos.accounts.findByIgUserId(IG))!;
    const revocation = new RunRevocationDeletion({
      ...h.repos, store: new InMemoryPrivacyStores(h.repos.db), ai: NO_AI_DECISION_RECORDS, clock: h.clock, ids: h.ids, digest: { sha256Hex: (t) => `h(${t})` },
    });
    const before = h.repos.db.scan('report_contact_days', () => true);
    expect((await revocation.execute({ workspaceId: WS, accountId: account.id, requestId: null })).contacts).toBe(1);
    expect(h.repos.db.scan('report_contact_days', () => true)).toEqual(before);
  });
});
