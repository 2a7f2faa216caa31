import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Ids, Message, ProcessInstagramEvent, type WorkspaceId } from '@palette/domain';
import { FakeClock, InMemoryInstagramEventLog, InMemoryWebhookInbox, RecordingJobQueue, SequentialIds, createInMemoryRepositories } from '@palette/domain/in-memory';
import { make, uuid } from '@palette/domain/testing';
import type { JobContext } from '@palette/adapters/queue';
import { instagramWebhookHandler, instagramWebhookSweepHandler } from '../src/handlers/instagram-webhook.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../adapters/test/instagram/fixtures/webhooks');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const FIXTURE_FILES = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();

const IG = '17841455500112233';
const CUSTOMER = '7432198865012345';
const MID_01 = JSON.parse(fixture('01-message-text.json')).entry[0].messaging[0].message.mid as string;
const MID_05 = JSON.parse(fixture('05-message-echo.json')).entry[0].messaging[0].message.mid as string;
const WS = Ids.workspace(uuid(1)) as WorkspaceId;

const job = (deliveryId: string, attempt = 1): JobContext => ({
  id: uuid(999), queue: 'instagram.webhook', data: { deliveryId }, attempt, orderingKey: null, createdAt: new Date(), signal: new AbortController().signal,
});

async function world(options: { connected?: boolean; maxAttempts?: number; failFirst?: number } = {}) {
  const repos = createInMemoryRepositories();
  const clock = new FakeClock('2026-01-06T16:00:00Z');
  const jobs = new RecordingJobQueue();
  const inbox = new InMemoryWebhookInbox(repos.db);
  const events = new InMemoryInstagramEventLog(repos.db);
  const ids = new SequentialIds('00000009');
  const account = make.account(uuid(2), WS, IG, new Date('2025-12-01T00:00:00Z'));
  const connect = () => repos.uow.run(async () => {
    await repos.workspaces.save(make.workspace(WS, new Date('2025-12-01T00:00:00Z')));
    await repos.accounts.save(account);
  });
  if (options.connected !== false) await connect();
  let failures = options.failFirst ?? 0;
  const process = () => {
    if (failures > 0) { failures -= 1; throw new Error('database went away'); }
    return new ProcessInstagramEvent({ ...repos, clock, ids, events, jobs });
  };
  const handler = instagramWebhookHandler({ inbox: () => inbox, process, clock, ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}) });
  let n = 0;
  const store = async (raw: string) => (await inbox.store({ id: uuid(0x1000 + (n += 1)), payloadSha256: createHash('sha256').update(raw).digest('hex'), rawBody: raw, receivedAt: clock.now() })).id;
  const deliver = async (raw: string) => {
    const id = await store(raw);
    await handler(job(id));
    return id;
  };
  const snapshot = async () => JSON.stringify({
    messages: repos.db.scan('messages'), conversations: repos.db.scan('conversations'), contacts: repos.db.scan('contacts'), events: repos.db.count('instagram_events'), jobs: jobs.jobs,
  });
  const thread = async (igsid = CUSTOMER) => {
    const contact = await repos.contacts.findByIgsid(account.id, igsid);
    const conversation = contact ? await repos.conversations.findByContact(account.id, contact.id) : null;
    return { contact, conversation, messages: conversation ? await repos.messages.listByConversation(WS, conversation.id) : [] };
  };
  return { repos, clock, jobs, inbox, events, account, handler, store, deliver, snapshot, thread, connect };
}

