import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { guard } from './context.js';
import { objectField, sendGraphError, sendJson } from './http.js';
import type { GraphErrorBody, SimRequest } from './http.js';
import { HUMAN_AGENT_WINDOW_MS, PRIVATE_REPLY_WINDOW_MS, STANDARD_WINDOW_MS } from './state.js';
import type { RateBucket } from './state.js';

const MAX_TEXT_BYTES = 1000;
const MEDIA_TYPES = new Set(['audio', 'video', 'file', 'image']);
const SENDER_ACTIONS = new Set(['typing_on', 'typing_off', 'mark_seen', 'react', 'unreact']);
const OUTSIDE_WINDOW: GraphErrorBody = { code: 10, subcode: 2534022, type: 'IGApiException', message: 'This message is sent outside of allowed window.' };

const bad = (message: string): GraphErrorBody => ({ code: 100, message: `(#100) ${message}` });
const chars = (s: string) => Array.from(s).length;

/**
 * Audio and video are documented at 10/s. Images are counted there too: stricter than the
 * reference, so a limiter that passes here cannot be too generous in production.
 */
function bucketOf(message: Record<string, unknown> | null, isPrivateReply: boolean): RateBucket {
  if (isPrivateReply) return 'privateReplies';
  const att = message?.['attachment'];
  const atts = Array.isArray(message?.['attachments']) ? (message['attachments'] as unknown[]) : att ? [att] : [];
  const isMedia = atts.some((a) => typeof a === 'object' && a !== null && MEDIA_TYPES.has(String((a as Record<string, unknown>)['type'])));
  return isMedia ? 'media' : 'text';
}

/** Validates a `message` object against the documented limits; returns the stored text or an error. */
function validateMessage(message: Record<string, unknown>): { error: GraphErrorBody } | { text: string | null } {
  const text = message['text'];
  const attachment = message['attachment'];
  const attachments = message['attachments'];
  if (text === undefined && attachment === undefined && attachments === undefined) return { error: bad('The parameter message must contain text or an attachment') };
  if (text !== undefined) {
    if (typeof text !== 'string' || text.length === 0) return { error: bad('Param message[text] must be a non-empty string') };
    if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) return { error: bad(`Length of param message[text] must be less than or equal to ${MAX_TEXT_BYTES}`) };
  }
  const qr = message['quick_replies'];
  if (qr !== undefined) {
    if (!Array.isArray(qr) || qr.length === 0) return { error: bad('Param message[quick_replies] must be a non-empty array') };
    if (qr.length > 13) return { error: bad('Param message[quick_replies] must have at most 13 elements') };
    for (const q of qr as Array<Record<string, unknown>>) {
      const type = q?.['content_type'];
      if (type === 'text' && (typeof q['title'] !== 'string' || typeof q['payload'] !== 'string')) return { error: bad('A text quick reply needs a title and a payload') };
      if (type !== 'text' && type !== 'user_phone_number' && type !== 'user_email') return { error: bad('Param content_type must be one of {text, user_phone_number, user_email}') };
      // Meta truncates titles past 20 characters rather than refusing them.
      if (type === 'text') q['title'] = Array.from(String(q['title'])).slice(0, 20).join('');
    }
  }
  const list = attachments !== undefined ? attachments : attachment !== undefined ? [attachment] : [];
  if (!Array.isArray(list)) return { error: bad('Param message[attachments] must be an array') };
  if (attachments !== undefined && list.length > 10) return { error: bad('At most 10 attachments per message') };
  for (const a of list as Array<Record<string, unknown>>) {
    const e = validateAttachment(a);
    if (e) return { error: e };
  }
  return { text: typeof text === 'string' ? text : null };
}

function validateAttachment(a: Record<string, unknown> | null): GraphErrorBody | null {
  if (typeof a !== 'object' || a === null) return bad('Invalid attachment');
  const type = a['type'];
  const payload = (a['payload'] ?? null) as Record<string, unknown> | null;
  if (type === 'like_heart') return null;
  if (type === 'MEDIA_SHARE') return typeof payload?.['id'] === 'string' ? null : bad('MEDIA_SHARE needs payload.id');
  if (typeof type === 'string' && MEDIA_TYPES.has(type)) {
    return typeof payload?.['url'] === 'string' || typeof payload?.['attachment_id'] === 'string' ? null : bad('An attachment needs payload.url or payload.attachment_id');
  }
  if (type !== 'template' || !payload) return bad(`Unsupported attachment type ${String(type)}`);
  const buttonsOk = (buttons: unknown): GraphErrorBody | null => {
    if (buttons === undefined) return null;
    if (!Array.isArray(buttons) || buttons.length > 3) return bad('At most 3 buttons');
    for (const b of buttons as Array<Record<string, unknown>>) {
      if (b?.['type'] !== 'postback' && b?.['type'] !== 'web_url') return bad('Buttons must be postback or web_url');
      if (typeof b['title'] !== 'string') return bad('A button needs a title');
    }
    return null;
  };
  if (payload['template_type'] === 'generic') {
    const elements = payload['elements'];
    if (!Array.isArray(elements) || elements.length === 0) return bad('A generic template needs elements');
    if (elements.length > 10) return bad('A generic template has at most 10 elements');
    for (const el of elements as Array<Record<string, unknown>>) {
      if (typeof el?.['title'] !== 'string' || el['title'].length === 0) return bad('Every element needs a title');
      if (chars(el['title']) > 80) return bad('Element title must be at most 80 characters');
      if (el['subtitle'] !== undefined && (typeof el['subtitle'] !== 'string' || chars(el['subtitle']) > 80)) return bad('Element subtitle must be at most 80 characters');
      const e = buttonsOk(el['buttons']);
      if (e) return e;
    }
    return null;
  }
  if (payload['template_type'] === 'button') {
    if (typeof payload['text'] !== 'string' || chars(payload['text']) > 640) return bad('Button template text must be at most 640 characters');
    if (!Array.isArray(payload['buttons']) || payload['buttons'].length === 0) return bad('A button template needs 1 to 3 buttons');
    return buttonsOk(payload['buttons']);
  }
  return bad('Unsupported template_type');
}

