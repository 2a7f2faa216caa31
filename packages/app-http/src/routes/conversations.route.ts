import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Container } from 'inversify';
import {
  can, Ids, InboxQueries, ManageConversation, QueueOutboundMessage, type ConversationAction, type GateDecision, type InboxItem, type JobQueue, type Message,
  type WindowView, type WorkspaceId,
} from '@palette/domain';
import { IDEMPOTENCY_DESCRIPTION, idempotent } from '../http/idempotency.js';
import { decodeCursor, pageFrom, pageOf, pageQuery, type Cursor } from '../http/pagination.js';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import type { Principal } from '../http/auth.js';
import { TOKENS } from '../tokens.js';
import type { WorkspaceServices } from '../workspace-services.js';

/** Live updates: see ChangeFeed. */
export const POLL_MS = 2000;
export const HEARTBEAT_MS = 15_000;
/** Rows stamped before a slow transaction committed still show up: each poll looks this far back, and ids already sent are skipped. */
const OVERLAP_MS = 10_000;
const BATCH = 200;

const OWNERS = ['assistant', 'human', 'paused'] as const;
const ENTRY_POINTS = ['organic_dm', 'ad_referral', 'link_referral', 'story_reply', 'story_mention', 'comment'] as const;
/** Longest reply accepted; QueueOutboundMessage splits it into 1000-byte parts. */
export const MAX_REPLY_CHARS = 4000;

const WindowDto = z.object({
  status: z.enum(['open', 'human_agent_only', 'closed']).describe('`open`: anyone may answer; `human_agent_only`: a human may, with the HUMAN_AGENT tag; `closed`: nobody may.'),
  closesAt: z.iso.datetime().nullable().describe('When the standard 24 h window closes (or closed); null before the customer ever wrote.'),
  humanAgentUntil: z.iso.datetime().nullable().describe('Until when a human may still answer (7 days after the customer\'s last message).'),
}).meta({ id: 'MessagingWindow' });

const ContactCard = z.object({ id: z.uuid(), username: z.string().nullable(), displayName: z.string().nullable(), anonymized: z.boolean() });

const MessagePreview = z.object({
  id: z.uuid(), direction: z.enum(['inbound', 'outbound']), authorKind: z.string(), sentAt: z.iso.datetime(), deliveryState: z.string(),
  text: z.string().nullable().describe('Null when the message has no text, was unsent, or the caller may not read message content.'),
  attachmentCount: z.number().int(),
});

const ConversationSummary = z.object({
  id: z.uuid(), contact: ContactCard, owner: z.enum(OWNERS), unread: z.boolean(), unreadCount: z.number().int(), entryPoint: z.enum(ENTRY_POINTS),
  lastMessage: MessagePreview.nullable(), lastInteractionAt: z.iso.datetime(), lastCustomerMessageAt: z.iso.datetime().nullable(),
  handoffRequestedAt: z.iso.datetime().nullable(), window: WindowDto, updatedAt: z.iso.datetime(), version: z.number().int(),
}).meta({ id: 'ConversationSummary' });

const MessageDto = z.object({
  id: z.uuid(), direction: z.enum(['inbound', 'outbound']),
  authorKind: z.enum(['customer', 'assistant', 'automation', 'agent', 'notification', 'instagram_app_echo']),
  text: z.string().nullable(), attachments: z.array(z.object({ type: z.string(), url: z.string().nullable() })),
  reactions: z.array(z.object({ by: z.enum(['customer', 'merchant']), emoji: z.string(), at: z.iso.datetime() })),
  deliveryState: z.enum(['received', 'pending', 'sending', 'sent', 'held', 'refused', 'failed', 'unknown']),
  holdReason: z.string().nullable().describe('Why an outbound message is held, refused or failed (`window_closed`, `token_expired`…).'),
  tag: z.enum(['HUMAN_AGENT']).nullable(), replyTo: z.string().nullable(),
  sentAt: z.iso.datetime(), editedAt: z.iso.datetime().nullable(), deletedAt: z.iso.datetime().nullable(),
}).meta({ id: 'ConversationMessage' });