describe('instagram.webhook: every fixture, applied', () => {
  it('has the ten documented fixtures', () => {
    expect(FIXTURE_FILES).toHaveLength(10);
  });

  it.each(FIXTURE_FILES)('%s is processed without quarantine', async (file) => {
    const w = await world();
    const id = await w.deliver(fixture(file));
    expect(await w.inbox.get(id)).toMatchObject({ state: 'processed', reason: null, attempts: 1, workspaceId: WS });
  });

  it('01 text: a customer message and an assistant.reply job', async () => {
    const w = await world();
    await w.deliver(fixture('01-message-text.json'));
    const { conversation, messages } = await w.thread();
    expect(messages.map((m) => [m.authorKind, m.platformMessageId, m.sentAt.getTime()])).toEqual([['customer', MID_01, 1767712345120]]);
    expect(messages[0]!.text).toMatch(/^Hi! Is the linen shirt in size M/);
    expect(w.jobs.jobs.map((j) => [j.name, j.data])).toEqual([['assistant.reply', { workspaceId: WS, conversationId: conversation!.id, messageId: messages[0]!.id }]]);
  });

  it('02 two images, 03 story mention (URL only, entry point), 04 story reply', async () => {
    const w = await world();
    await w.deliver(fixture('02-message-attachments-image.json'));
    expect((await w.thread()).messages[0]!.attachments.map((a) => a.type)).toEqual(['image', 'image']);
    await w.deliver(fixture('04-message-story-reply.json'));
    expect((await w.thread()).messages[1]!.attachments).toEqual([{ type: 'story_reply', url: expect.stringContaining('asset_id=18044455566677788') }]);
    await w.deliver(fixture('03-message-story-mention.json'));
    const mention = await w.thread('6650021447893210');
    expect(mention.conversation?.entryPoint).toBe('story_mention');
    expect(mention.messages[0]!.attachments).toEqual([{ type: 'story_mention', url: expect.stringContaining('lookaside.fbsbx.com') }]);
  });

  it('05 echo reconciles our pending send; 06 react+unreact and 08 seen on it; 09 unsend of 01', async () => {
    const w = await world();
    await w.deliver(fixture('01-message-text.json'));
    const { conversation, contact } = await w.thread();
    const ours = Message.outbound({ id: Ids.message(uuid(0x77)), workspaceId: WS, accountId: w.account.id, conversationId: conversation!.id, contactId: contact!.id, author: 'assistant',
      text: "Hi, I'm the shop's automated assistant. Size M is in stock. Order #10482 ships tomorrow.", now: new Date(1767712349000) });
    ours.markSending(new Date(1767712349000));
    await w.repos.uow.run(() => w.repos.messages.save(ours));
    for (const f of ['05-message-echo.json', '06-message-reactions.json', '08-messaging-seen.json', '09-message-deleted.json']) await w.deliver(fixture(f));
    const { messages, conversation: after } = await w.thread();
    expect(messages.map((m) => [m.platformMessageId, m.authorKind, m.deliveryState, m.reactions, m.text === null, m.deletedAt?.getTime() ?? null])).toEqual([
      [MID_01, 'customer', 'received', [], true, 1767712600019],
      [MID_05, 'assistant', 'sent', [], false, null],
    ]);
    expect(after?.owner).toBe('assistant');
  });

  it('05 without a matching send: a human replied from the Instagram app, the assistant pauses', async () => {
    const w = await world();
    await w.deliver(fixture('05-message-echo.json'));
    const { conversation, messages } = await w.thread();
    expect(messages.map((m) => m.authorKind)).toEqual(['instagram_app_echo']);
    expect(conversation?.owner).toBe('human');
    expect(w.jobs.jobs).toEqual([]);
  });

  it('07 postback payload goes to the assistant; 10 comment is kept for comment-to-DM rules', async () => {
    const w = await world();
    await w.deliver(fixture('07-messaging-postbacks.json'));
    expect(w.jobs.jobs[0]?.data['payload']).toEqual({ kind: 'postback', value: 'ORDER_STATUS:10482' });
    await w.deliver(fixture('10-comments.json'));
    const comments = await w.events.listByKind(w.account.id, 'comment', 10);
    expect(comments.map((c) => [c.data['commentId'], c.data['text'], c.occurredAt.getTime() % 1000])).toEqual([['17999012345678902', 'PRICE? dm me please', 0]]);
  });

  it('all ten, then each redelivered five times (new inbox rows too): nothing changes after the first', async () => {
    const w = await world();
    for (const f of FIXTURE_FILES) await w.deliver(fixture(f));
    const first = await w.snapshot();
    for (let i = 0; i < 5; i++) {
      for (const f of FIXTURE_FILES) {
        // A byte-identical redelivery is the same inbox row; re-run its job as a duplicate job would.
        const id = await w.store(fixture(f));
        await w.handler(job(id));
        // Whitespace changes the bytes but not the events: a new row, applied as a no-op.
        await w.deliver(`${fixture(f)}${' '.repeat(i + 1)}`);
      }
    }
    expect(await w.snapshot()).toBe(first);
  });
});

