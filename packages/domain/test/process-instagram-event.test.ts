import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ids, Message, ProcessInstagramEvent, type InstagramInboundEvent, type WorkspaceId } from '../src/index.js';
import { FakeClock, InMemoryInstagramEventLog, RecordingJobQueue, SequentialIds, createInMemoryRepositories } from '../in-memory/index.js';
import { make, uuid } from '../testing/index.js';

const IG = '17841455500112233';
const CUSTOMER = '7432198865012345';
const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const WS = Ids.workspace(uuid(1)) as WorkspaceId;

async function harness() {
  const repos = createInMemoryRepositories();
  const clock = new FakeClock('2026-03-01T11:00:00Z');
  const jobs = new RecordingJobQueue();
  const events = new InMemoryInstagramEventLog(repos.db);
  const now = new Date('2026-02-01T00:00:00Z');
  const account = make.account(uuid(2), WS, IG, now);
  await repos.uow.run(async () => {
    await repos.workspaces.save(make.workspace(WS, now));
    await repos.accounts.save(account);
  });
  const process = new ProcessInstagramEvent({ ...repos, clock, ids: new SequentialIds('00000009'), events, jobs });
  const apply = async (event: InstagramInboundEvent, key = keyOf(event)) => process.execute({ event, dedupeKey: key });
  return { repos, jobs, events, account, process, apply };
}

/** The adapter's dedupe keys, restated for events built by hand. */
function keyOf(e: InstagramInboundEvent): string {
  switch (e.kind) {
    case 'comment': return `${e.igUserId}:comment:${e.commentId}`;
    case 'reaction': return `${e.igUserId}:reaction:${e.mid}:${e.action}:${e.at.getTime()}`;
    case 'read': return `${e.igUserId}:read:${e.mid}:${e.at.getTime()}`;
    case 'edit': return `${e.igUserId}:edit:${e.mid}:${e.numEdit}`;
    case 'postback': return `${e.igUserId}:postback:${e.mid ?? `${e.senderIgsid}:${e.at.getTime()}`}`;
    case 'referral': return `${e.igUserId}:referral:${e.senderIgsid}:${e.at.getTime()}`;
    default: return `${e.igUserId}:${e.kind}:${e.mid}`;
  }
}

const msg = (mid: string, text: string | null, s: number, extra: Partial<Extract<InstagramInboundEvent, { kind: 'message' }>> = {}): InstagramInboundEvent => ({
  kind: 'message', igUserId: IG, senderIgsid: CUSTOMER, mid, text, attachments: [], quickReplyPayload: null, replyToMid: null, storyReply: null, referral: null, isSelf: false, at: at(s), ...extra,
});
const reaction = (mid: string, action: 'react' | 'unreact', s: number, emoji = '\u2764\ufe0f'): InstagramInboundEvent => ({ kind: 'reaction', igUserId: IG, senderIgsid: CUSTOMER, mid, action, emoji: action === 'react' ? emoji : null, at: at(s) });
const edit = (mid: string, text: string, n: number, s: number): InstagramInboundEvent => ({ kind: 'edit', igUserId: IG, senderIgsid: null, mid, text, numEdit: n, at: at(s) });
const unsend = (mid: string, s: number): InstagramInboundEvent => ({ kind: 'unsend', igUserId: IG, senderIgsid: CUSTOMER, mid, at: at(s) });
const read = (mid: string, s: number): InstagramInboundEvent => ({ kind: 'read', igUserId: IG, senderIgsid: null, mid, at: at(s) });
const echo = (mid: string, text: string, s: number, recipient: string | null = CUSTOMER): InstagramInboundEvent => ({ kind: 'echo', igUserId: IG, recipientIgsid: recipient, mid, text, attachments: [], at: at(s) });

async function thread(h: Awaited<ReturnType<typeof harness>>) {
  const contact = await h.repos.contacts.findByIgsid(h.account.id, CUSTOMER);
  const conversation = contact ? await h.repos.conversations.findByContact(h.account.id, contact.id) : null;
  const messages = conversation ? await h.repos.messages.listByConversation(WS, conversation.id) : [];
  return { contact, conversation, messages };
}