const ConversationDetail = ConversationSummary.extend({ messages: pageOf(MessageDto, 'ConversationMessagePage') }).meta({ id: 'ConversationDetail' });

const ReplyPolicyDto = z.object({
  allowed: z.boolean(), outcome: z.enum(['send', 'hold', 'refuse']), tag: z.enum(['HUMAN_AGENT']).nullable(),
  reason: z.string().nullable().describe('Why a reply would be held or refused now.'), window: WindowDto,
  takesOver: z.boolean().describe('Sending takes the conversation over from the assistant.'),
  summary: z.string().describe('One sentence for the reply box, e.g. "Window closes in 3 h."'),
}).meta({ id: 'ReplyPolicy' });

const SentReply = z.object({
  outcome: z.enum(['queued', 'held']), tag: z.enum(['HUMAN_AGENT']).nullable(), messages: z.array(MessageDto),
}).meta({ id: 'SentReply', description: 'The recorded reply (one message per 1000-byte part).' });

const EventDto = z.object({
  id: z.string(), type: z.enum(['message.created', 'conversation.updated']), conversationId: z.uuid(), messageId: z.uuid().nullable(), at: z.iso.datetime(),
}).meta({ id: 'InboxEvent', description: 'Ids only, never content: a client re-reads what changed through the permissioned routes.' });

const wsParams = z.object({ workspaceId: z.uuid() });
const convParams = z.object({ workspaceId: z.uuid(), conversationId: z.uuid() });
const SEND_ROUTE = 'POST /api/workspaces/:workspaceId/conversations/:conversationId/messages';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const windowDto = (w: WindowView): z.input<typeof WindowDto> => ({ status: w.status, closesAt: iso(w.closesAt), humanAgentUntil: iso(w.humanAgentUntil) });

function summaryDto(item: InboxItem, readContent: boolean): z.input<typeof ConversationSummary> {
  const { conversation: c, contact: k, lastMessage: m } = item;
  return {
    id: c.id, owner: c.owner, unread: c.unreadCount > 0, unreadCount: c.unreadCount, entryPoint: c.entryPoint,
    contact: { id: c.contactId, username: k?.username ?? null, displayName: k?.displayName ?? null, anonymized: k?.isAnonymized ?? true },
    lastMessage: m === null ? null : {
      id: m.id, direction: m.direction, authorKind: m.authorKind, sentAt: m.sentAt.toISOString(), deliveryState: m.deliveryState,
      text: readContent ? m.text : null, attachmentCount: m.attachments.length,
    },
    lastInteractionAt: c.lastInteractionAt.toISOString(), lastCustomerMessageAt: iso(c.lastCustomerMessageAt), handoffRequestedAt: iso(c.handoffRequestedAt),
    window: windowDto(item.window), updatedAt: c.updatedAt.toISOString(), version: c.version,
  };
}

const messageDto = (m: Message): z.input<typeof MessageDto> => ({
  id: m.id, direction: m.direction, authorKind: m.authorKind, text: m.text, attachments: m.attachments.map((a) => ({ type: a.type, url: a.url })),
  reactions: m.reactions.map((r) => ({ by: r.by, emoji: r.emoji, at: new Date(r.at).toISOString() })),
  deliveryState: m.deliveryState, holdReason: m.holdReason, tag: m.tag, replyTo: m.replyTo,
  sentAt: m.sentAt.toISOString(), editedAt: iso(m.editedAt), deletedAt: iso(m.deletedAt),
});