describe('instagram.webhook: quarantine and replay', () => {
  it('quarantines what it cannot understand with the reason, applies the rest, and never throws', async () => {
    const w = await world();
    const raw = JSON.stringify({ object: 'instagram', entry: [{ id: IG, time: 1767712345120, messaging: [
      { sender: { id: CUSTOMER }, recipient: { id: IG }, timestamp: 1767712345120, message: { mid: 'm-ok', text: 'fine' } },
      { sender: { id: CUSTOMER }, recipient: { id: IG }, timestamp: 1767712345121, mystery: { x: 1 } },
      { sender: { id: CUSTOMER }, timestamp: 'yesterday' },
    ] }] });
    const id = await w.deliver(raw);
    const d = await w.inbox.get(id);
    expect(d?.state).toBe('quarantined');
    expect(d?.reason).toContain('entry.0.messaging.1: unknown messaging event kind');
    expect(d?.reason).toContain('entry.0.messaging.2: timestamp');
    expect(d?.reason).not.toContain('fine');
    expect((await w.thread()).messages.map((m) => m.text)).toEqual(['fine']);
    expect((await w.inbox.countByState()).quarantined).toBe(1);
    expect(await w.deliver('not json at all')).toBeTruthy();
    expect((await w.inbox.listQuarantined(null, 10)).map((q) => q.reason)).toContain('the body is not JSON');
  });

  it('a delivery for an account not connected yet is quarantined, and applies on replay once it is', async () => {
    const w = await world({ connected: false });
    const id = await w.deliver(fixture('01-message-text.json'));
    expect(await w.inbox.get(id)).toMatchObject({ state: 'quarantined', reason: `message: no connected account ${IG}`, workspaceId: null });
    await w.connect();
    expect(await w.inbox.requeue(id, null)).toBe(true);
    await w.handler(job(id));
    expect(await w.inbox.get(id)).toMatchObject({ state: 'processed', attempts: 2, workspaceId: WS });
    expect((await w.thread()).messages).toHaveLength(1);
  });

  it('a transient failure retries the job; a poisonous event is quarantined after maxAttempts instead of failing forever', async () => {
    const w = await world({ failFirst: 1, maxAttempts: 3 });
    const id = await w.store(fixture('01-message-text.json'));
    await expect(w.handler(job(id, 1))).rejects.toThrow('database went away');
    expect((await w.inbox.get(id))?.state).toBe('received');
    await w.handler(job(id, 2));
    expect(await w.inbox.get(id)).toMatchObject({ state: 'processed', attempts: 2 });

    const poisoned = await world({ failFirst: 100, maxAttempts: 3 });
    const pid = await poisoned.store(fixture('01-message-text.json'));
    await expect(poisoned.handler(job(pid))).rejects.toThrow();
    await expect(poisoned.handler(job(pid))).rejects.toThrow();
    await poisoned.handler(job(pid));
    expect(await poisoned.inbox.get(pid)).toMatchObject({ state: 'quarantined', reason: 'message: failed 3 times (database went away)' });
  });

  it('a job for a delivery already processed does nothing; a bad payload is permanent', async () => {
    const w = await world();
    const id = await w.deliver(fixture('01-message-text.json'));
    await w.handler(job(id));
    expect((await w.inbox.get(id))?.attempts).toBe(1);
    await expect(w.handler({ ...job(id), data: { deliveryId: 'nope' } })).rejects.toMatchObject({ name: 'PermanentJobError' });
    await expect(w.handler(job(uuid(0xdead)))).rejects.toMatchObject({ name: 'PermanentJobError' });
  });

  it('the sweep enqueues deliveries still received after a minute, with the ordering and dedupe keys, and purges applied ones after a day', async () => {
    const w = await world();
    const applied = await w.deliver(fixture('10-comments.json'));
    w.clock.advance(24 * 3600_000);
    const old = await w.store(fixture('01-message-text.json'));
    w.clock.advance(30_000);
    await w.store(fixture('07-messaging-postbacks.json'));
    w.clock.advance(40_000);
    const queue = new RecordingJobQueue();
    await instagramWebhookSweepHandler({ inbox: () => w.inbox, jobs: () => queue, clock: w.clock })(job(old));
    expect(queue.jobs).toEqual([{ name: 'instagram.webhook', data: { deliveryId: old }, orderingKey: `ig:${IG}:${CUSTOMER}`, dedupeKey: `delivery:${old}` }]);
    expect(await w.inbox.get(applied)).toBeNull();
  });
});
