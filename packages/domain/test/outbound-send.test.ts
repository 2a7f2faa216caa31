import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ConnectInstagramAccount, Ids, QueueOutboundMessage, ReceiveInboundMessage, ReleaseHeldMessages, SendOutboundMessage, err, ok, splitIntoParts, utf8Bytes,
  type ContactDeliveryFlags, type ContactId, type InstagramConversationsReader, type InstagramGateway, type JobRequest, type Message, type MessageId,
  type OutboundAuthor, type OutboundMessageQueries, type PlatformSentMessage, type RateDecision, type RateLimiter, type SendFailure, type TokenCipher, type WorkspaceId,
} from '../src/index.js';
import { FakeClock, RecordingJobQueue, SequentialIds, createInMemoryRepositories } from '../in-memory/index.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const IG = '17841455500112233';
const CUSTOMER = '7432198865012345';
const WS = Ids.workspace('0190a000-0000-7000-8000-0000000000aa');

/** A reversible "cipher" that still refuses the wrong AAD, as AES-GCM would. */
const cipher: TokenCipher = {
  currentKeyId: () => 'k1',
  encrypt: async (plaintext, aad) => ({ keyId: 'k1', data: JSON.stringify([aad, plaintext]) }),
  decrypt: async (c, aad) => {
    const [boundTo, plaintext] = JSON.parse(c.data) as [string, string];
    if (boundTo !== aad) throw new Error('authentication failed');
    return plaintext;
  },
};

/** Instagram as far as these tests need it: a thread that keeps what was delivered. */
class FakeInstagram implements InstagramGateway, InstagramConversationsReader {
  readonly delivered: Array<PlatformSentMessage & { tag: 'HUMAN_AGENT' | null; token: string }> = [];
  readonly calls: Array<{ text: string; tag: 'HUMAN_AGENT' | null }> = [];
  /** Failures to answer with, in order; `crash` delivers then throws (the process died mid-call). */
  script: Array<SendFailure | 'crash'> = [];
  readComplete = true;
  private n = 0;
  constructor(private readonly clock: FakeClock) {}

  async send(input: Parameters<InstagramGateway['send']>[0]) {
    const text = input.payload.type === 'text' ? input.payload.text : '';
    this.calls.push({ text, tag: input.tag });
    const next = this.script.shift();
    if (next && next !== 'crash') return err(next);
    const mid = `mid-${++this.n}`;
    this.delivered.push({ platformMessageId: mid, text, createdAt: this.clock.now(), tag: input.tag, token: input.accessToken });
    if (next === 'crash') throw new Error('worker killed during the platform call');
    return ok({ platformMessageId: mid });
  }

  async sentSince(input: { since: Date }) {
    return ok({ messages: this.delivered.filter((m) => m.createdAt >= input.since), complete: this.readComplete });
  }
}

class OpenLimiter implements RateLimiter {
  next: RateDecision[] = [];
  paused: Date | null = null;
  async tryAcquire() { return this.next.shift() ?? { granted: true as const }; }
  async reportUsage() {}
  async pauseUntil(_key: string, until: Date) { this.paused = until; }
}

class MemoryFlags implements ContactDeliveryFlags {
  readonly flags = new Map<string, Date>();
  async flagUnavailable(input: { contactId: ContactId; at: Date }) { this.flags.set(input.contactId, input.at); }
  async unavailableSince(_ws: WorkspaceId, contactId: ContactId) { return this.flags.get(contactId) ?? null; }
}