const REASON_TEXT: Readonly<Record<string, string>> = {
  no_customer_message: 'The customer has not written yet; Instagram lets a business answer only after they do.',
  window_closed: 'The 24-hour window is closed.',
  human_agent_window_closed: 'More than 7 days since the customer\'s last message: nobody can answer until they write again.',
  token_expired: 'The Instagram connection expired: replies are held until it is reconnected.',
  account_not_connected: 'The Instagram account is not connected.',
  contact_restricted: 'Processing is restricted for this contact.',
  recipient_unavailable: 'Instagram says this customer cannot receive messages.',
};
const reasonText = (reason: string): string => REASON_TEXT[reason] ?? `Not allowed now (${reason.replaceAll('_', ' ')}).`;

function untilText(target: Date, now: Date): string {
  const ms = target.getTime() - now.getTime();
  const hours = Math.floor(ms / 3600_000);
  if (hours >= 48) return `${Math.floor(hours / 24)} days`;
  if (hours >= 1) return `${hours} h`;
  return `${Math.max(1, Math.ceil(ms / 60_000))} min`;
}

function policySummary(decision: GateDecision, w: WindowView, now: Date): string {
  if (decision.outcome !== 'send') return reasonText(decision.reason);
  if (decision.tag === 'HUMAN_AGENT' && w.humanAgentUntil) return `Human-agent window: ${untilText(w.humanAgentUntil, now)} left. Your reply is sent with the HUMAN_AGENT tag.`;
  return w.closesAt ? `Window closes in ${untilText(w.closesAt, now)}.` : 'You can reply.';
}

function services(c: Container) {
  const s: WorkspaceServices = c.get(TOKENS.WorkspaceServices);
  const ids = c.get(TOKENS.Ids);
  // Without a queue (tests, embedding) a reply that may go out is recorded as pending, not sent.
  const jobs: JobQueue = c.isBound(TOKENS.JobQueue) ? c.get(TOKENS.JobQueue) : { enqueue: async () => undefined };
  return {
    s,
    queries: new InboxQueries({ ...s.repos, clock: s.clock }),
    manage: new ManageConversation({ ...s.repos, clock: s.clock }),
    outbound: new QueueOutboundMessage({ ...s.repos, jobs, clock: s.clock, ids }),
  };
}

function timeCursor(raw: string | undefined): { at: Date; id: string } | undefined {
  const after: Cursor | undefined = decodeCursor(raw);
  if (after === undefined) return undefined;
  if (typeof after.sortKey !== 'number' || !z.uuid().safeParse(after.id).success) {
    throw HttpProblem.validation([{ path: 'query.cursor', message: 'is not a cursor this API issued', code: 'invalid_cursor' }]);
  }
  return { at: new Date(after.sortKey), id: after.id };
}

const boolFlag = z.enum(['true', 'false']).transform((v) => v === 'true');

async function action(c: Container, principal: Principal, conversationId: string, act: ConversationAction) {
  const x = services(c);
  const done = await x.manage.execute({ workspaceId: principal.workspaceId, conversationId: Ids.conversation(conversationId), action: act });
  if (!done.ok) throw HttpProblem.notFound();
  const item = await x.queries.conversation(principal.workspaceId, done.value.id, { limit: 0 });
  if (!item.ok) throw HttpProblem.notFound();
  return { status: 200 as const, body: summaryDto(item.value, can(principal.role, 'messages.read_content')) };
}

const actionRoute = (c: Container, path: string, summary: string, act: ConversationAction, description: string) =>
  defineRoute(
    {
      method: 'post', path: `/api/workspaces/:workspaceId/conversations/:conversationId/${path}`, tags: ['conversations'], auth: 'session', permission: 'conversations.manage',
      params: convParams, summary, description, responses: { 200: { description: 'The conversation', body: ConversationSummary } },
    },
    async ({ principal, params }) => action(c, principal, params.conversationId, act),
  );