describe('ProcessInstagramEvent: each kind', () => {
  it('stores a text message, opens the thread and enqueues assistant.reply with the documented payload', async () => {
    const h = await harness();
    const r = await h.apply(msg('m1', 'Hi! Do you have the linen shirt in M?', 0));
    expect(r.ok && r.value.duplicate).toBe(false);
    const { conversation, messages } = await thread(h);
    expect(conversation?.entryPoint).toBe('organic_dm');
    expect(conversation?.lastCustomerMessageAt).toEqual(at(0));
    expect(messages.map((m) => [m.authorKind, m.text, m.platformMessageId])).toEqual([['customer', 'Hi! Do you have the linen shirt in M?', 'm1']]);
    expect(h.jobs.jobs).toEqual([{
      name: 'assistant.reply', data: { workspaceId: WS, conversationId: conversation!.id, messageId: messages[0]!.id }, orderingKey: conversation!.id, dedupeKey: `assistant.reply:${messages[0]!.id}`,
    }]);
  });

  it('the same event five times changes nothing after the first', async () => {
    const h = await harness();
    const events = [msg('m1', 'hello', 0), reaction('m1', 'react', 1), edit('m1', 'hello!', 1, 2), read('m1', 3)];
    for (const e of events) await h.apply(e);
    const snapshot = JSON.stringify(await thread(h));
    const jobs = h.jobs.jobs.length;
    for (let i = 0; i < 4; i++) {
      for (const e of events) {
        const r = await h.apply(e);
        expect(r.ok && r.value.duplicate).toBe(true);
      }
    }
    expect(JSON.stringify(await thread(h))).toBe(snapshot);
    expect(h.jobs.jobs).toHaveLength(jobs);
    expect(h.repos.db.count('messages')).toBe(1);
  });

  it('keeps attachments of every type as URLs, and story media as its URL only', async () => {
    const h = await harness();
    const types = ['image', 'video', 'audio', 'file', 'share', 'ig_reel', 'reel', 'story_mention'];
    await h.apply(msg('m1', null, 0, { attachments: types.map((type, i) => ({ type, url: `https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=${i}` })) }));
    await h.apply(msg('m2', 'How much?', 1, { storyReply: { id: '18044455566677788', url: 'https://lookaside.fbsbx.com/story' } }));
    const { conversation, messages } = await thread(h);
    expect(messages[0]!.attachments.map((a) => a.type)).toEqual(types);
    expect(messages[0]!.attachments.every((a) => a.url?.startsWith('https://'))).toBe(true);
    expect(messages[1]!.attachments).toEqual([{ type: 'story_reply', url: 'https://lookaside.fbsbx.com/story' }]);
    // The first message was a story mention: that is how the thread started.
    expect(conversation?.entryPoint).toBe('story_mention');
  });

  it('entry points: story reply, ad referral inside a message, ig.me referral event', async () => {
    for (const [event, expected] of [
      [msg('m1', 'How much?', 0, { storyReply: { id: '1', url: 'https://x/story' } }), 'story_reply'],
      [msg('m1', 'Hi', 0, { referral: { source: 'ADS', ref: null, adId: '120200000000' } }), 'ad_referral'],
      [{ kind: 'referral', igUserId: IG, senderIgsid: CUSTOMER, ref: 'spring-sale', source: 'SHORTLINK', at: at(0) } as InstagramInboundEvent, 'link_referral'],
    ] as const) {
      const h = await harness();
      await h.apply(event);
      const { conversation } = await thread(h);
      expect(conversation?.entryPoint).toBe(expected);
      expect(conversation?.lastCustomerMessageAt).toEqual(at(0));
    }
  });

  it('passes quick-reply and postback payloads to the assistant job, and records the tap in the thread', async () => {
    const h = await harness();
    await h.apply(msg('m1', 'M', 0, { quickReplyPayload: 'SIZE_M' }));
    await h.apply({ kind: 'postback', igUserId: IG, senderIgsid: CUSTOMER, mid: 'pb1', title: 'Track my order', payload: 'ORDER_STATUS:10482', at: at(1) });
    expect(h.jobs.jobs.map((j) => j.data['payload'])).toEqual([{ kind: 'quick_reply', value: 'SIZE_M' }, { kind: 'postback', value: 'ORDER_STATUS:10482' }]);
    const { messages } = await thread(h);
    expect(messages.map((m) => m.text)).toEqual(['M', 'Track my order']);
  });

  it('an inline reply keeps the mid it answers', async () => {
    const h = await harness();
    await h.apply(msg('m1', 'first', 0));
    await h.apply(msg('m2', 'this one', 1, { replyToMid: 'm1' }));
    expect((await thread(h)).messages[1]!.replyTo).toBe('m1');
  });

  it('reconciles the echo of our own send: the waiting outbound message becomes sent with the platform id', async () => {
    const h = await harness();
    await h.apply(msg('m1', 'Hi', 0));
    const { conversation, contact } = await thread(h);
    const out = Message.outbound({ id: Ids.message(uuid(77)), workspaceId: WS, accountId: h.account.id, conversationId: conversation!.id, contactId: contact!.id, author: 'assistant', text: 'Yes, we have it in M.', now: at(5) });
    out.markSending(at(5));
    await h.repos.uow.run(async () => h.repos.messages.save(out));
    await h.apply(echo('m-out-1', 'Yes, we have it in M.', 6));
    const after = await h.repos.messages.get(WS, out.id);
    expect([after?.deliveryState, after?.platformMessageId]).toEqual(['sent', 'm-out-1']);
    expect((await thread(h)).conversation?.owner).toBe('assistant');
    expect(h.repos.db.count('messages')).toBe(2);
  });

  it('an echo we did not send is a human answering from the Instagram app: recorded, and the assistant stops', async () => {
    const h = await harness();
    await h.apply(msg('m1', 'Hi', 0));
    const before = h.jobs.jobs.length;
    await h.apply(echo('m-human', 'I will check for you!', 10));
    const { conversation, messages } = await thread(h);
    expect(messages.map((m) => [m.direction, m.authorKind, m.text, m.deliveryState])).toEqual([
      ['inbound', 'customer', 'Hi', 'received'], ['outbound', 'instagram_app_echo', 'I will check for you!', 'sent'],
    ]);
    expect(conversation?.owner).toBe('human');
    expect(conversation?.acceptsAutomatedReplies()).toBe(false);
    expect(h.jobs.jobs).toHaveLength(before);
  });

  it('reactions fold by time per side; unreact removes it', async () => {
    const h = await harness();
    await h.apply(msg('m1', 'Hi', 0));
    await h.apply(reaction('m1', 'react', 1, '\ud83d\ude0d'));
    expect((await thread(h)).messages[0]!.reactions.map((r) => [r.by, r.emoji])).toEqual([['customer', '\ud83d\ude0d']]);
    await h.apply(reaction('m1', 'unreact', 2));
    expect((await thread(h)).messages[0]!.reactions).toEqual([]);
  });

  it('edits take the highest edit number; an unsend deletes our copy for good', async () => {
    const h = await harness();
    await h.apply(msg('m1', 'size S', 0));
    await h.apply(edit('m1', 'size M', 1, 5));
    expect((await thread(h)).messages[0]!.text).toBe('size M');
    await h.apply(unsend('m1', 9));
    await h.apply(edit('m1', 'size L', 2, 10));
    const m = (await thread(h)).messages[0]!;
    expect([m.text, m.attachments, m.deletedAt]).toEqual([null, [], at(9)]);
  });

  it('tolerates reads and edits without sender, and events about messages it never saw', async () => {
    const h = await harness();
    for (const e of [read('nope', 0), edit('nope', 'x', 1, 1), unsend('nope', 2), reaction('nope', 'react', 3), echo('m-x', 'no recipient', 4, null)]) {
      const r = await h.apply(e);
      expect(r.ok).toBe(true);
    }
    expect(h.repos.db.count('messages')).toBe(0);
    expect(h.repos.db.count('instagram_events')).toBe(5);
  });

  it('stores comments for the comment-to-DM rules, and ignores is_self messages', async () => {
    const h = await harness();
    await h.apply({ kind: 'comment', igUserId: IG, commentId: '17890000000000001', fromId: '5561203398874410', fromUsername: 'maria.buys.linen', text: 'PRICE?', mediaId: '18000000000000001', mediaProductType: 'REELS', parentId: null, at: at(0) });
    await h.apply(msg('m-self', 'sent from the shop', 1, { senderIgsid: IG, isSelf: true }));
    const comments = await h.events.listByKind(h.account.id, 'comment', 10);
    expect(comments.map((c) => [c.data['text'], c.data['fromUsername'], c.data['mediaProductType']])).toEqual([['PRICE?', 'maria.buys.linen', 'REELS']]);
    expect(h.repos.db.count('messages')).toBe(0);
    expect(h.jobs.jobs).toEqual([]);
  });

  it('an unknown account is an error and records nothing, so a replay after connecting applies it', async () => {
    const h = await harness();
    const r = await h.apply({ ...msg('m1', 'Hi', 0), igUserId: '999' } as InstagramInboundEvent);
    expect(r.ok ? null : r.error).toEqual({ kind: 'UnknownAccount', igUserId: '999' });
    expect(h.repos.db.count('instagram_events')).toBe(0);
  });
});