function harness() {
  const repos = createInMemoryRepositories();
  const clock = new FakeClock('2026-03-01T10:00:00Z');
  const ids = new SequentialIds();
  const jobs = new RecordingJobQueue();
  const instagram = new FakeInstagram(clock);
  const limiter = new OpenLimiter();
  const flags = new MemoryFlags();
  const queries: OutboundMessageQueries = {
    listHeld: async (ws, accountId) => repos.db.scan<Message>('messages', (m) => m.workspaceId === ws && m.accountId === accountId && m.deliveryState === 'held').sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map((m) => m.id),
    listStalled: async () => [],
  };
  const deps = { ...repos, clock, ids };
  const sender = new SendOutboundMessage({ ...repos, clock, cipher, gateway: instagram, reader: instagram, limiter, flags, options: { sleep: async () => {}, reconcileGraceMs: 5_000 } });
  return {
    repos, clock, ids, jobs, instagram, limiter, flags, sender,
    connect: (token = 'token-1') => new ConnectInstagramAccount({ ...deps, cipher }).execute({
      workspaceId: WS, igUserId: IG, username: 'shop', accountType: 'Business', grantedScopes: ['instagram_business_basic', 'instagram_business_manage_messages'], accessToken: token, tokenExpiresAt: new Date(clock.now().getTime() + 60 * DAY),
    }),
    customerWrites: (mid: string, text = 'Is it in stock?') => new ReceiveInboundMessage(deps).execute({ igUserId: IG, senderIgsid: CUSTOMER, platformMessageId: mid, text, attachments: [], replyTo: null, sentAt: clock.now(), entryPoint: 'organic_dm' }),
    queue: new QueueOutboundMessage({ ...deps, jobs }),
    release: new ReleaseHeldMessages({ ...deps, queries, jobs }),
    /** Runs every recorded outbound.send job once, in order, like the worker would. */
    async runJobs(from = 0) {
      const outcomes = [];
      for (const job of jobs.jobs.slice(from)) outcomes.push(await sender.execute({ workspaceId: WS, messageId: (job.data as { messageId: MessageId }).messageId }));
      return outcomes;
    },
    message: (id: MessageId) => repos.messages.get(WS, id),
  };
}
type H = ReturnType<typeof harness>;

async function thread(h: H) {
  const connected = await h.connect();
  if (!connected.ok) throw new Error('connect failed');
  const r = await h.customerWrites('m-in-1');
  if (!r.ok) throw new Error('receive failed');
  return { account: connected.value.account, conversationId: r.value.conversation.id };
}

async function queue(h: H, conversationId: Parameters<QueueOutboundMessage['execute']>[0]['conversationId'], author: OutboundAuthor, text = 'Yes, in stock!') {
  const r = await h.queue.execute({ workspaceId: WS, conversationId, author, text });
  if (!r.ok) throw new Error(r.error.kind);
  return r.value;
}