export const conversationsRoutes = (c: Container) => [
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/conversations', tags: ['conversations'], auth: 'session', permission: 'inbox.read', params: wsParams,
      summary: 'The inbox: conversations, newest activity first',
      description: 'Filters: `owner`, `unread`, `entryPoint`, and `q` (case-insensitive, over the contact\'s handle and name and the last message\'s text). Each row carries the messaging window (`window.closesAt`, `window.humanAgentUntil`, `window.status`).',
      query: z.object({
        ...pageQuery, owner: z.enum(OWNERS).optional(), unread: boolFlag.optional(), entryPoint: z.enum(ENTRY_POINTS).optional(),
        q: z.string().trim().min(1).max(100).optional(),
      }),
      responses: { 200: { description: 'One page of conversations', body: pageOf(ConversationSummary, 'ConversationPage') } },
    },
    async ({ principal, query }) => {
      const after = timeCursor(query.cursor);
      const rows = await services(c).queries.list(principal.workspaceId, {
        limit: query.limit + 1, ...(after ? { after } : {}), ...(query.owner ? { owner: query.owner } : {}), ...(query.unread === undefined ? {} : { unread: query.unread }),
        ...(query.entryPoint ? { entryPoint: query.entryPoint } : {}), ...(query.q ? { search: query.q } : {}),
      });
      const page = pageFrom(rows, query.limit, (i) => ({ sortKey: i.conversation.lastInteractionAt.getTime(), id: i.conversation.id }));
      const readContent = can(principal.role, 'messages.read_content');
      return { status: 200, body: { items: page.items.map((i) => summaryDto(i, readContent)), nextCursor: page.nextCursor } };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/conversations/:conversationId', tags: ['conversations'], auth: 'session', permission: 'messages.read_content',
      params: convParams, summary: 'A conversation with its messages, newest first',
      description: 'Messages carry author kind, text, attachment metadata (story media as URL only), reactions, delivery state and the hold or refusal reason. Page back with `cursor`.',
      query: z.object({ ...pageQuery }),
      responses: { 200: { description: 'The conversation', body: ConversationDetail } },
    },
    async ({ principal, params, query }) => {
      const before = timeCursor(query.cursor);
      const found = await services(c).queries.conversation(principal.workspaceId, Ids.conversation(params.conversationId), { limit: query.limit + 1, ...(before ? { before } : {}) });
      if (!found.ok) throw HttpProblem.notFound();
      const page = pageFrom([...found.value.messages], query.limit, (m) => ({ sortKey: m.sentAt.getTime(), id: m.id }));
      return { status: 200, body: { ...summaryDto(found.value, true), messages: { items: page.items.map(messageDto), nextCursor: page.nextCursor } } };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/conversations/:conversationId/reply-policy', tags: ['conversations'], auth: 'session', permission: 'messages.send',
      params: convParams, summary: 'What a human reply would meet right now',
      description: 'The same gate the send path applies, for the reply box to show before anyone types: allowed, allowed with the HUMAN_AGENT tag (24 h to 7 days), held or refused, with the reason.',
      responses: { 200: { description: 'The policy now', body: ReplyPolicyDto } },
    },
    async ({ principal, params }) => {
      const x = services(c);
      const found = await x.queries.replyPolicy(principal.workspaceId, Ids.conversation(params.conversationId));
      if (!found.ok) throw HttpProblem.notFound();
      const { decision, window, takesOver } = found.value;
      return {
        status: 200,
        body: {
          allowed: decision.outcome === 'send', outcome: decision.outcome, tag: decision.outcome === 'send' ? decision.tag : null,
          reason: decision.outcome === 'send' ? null : decision.reason, window: windowDto(window), takesOver, summary: policySummary(decision, window, x.s.clock.now()),
        },
      };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/conversations/:conversationId/messages', tags: ['conversations'], auth: 'session', permission: 'messages.send',
      params: convParams, summary: 'Reply as a human',
      description: `Goes through the one send gate: within 24 h of the customer's last message it is queued; from 24 h to 7 days it is queued with the HUMAN_AGENT tag; otherwise it is refused with 422 and a \`code\` naming the reason (\`reply.window_closed\`, \`reply.human_agent_window_closed\`, \`reply.no_customer_message\`, \`reply.account_not_connected\`), and the refused message is recorded in the thread with that reason. A held reply (expired token) answers 202 with \`outcome: held\`. Replying takes the conversation over from the assistant. ${IDEMPOTENCY_DESCRIPTION}`,
      body: z.object({ text: z.string().trim().min(1).max(MAX_REPLY_CHARS) }).strict(),
      responses: { 202: { description: 'Recorded and queued (or held)', body: SentReply } },
      problems: ['unprocessable'],
    },
    async ({ principal, params, body, req }) => {
      const x = services(c);
      return idempotent({ store: x.s.idempotency, clock: x.s.clock, digest: x.s.digest }, { req, workspaceId: principal.workspaceId, route: SEND_ROUTE, request: { params, body } }, async (remember) => {
        const queued = await x.outbound.execute({ workspaceId: principal.workspaceId, conversationId: Ids.conversation(params.conversationId), author: 'agent', text: body.text });
        if (!queued.ok) {
          if (queued.error.kind === 'NotFound' && queued.error.entity === 'conversation') throw HttpProblem.notFound();
          if (queued.error.kind === 'NotFound') throw HttpProblem.unprocessable(`This conversation's ${queued.error.entity.replace('_', ' ')} is gone.`, `reply.${queued.error.entity}_missing`);
          throw HttpProblem.unprocessable('A reply needs some text.', 'reply.empty');
        }
        const { decision, messages } = queued.value;
        if (decision.outcome === 'refuse') {
          throw new HttpProblem('unprocessable', {
            detail: reasonText(decision.reason), code: `reply.${decision.reason}`,
            extensions: { reason: decision.reason, messageIds: messages.map((m) => m.id) },
          });
        }
        const reply = { status: 202 as const, body: { outcome: decision.outcome === 'send' ? 'queued' as const : 'held' as const, tag: decision.outcome === 'send' ? decision.tag : null, messages: messages.map(messageDto) } };
        // The send jobs are enqueued only after QueueOutboundMessage committed, so the stored reply
        // commits just after, not with it: a crash in between makes a retry record a second reply.
        await x.s.repos.uow.run(() => remember(reply));
        return reply;
      });
    },
  ),
  actionRoute(c, 'takeover', 'Take the conversation over from the assistant', 'take_over', 'The assistant and automations stop answering this customer until the conversation is handed back.'),
  actionRoute(c, 'handback', 'Hand the conversation back to the assistant', 'hand_back', 'The assistant answers the customer\'s next messages again.'),
  actionRoute(c, 'read', 'Mark the conversation read', 'mark_read', 'Resets the unread count.'),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/events', tags: ['conversations'], auth: 'session', permission: 'inbox.read', params: wsParams,
      summary: 'Live inbox changes (Server-Sent Events)',
      description: `With \`Accept: text/event-stream\`: a stream of \`message.created\` and \`conversation.updated\` events (ids only, never content), polled from the database every ${POLL_MS / 1000} s so it sees writes from every process (webhook worker, other HTTP instances), with a \`: ping\` comment every ${HEARTBEAT_MS / 1000} s. Reconnecting with \`Last-Event-ID\` resumes where the stream stopped. Without that header: the same events since \`since\` as one JSON document, for clients that poll.`,
      query: z.object({ since: z.iso.datetime({ offset: true }).optional().describe('JSON mode: events at or after this time (default: the last minute).') }),
      responses: { 200: { description: 'Events (JSON mode); `text/event-stream` when asked for', body: z.object({ items: z.array(EventDto), until: z.iso.datetime() }).meta({ id: 'InboxEventBatch' }) } },
    },
    async ({ principal, query, req, res }) => {
      const feed = new ChangeFeed(c, principal.workspaceId);
      if (!(req.get('accept') ?? '').includes('text/event-stream')) {
        const now = feed.clockNow();
        const since = query.since ? new Date(query.since) : new Date(now.getTime() - 60_000);
        const items = await feed.poll(since);
        return { status: 200, body: { items: items.map(({ at, ...e }) => ({ ...e, at: at.toISOString() })), until: now.toISOString() } };
      }
      stream(req, res, feed);
      return undefined;
    },
  ),
];