/** `POST /{version}/{ig-id|me}/messages`. */
export async function sendMessage(ctx: SimContext, req: SimRequest, res: ServerResponse, pathId: string): Promise<void> {
  const f = req.fields;
  const recipient = objectField(f, 'recipient');
  const message = objectField(f, 'message');
  const commentId = typeof recipient?.['comment_id'] === 'string' ? recipient['comment_id'] : null;
  const a = await guard(ctx, req, res, {
    pathId, bucket: bucketOf(message, commentId !== null), sendApi: true,
    scope: commentId !== null ? 'instagram_business_manage_comments' : 'instagram_business_manage_messages',
  });
  if (!a) return;
  const fail = (status: number, e: GraphErrorBody) => sendGraphError(res, status, e, a.headers);
  const { state } = ctx;
  const now = state.now();
  if (f['__invalid_json']) return fail(400, bad('Invalid JSON body'));
  if (!recipient) return fail(400, bad('The parameter recipient is required'));
  const senderAction = typeof f['sender_action'] === 'string' ? f['sender_action'] : null;
  if (senderAction && message) return fail(400, bad('sender_action must be sent alone, without message'));
  if (!senderAction && !message) return fail(400, bad('The parameter message is required'));
  if (senderAction && !SENDER_ACTIONS.has(senderAction)) return fail(400, bad('Param sender_action must be one of {typing_on, typing_off, mark_seen, react, unreact}'));
  const messagingType = f['messaging_type'];
  const tag = f['tag'];
  if (messagingType !== undefined && messagingType !== 'RESPONSE' && messagingType !== 'UPDATE' && messagingType !== 'MESSAGE_TAG') return fail(400, bad('Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}'));
  if (tag !== undefined && tag !== 'HUMAN_AGENT') return fail(400, bad('Param tag must be one of {HUMAN_AGENT} on Instagram'));
  if (messagingType === 'MESSAGE_TAG' && tag === undefined) return fail(400, bad('A MESSAGE_TAG message needs a tag'));
  let storedText: string | null = null;
  if (message) {
    const v = validateMessage(message);
    if ('error' in v) return fail(400, v.error);
    storedText = v.text ?? '[attachment]';
  }

  if (commentId !== null) {
    const comment = state.comments.get(commentId);
    if (!comment || comment.igUserId !== a.account.igUserId) return fail(400, bad('Invalid comment_id'));
    if (!message) return fail(400, bad('A private reply must be a message'));
    if (comment.privateReplied) return fail(403, { code: 10, message: '(#10) A private reply has already been sent for this comment.' });
    if (now - comment.createdAt >= PRIVATE_REPLY_WINDOW_MS) return fail(403, OUTSIDE_WINDOW);
    comment.privateReplied = true;
    const thread = state.thread(a.account.igUserId, comment.fromIgsid, comment.username);
    const mid = state.newMid(a.account.igUserId);
    state.addMessage(thread, { mid, fromCustomer: false, text: storedText, at: now });
    thread.merchantReplied = true;
    sendJson(res, 200, { recipient_id: comment.fromIgsid, message_id: mid }, a.headers);
    ctx.webhooks.queueEcho(a.account, comment.fromIgsid, mid, message);
    return;
  }

  const igsid = typeof recipient['id'] === 'string' ? recipient['id'] : typeof recipient['id'] === 'number' ? String(recipient['id']) : null;
  if (!igsid) return fail(400, bad('The parameter recipient must have an id or a comment_id'));
  const thread = state.findThread(a.account.igUserId, igsid);
  // Only someone who has messaged the account is addressable.
  if (!thread || thread.lastInboundAt === null) return fail(400, { code: 100, subcode: 2018001, message: '(#100) No matching user found' });
  if (a.account.unavailable.has(igsid)) return fail(400, { code: 551, message: "This person isn't available right now." });
  const elapsed = now - thread.lastInboundAt;
  const humanAgent = tag === 'HUMAN_AGENT';
  if (elapsed >= (humanAgent && message ? HUMAN_AGENT_WINDOW_MS : STANDARD_WINDOW_MS)) return fail(403, OUTSIDE_WINDOW);

  if (senderAction) {
    if (senderAction === 'react' || senderAction === 'unreact') {
      const payload = objectField(f, 'payload');
      const target = typeof payload?.['message_id'] === 'string' ? state.messageIndex.get(payload['message_id']) : undefined;
      if (!target || target.thread !== thread) return fail(400, bad('Param payload[message_id] is not a message of this conversation'));
      if (senderAction === 'react' && typeof payload?.['reaction'] !== 'string') return fail(400, bad('A reaction needs payload.reaction'));
    }
    return sendJson(res, 200, { recipient_id: igsid }, a.headers);
  }
  const mid = state.newMid(a.account.igUserId);
  state.addMessage(thread, { mid, fromCustomer: false, text: storedText, at: now });
  thread.merchantReplied = true;
  sendJson(res, 200, { recipient_id: igsid, message_id: mid }, a.headers);
  ctx.webhooks.queueEcho(a.account, igsid, mid, message!);
}
