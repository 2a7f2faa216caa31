import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { guard } from './context.js';
import { decodeCursor, encodeCursor, graphTime, sendGraphError, sendJson } from './http.js';
import type { SimRequest } from './http.js';
import { READABLE_MESSAGES, REQUESTS_INACTIVE_MS } from './state.js';
import type { SimAccount, SimMessage, SimThread } from './state.js';

const DEFAULT_FIELDS = ['id', 'created_time'];

function page<T>(items: T[], offset: number, limit: number, nextPath: string | null): { data: T[]; paging?: Record<string, unknown> } {
  const slice = items.slice(offset, offset + limit);
  if (slice.length === 0) return { data: [] };
  const cursors = { before: encodeCursor(offset), after: encodeCursor(offset + slice.length) };
  const more = offset + slice.length < items.length;
  // `next` is absent on the last page: clients follow it until it disappears.
  return { data: slice, paging: more && nextPath ? { cursors, next: `${nextPath}${nextPath.includes('?') ? '&' : '?'}after=${cursors.after}` } : { cursors } };
}

function limitOf(req: SimRequest, fallback: number, max: number): number | null {
  const raw = req.query.get('limit');
  if (raw === null) return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? Math.min(n, max) : null;
}

/** Only the 20 most recent messages can be read; the rest answer as deleted. */
function readable(thread: SimThread): SimMessage[] {
  return thread.messages.filter((m) => !m.deleted).sort((x, y) => y.at - x.at).slice(0, READABLE_MESSAGES);
}

function renderMessage(account: SimAccount, thread: SimThread, m: SimMessage, fields: string[]): Record<string, unknown> {
  const merchant = { username: account.username, id: account.igUserId };
  const customer = { username: thread.username, id: thread.igsid };
  const all: Record<string, unknown> = {
    id: m.mid, created_time: graphTime(m.at), from: m.fromCustomer ? customer : merchant,
    to: { data: [m.fromCustomer ? merchant : customer] }, message: m.text ?? '',
  };
  return Object.fromEntries(fields.filter((f) => f in all).map((f) => [f, all[f]]));
}

/** `GET /{version}/{me|ig-id}/conversations?platform=instagram[&user_id=]`: newest first, 2 calls/s. */
export async function listConversations(ctx: SimContext, req: SimRequest, res: ServerResponse, pathId: string, version: string): Promise<void> {
  const a = await guard(ctx, req, res, { pathId, bucket: 'conversations', scope: 'instagram_business_manage_messages' });
  if (!a) return;
  const platform = req.query.get('platform');
  if (platform !== null && platform !== 'instagram') return sendGraphError(res, 400, { code: 100, message: '(#100) Param platform must be one of {instagram, messenger}' }, a.headers);
  const offset = decodeCursor(req.query.get('after'));
  const limit = limitOf(req, 25, 100);
  if (offset === null || limit === null) return sendGraphError(res, 400, { code: 100, message: '(#100) Invalid paging parameter' }, a.headers);
  const now = ctx.state.now();
  const userId = req.query.get('user_id');
  const threads = [...ctx.state.threads.values()]
    .filter((t) => t.igUserId === a.account.igUserId && (userId === null || t.igsid === userId))
    .filter((t) => t.merchantReplied || now - t.updatedAt < REQUESTS_INACTIVE_MS)
    .sort((x, y) => y.updatedAt - x.updatedAt)
    .map((t) => ({ id: t.id, updated_time: graphTime(t.updatedAt) }));
  const q = new URLSearchParams({ platform: 'instagram', limit: String(limit) });
  if (userId) q.set('user_id', userId);
  sendJson(res, 200, page(threads, offset, limit, `${ctx.baseUrl()}/${version}/${pathId}/conversations?${q}`), a.headers);
}

/** Parses `messages{a,b}` or `messages.limit(5){a,b}` out of a fields parameter. */
function messagesExpansion(fields: string): { fields: string[]; limit: number | null } | null {
  const m = /(?:^|,)messages(?:\.limit\((\d+)\))?(?:\{([^}]*)\})?/.exec(fields);
  if (!m) return null;
  return { fields: m[2] ? m[2].split(',').map((s) => s.trim()).filter(Boolean) : DEFAULT_FIELDS, limit: m[1] ? Number(m[1]) : null };
}

/**
 * `GET /{version}/{id}`: a conversation (with the `messages` expansion) or a message's detail;
 * `GET /{version}/{conversation}/messages`: the edge the `next` links point at.
 */
export async function readNode(ctx: SimContext, req: SimRequest, res: ServerResponse, nodeId: string, edge: 'messages' | null, version: string): Promise<boolean> {
  const { state } = ctx;
  const thread = state.threads.get(nodeId);
  const indexed = state.messageIndex.get(nodeId);
  if (!thread && !indexed) return false;
  const a = await guard(ctx, req, res, { bucket: 'conversations', scope: 'instagram_business_manage_messages' });
  if (!a) return true;
  const owner = thread?.igUserId ?? indexed!.thread.igUserId;
  if (owner !== a.account.igUserId) {
    sendGraphError(res, 400, { code: 100, subcode: 33, message: `Unsupported get request. Object with ID '${nodeId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.` }, a.headers);
    return true;
  }
  const fieldsParam = req.query.get('fields') ?? '';
  if (thread) {
    const msgs = readable(thread);
    if (edge === 'messages') {
      const offset = decodeCursor(req.query.get('after'));
      const limit = limitOf(req, READABLE_MESSAGES, READABLE_MESSAGES);
      if (offset === null || limit === null) { sendGraphError(res, 400, { code: 100, message: '(#100) Invalid paging parameter' }, a.headers); return true; }
      const fields = fieldsParam ? fieldsParam.split(',').map((s) => s.trim()) : DEFAULT_FIELDS;
      const q = new URLSearchParams({ fields: fields.join(','), limit: String(limit) });
      sendJson(res, 200, page(msgs.map((m) => renderMessage(a.account, thread, m, fields)), offset, limit, `${ctx.baseUrl()}/${version}/${thread.id}/messages?${q}`), a.headers);
      return true;
    }
    const body: Record<string, unknown> = { id: thread.id };
    const exp = messagesExpansion(fieldsParam);
    if (exp) {
      const limit = Math.min(exp.limit ?? READABLE_MESSAGES, READABLE_MESSAGES);
      const q = new URLSearchParams({ fields: exp.fields.join(','), limit: String(limit) });
      body['messages'] = page(msgs.map((m) => renderMessage(a.account, thread, m, exp.fields)), 0, limit, `${ctx.baseUrl()}/${version}/${thread.id}/messages?${q}`);
    }
    if (/(?:^|,)participants/.test(fieldsParam)) {
      body['participants'] = { data: [{ username: a.account.username, id: a.account.igUserId }, { username: thread.username, id: thread.igsid }] };
    }
    if (/(?:^|,)updated_time/.test(fieldsParam)) body['updated_time'] = graphTime(thread.updatedAt);
    sendJson(res, 200, body, a.headers);
    return true;
  }
  const { thread: t, message } = indexed!;
  if (message.deleted || !readable(t).includes(message)) {
    sendGraphError(res, 400, { code: 100, message: 'This message has been deleted.' }, a.headers);
    return true;
  }
  const fields = fieldsParam ? fieldsParam.split(',').map((s) => s.trim()) : DEFAULT_FIELDS;
  sendJson(res, 200, renderMessage(a.account, t, message, fields), a.headers);
  return true;
}