interface FeedEvent { id: string; type: 'message.created' | 'conversation.updated'; conversationId: string; messageId: string | null; at: Date }

/**
 * Changes of one workspace, read from the database. Each poll resolves fresh repositories (a new
 * unit of work), so nothing is served from a stale identity map.
 */
class ChangeFeed {
  private readonly sent = new Map<string, number>();
  constructor(private readonly c: Container, private readonly workspaceId: WorkspaceId) {}

  clockNow(): Date { return this.c.get(TOKENS.Clock).now(); }

  async poll(since: Date): Promise<FeedEvent[]> {
    const repos = this.c.get(TOKENS.Repositories);
    const [messages, conversations] = await Promise.all([
      repos.messages.listCreatedSince(this.workspaceId, since, BATCH),
      repos.conversations.listUpdatedSince(this.workspaceId, since, BATCH),
    ]);
    const events: FeedEvent[] = [
      ...messages.map((m) => ({ id: `m:${m.id}:${m.version}`, type: 'message.created' as const, conversationId: m.conversationId, messageId: m.id, at: m.createdAt })),
      ...conversations.map((k) => ({ id: `c:${k.id}:${k.version}:${k.updatedAt.getTime()}`, type: 'conversation.updated' as const, conversationId: k.id, messageId: null, at: k.updatedAt })),
    ].sort((a, b) => a.at.getTime() - b.at.getTime());
    const fresh = events.filter((e) => !this.sent.has(e.id));
    for (const e of fresh) this.sent.set(e.id, e.at.getTime());
    // Forget what is older than any future poll can return again.
    const horizon = since.getTime() - OVERLAP_MS;
    for (const [id, at] of this.sent) if (at < horizon) this.sent.delete(id);
    return fresh;
  }
}