describe('SendOutboundMessage (in memory)', () => {
  it('within the window: records sending, sends once, stores the platform id; a second run sends nothing', async () => {
    const h = harness();
    const { conversationId } = await thread(h);
    const q = await queue(h, conversationId, 'assistant');
    const [outcome] = await h.runJobs();
    expect(outcome).toEqual({ kind: 'sent', platformMessageId: 'mid-1', reconciled: false });
    const stored = (await h.message(q.message.id))!;
    expect({ state: stored.deliveryState, mid: stored.platformMessageId, tag: stored.tag }).toEqual({ state: 'sent', mid: 'mid-1', tag: null });
    expect(h.instagram.delivered.map((d) => d.token)).toEqual(['token-1']);
    expect(await h.runJobs()).toEqual([{ kind: 'settled', state: 'sent' }]);
    expect(h.instagram.calls).toHaveLength(1);
  });

  it('gates again at send time: the window closed while the job waited → refused with the reason, nothing sent', async () => {
    const h = harness();
    const { conversationId } = await thread(h);
    h.clock.advance(23 * HOUR);
    const q = await queue(h, conversationId, 'assistant');
    h.clock.advance(2 * HOUR);
    expect(await h.runJobs()).toEqual([{ kind: 'refused', reason: 'window_closed' }]);
    const stored = (await h.message(q.message.id))!;
    expect({ state: stored.deliveryState, reason: stored.holdReason }).toEqual({ state: 'refused', reason: 'window_closed' });
    expect(h.instagram.calls).toEqual([]);
  });

  it('HUMAN_AGENT goes only to human authors, only between 24 h and 7 days (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom<OutboundAuthor>('assistant', 'automation', 'agent', 'notification'),
      fc.integer({ min: 0, max: 9 * DAY }),
      async (author, elapsed) => {
        const h = harness();
        const { conversationId } = await thread(h);
        // Queued fresh, sent `elapsed` after the customer's message.
        await queue(h, conversationId, author);
        h.clock.advance(elapsed);
        await h.runJobs();
        for (const d of h.instagram.delivered) {
          if (d.tag === 'HUMAN_AGENT') expect(author).toBe('agent');
        }
        if (elapsed >= 7 * DAY) expect(h.instagram.delivered).toEqual([]);
        if (elapsed >= DAY && author !== 'agent') expect(h.instagram.delivered).toEqual([]);
        if (elapsed >= DAY && elapsed < 7 * DAY && author === 'agent') expect(h.instagram.delivered.map((d) => d.tag)).toEqual(['HUMAN_AGENT']);
        if (elapsed < DAY) expect(h.instagram.delivered.map((d) => d.tag)).toEqual([null]);
      },
    ), { numRuns: 60 });
  });

  it('Instagram says "outside the window" → refused, recorded, not retried', async () => {
    const h = harness();
    const { conversationId } = await thread(h);
    const q = await queue(h, conversationId, 'assistant');
    h.instagram.script = [{ kind: 'WindowClosed' }];
    expect(await h.runJobs()).toEqual([{ kind: 'refused', reason: 'window_closed' }]);
    expect((await h.message(q.message.id))!.deliveryState).toBe('refused');
    expect(await h.runJobs()).toEqual([{ kind: 'settled', state: 'refused' }]);
  });

  it('token invalid (190) → account token_expired with a reason, message held; after reconnecting, the release sends it', async () => {
    const h = harness();
    const { account, conversationId } = await thread(h);
    const q = await queue(h, conversationId, 'assistant');
    h.instagram.script = [{ kind: 'TokenInvalid' }];
    expect(await h.runJobs()).toEqual([{ kind: 'held', reason: 'token_expired' }]);
    const expired = (await h.repos.accounts.get(WS, account.id))!;
    expect(expired.status).toBe('token_expired');
    expect(expired.statusReason).toMatch(/reconnect/);
    expect((await h.message(q.message.id))!.holdReason).toBe('token_expired');
    // Anything queued meanwhile is held by the gate, not dropped.
    const later = await queue(h, conversationId, 'assistant', 'Anything else?');
    expect(later.decision).toEqual({ outcome: 'hold', reason: 'token_expired' });

    const before = h.jobs.jobs.length;
    const re = await h.connect('token-2');
    expect(re.ok && re.value.reconnected).toBe(true);
    expect(await h.release.execute({ workspaceId: WS, accountId: account.id })).toEqual({ released: 2, stillHeld: 0 });
    expect(await h.runJobs(before)).toEqual([{ kind: 'sent', platformMessageId: 'mid-1', reconciled: false }, { kind: 'sent', platformMessageId: 'mid-2', reconciled: false }]);
    expect(h.instagram.delivered.map((d) => [d.text, d.token])).toEqual([['Yes, in stock!', 'token-2'], ['Anything else?', 'token-2']]);
  });

  it('a held send whose window closed meanwhile stays unsent after the release (refused for a bot, with the reason)', async () => {
    const h = harness();
    const { account, conversationId } = await thread(h);
    const q = await queue(h, conversationId, 'assistant');
    h.instagram.script = [{ kind: 'TokenInvalid' }];
    await h.runJobs();
    h.clock.advance(2 * DAY);
    await h.connect('token-2');
    expect(await h.release.execute({ workspaceId: WS, accountId: account.id })).toEqual({ released: 0, stillHeld: 1 });
    const stored = (await h.message(q.message.id))!;
    expect({ state: stored.deliveryState, reason: stored.holdReason }).toEqual({ state: 'refused', reason: 'window_closed' });
    expect(h.instagram.delivered).toEqual([]);
  });

  it('a crash during the platform call: the retry finds `sending`, reconciles with Instagram\'s copy, and never sends twice', async () => {
    const h = harness();
    const { conversationId } = await thread(h);
    const q = await queue(h, conversationId, 'assistant');
    h.instagram.script = ['crash'];
    await expect(h.runJobs()).rejects.toThrow(/killed/);
    expect((await h.message(q.message.id))!.deliveryState).toBe('sending');
    // Too soon to conclude anything: retry later.
    expect((await h.runJobs())[0]).toMatchObject({ kind: 'retry', reschedule: false });
    h.clock.advance(10_000);
    expect(await h.runJobs()).toEqual([{ kind: 'sent', platformMessageId: 'mid-1', reconciled: true }]);
    expect(h.instagram.calls).toHaveLength(1);
    expect((await h.message(q.message.id))!.platformMessageId).toBe('mid-1');
  });

  it('a crash before the call reached Instagram: the thread proves it absent, so it is sent (once)', async () => {
    const h = harness();
    const { conversationId } = await thread(h);
    const q = await queue(h, conversationId, 'assistant');
    h.instagram.script = [{ kind: 'Transient', message: 'timed out' }];
    expect((await h.runJobs())[0]).toMatchObject({ kind: 'retry' });
    expect((await h.message(q.message.id))!.deliveryState).toBe('sending');
    h.clock.advance(10_000);
    expect(await h.runJobs()).toEqual([{ kind: 'sent', platformMessageId: 'mid-1', reconciled: false }]);
    expect(h.instagram.delivered).toHaveLength(1);
  });

  it('a message that waited in a backlog and then timed out is not reconciled at once: the grace runs from the call, not the queueing', async () => {
    const h = harness();
    const { conversationId } = await thread(h);
    const q = await queue(h, conversationId, 'assistant');
    // Queued, then stuck behind a backlog for longer than the grace before its call.
    h.clock.advance(60_000);
    h.instagram.script = [{ kind: 'Transient', message: 'timed out' }];
    expect((await h.runJobs())[0]).toMatchObject({ kind: 'retry' });
    expect((await h.message(q.message.id))!.sendingSince).toEqual(h.clock.now());
    // Right after the timeout Instagram may still deliver it: reading the thread now could call it absent.
    expect((await h.runJobs())[0]).toMatchObject({ kind: 'retry', reason: 'waiting before reconciling an unknown outcome' });
    h.clock.advance(10_000);
    expect(await h.runJobs()).toEqual([{ kind: 'sent', platformMessageId: 'mid-1', reconciled: false }]);
    expect(h.instagram.delivered).toHaveLength(1);
  });

  it('when Instagram\'s copy cannot settle it, the outcome is surfaced as unknown, never resent', async () => {
    const h = harness();
    const { conversationId } = await thread(h);
    const q = await queue(h, conversationId, 'assistant');
    h.instagram.script = [{ kind: 'Transient', message: 'connection reset' }];
    await h.runJobs();
    h.instagram.readComplete = false;
    h.clock.advance(10_000);
    expect((await h.runJobs())[0]).toMatchObject({ kind: 'unknown' });
    expect((await h.message(q.message.id))!.deliveryState).toBe('unknown');
    expect(await h.runJobs()).toEqual([{ kind: 'settled', state: 'unknown' }]);
    expect(h.instagram.delivered).toHaveLength(0);
  });

  it('a long reply is one message per 1000-byte part; a failed part is retried without repeating delivered ones', async () => {
    const h = harness();
    const { conversationId } = await thread(h);
    const text = Array.from({ length: 400 }, (_, i) => `word${i} ✨`).join(' ');
    const q = await queue(h, conversationId, 'assistant', text);
    expect(q.messages.length).toBeGreaterThan(2);
    expect(q.messages.every((m) => utf8Bytes(m.text!) <= 1000)).toBe(true);
    expect(h.jobs.jobs.map((j) => j.dedupeKey)).toEqual(q.messages.map((m) => `send:${m.id}`));
    const first = await h.sender.execute({ workspaceId: WS, messageId: q.messages[0]!.id });
    h.instagram.script = [{ kind: 'RateLimited', retryAfterMs: 90_000 }];
    const second = await h.sender.execute({ workspaceId: WS, messageId: q.messages[1]!.id });
    expect(first.kind).toBe('sent');
    expect(second).toEqual({ kind: 'retry', afterMs: 90_000, reason: 'rate limited by Instagram', reschedule: true });
    expect(h.limiter.paused).toEqual(new Date(h.clock.now().getTime() + 90_000));
    for (const m of q.messages.slice(1)) await h.sender.execute({ workspaceId: WS, messageId: m.id });
    expect(h.instagram.delivered.map((d) => d.text)).toEqual(q.messages.map((m) => m.text));
  });

  it('recipient unavailable (551) → failed and the contact flagged; later sends fail fast until the customer writes again', async () => {
    const h = harness();
    const { conversationId } = await thread(h);
    await queue(h, conversationId, 'assistant');
    h.instagram.script = [{ kind: 'RecipientUnavailable' }];
    expect((await h.runJobs())[0]).toMatchObject({ kind: 'failed', reason: 'recipient_unavailable' });
    await queue(h, conversationId, 'assistant', 'Hello?');
    expect((await h.runJobs(1))[0]).toMatchObject({ kind: 'failed', reason: 'recipient_unavailable' });
    expect(h.instagram.calls).toHaveLength(1);
    h.clock.advance(HOUR);
    await h.customerWrites('m-in-2', 'back again');
    await queue(h, conversationId, 'assistant', 'Welcome back');
    expect((await h.runJobs(2))[0]).toMatchObject({ kind: 'sent' });
  });

  it('the message not committed yet → missing (the job retries); an enqueue happens only after the commit', async () => {
    const h = harness();
    expect(await h.sender.execute({ workspaceId: WS, messageId: Ids.message('0190a000-0000-7000-8000-00000000ffff') })).toEqual({ kind: 'missing' });
    const { conversationId } = await thread(h);
    const seen: JobRequest[] = [];
    const q = new QueueOutboundMessage({ ...h.repos, clock: h.clock, ids: h.ids, jobs: { enqueue: async (job) => {
      // At enqueue time the message must already be readable outside the use case's transaction.
      const m = await h.repos.messages.get(WS, (job.data as { messageId: MessageId }).messageId);
      expect(m?.deliveryState).toBe('pending');
      seen.push(job);
    } } });
    const r = await q.execute({ workspaceId: WS, conversationId, author: 'assistant', text: 'ok' });
    expect(r.ok).toBe(true);
    expect(seen).toHaveLength(1);
  });
});

describe('splitIntoParts', () => {
  it('every part fits 1000 bytes, no text is lost but the whitespace at cuts, and emoji are never torn (property)', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', 'é', '✨', '👩‍👩‍👧', ' ', '日', 'word ', '\n'), maxLength: 3000 }), (text) => {
      const parts = splitIntoParts(text);
      for (const p of parts) expect(utf8Bytes(p)).toBeLessThanOrEqual(1000);
      expect(parts.join('').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
      if (utf8Bytes(text) <= 1000) expect(parts).toEqual(text.length ? [text] : []);
      for (const p of parts) expect(p).not.toMatch(/^\u200d|\u200d$/);
    }), { numRuns: 200 });
  });
});