describe('ProcessInstagramEvent: arrival order does not matter (property)', () => {
  // One thread's life: messages, our reply (reconciled by echo), a human's reply from the app,
  // reactions, edits, an unsend, reads. Every timestamp is distinct, as Meta's are in one thread.
  const base: InstagramInboundEvent[] = [
    msg('m1', 'Hi', 0),
    msg('m2', 'Is the shirt in M?', 1, { quickReplyPayload: 'SIZE_M' }),
    reaction('m1', 'react', 2),
    edit('m2', 'Is the shirt in L?', 1, 3),
    echo('e1', 'Let me check', 4),
    reaction('m1', 'unreact', 5),
    reaction('e1', 'react', 6, '\ud83d\udc4d'),
    msg('m3', 'oops', 7, { attachments: [{ type: 'image', url: 'https://cdn/x.jpg' }] }),
    unsend('m3', 8),
    edit('m2', 'Is the shirt in XL?', 2, 9),
    read('e1', 10),
    reaction('m2', 'react', 11, '\ud83d\ude02'),
  ];

  async function finalState(order: InstagramInboundEvent[], redeliver: number[]) {
    const h = await harness();
    for (const [i, e] of order.entries()) {
      await h.apply(e);
      if (redeliver.includes(i)) await h.apply(e);
    }
    const { conversation, messages } = await thread(h);
    return {
      conversation: conversation && { owner: conversation.owner, lastCustomerMessageAt: conversation.lastCustomerMessageAt, lastInteractionAt: conversation.lastInteractionAt, unread: conversation.unreadCount },
      messages: messages
        .map((m) => ({ mid: m.platformMessageId, author: m.authorKind, text: m.text, attachments: m.attachments, reactions: m.reactions, editedAt: m.editedAt, deletedAt: m.deletedAt, state: m.deliveryState }))
        .sort((a, b) => String(a.mid).localeCompare(String(b.mid))),
      replies: h.jobs.jobs.length,
    };
  }

  it('any permutation, with redeliveries, ends in the in-order state', async () => {
    const expected = await finalState(base, []);
    expect(expected.messages.find((m) => m.mid === 'm2')?.text).toBe('Is the shirt in XL?');
    expect(expected.messages.find((m) => m.mid === 'm3')?.text).toBeNull();
    expect(expected.conversation?.owner).toBe('human');
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(base, { minLength: base.length, maxLength: base.length }), fc.array(fc.nat(base.length - 1), { maxLength: 4 }), async (order, redeliver) => {
        const got = await finalState(order, redeliver);
        expect(got).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });
});