function stream(req: Request, res: Response, feed: ChangeFeed): void {
  const lastId = Number(req.get('last-event-id'));
  let cursor = Number.isFinite(lastId) && lastId > 0 ? lastId : feed.clockNow().getTime();
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write(`retry: 3000\n: connected\n\n`);

  let closed = false;
  let busy = false;
  // A shutting-down server stops listening first; ending the stream then lets it drain within a
  // poll instead of waiting out the grace period on every open dashboard.
  const server = (req.socket as { server?: { listening?: boolean } }).server;
  const tick = async () => {
    if (server && server.listening === false) { stop(); return; }
    if (closed || busy) return;
    busy = true;
    try {
      const events = await feed.poll(new Date(cursor - OVERLAP_MS));
      for (const e of events) {
        if (closed) return;
        cursor = Math.max(cursor, e.at.getTime());
        // The event id is a time: a reconnect resumes from there (the overlap re-sends, the client dedupes by `id` in the data).
        res.write(`id: ${cursor}\nevent: ${e.type}\ndata: ${JSON.stringify({ id: e.id, type: e.type, conversationId: e.conversationId, messageId: e.messageId, at: e.at.toISOString() })}\n\n`);
      }
    } catch {
      // A failed poll (database restarting) is retried on the next tick; the stream stays open.
    } finally {
      busy = false;
    }
  };
  const poller = setInterval(() => void tick(), POLL_MS);
  const heartbeat = setInterval(() => { if (!closed) res.write(': ping\n\n'); }, HEARTBEAT_MS);
  const stop = () => {
    if (closed) return;
    closed = true;
    clearInterval(poller);
    clearInterval(heartbeat);
    res.end();
  };
  req.on('close', stop);
  res.on('close', stop);
  res.on('error', stop);
}
