import { z } from 'zod';
import type { AttachmentMeta, InstagramInboundEvent } from '@palette/domain';

/** Meta sends ms for messaging items and s for `changes` entries; anything below 1e12 is seconds. */
export function normalizeTimestamp(value: number): Date {
  return new Date(value < 1e12 ? value * 1000 : value);
}

/** The domain's attachment metadata: the parser produces exactly what ProcessInstagramEvent consumes. */
export type Attachment = AttachmentMeta;

/** One webhook item, normalised and typed; `igUserId` is always the merchant's account (entry.id). */
export type InstagramEvent = InstagramInboundEvent;

export interface ParsedEvent { readonly event: InstagramEvent; readonly dedupeKey: string }
export interface QuarantinedItem { readonly reason: string; readonly path: string }
export interface ParsedDelivery { readonly events: ParsedEvent[]; readonly quarantined: QuarantinedItem[] }

const id = z.union([z.string().min(1).max(128), z.number().int().nonnegative()]).transform(String);
const ts = z.number().finite().positive();
const party = z.object({ id }).partial().optional();
const attachment = z.object({ type: z.string().max(64), payload: z.object({ url: z.string().max(4096).optional() }).passthrough().optional() }).passthrough();

const messageBody = z.object({
  mid: z.string().min(1).max(1024),
  text: z.string().max(20_000).optional(),
  attachments: z.array(attachment).max(50).optional(),
  quick_reply: z.object({ payload: z.string().max(2000) }).optional(),
  reply_to: z.object({ mid: z.string().max(1024).optional(), story: z.object({ url: z.string().max(4096).optional(), id: id.optional() }).optional() }).optional(),
  referral: z.object({ ref: z.string().max(2000).optional(), source: z.string().max(64).optional(), ad_id: id.optional() }).passthrough().optional(),
  is_echo: z.boolean().optional(),
  is_self: z.boolean().optional(),
  is_deleted: z.boolean().optional(),
  is_unsupported: z.boolean().optional(),
}).passthrough();

const messagingItem = z.object({
  sender: party,
  recipient: party,
  timestamp: ts,
  message: messageBody.optional(),
  reaction: z.object({ mid: z.string().min(1).max(1024), action: z.enum(['react', 'unreact']), reaction: z.string().max(64).optional(), emoji: z.string().max(64).optional() }).optional(),
  postback: z.object({ mid: z.string().max(1024).optional(), title: z.string().max(2000).optional(), payload: z.string().max(2000) }).optional(),
  referral: z.object({ ref: z.string().max(2000).optional(), source: z.string().max(64).optional() }).passthrough().optional(),
  read: z.object({ mid: z.string().min(1).max(1024) }).optional(),
  message_edit: z.object({ mid: z.string().min(1).max(1024), text: z.string().max(20_000), num_edit: z.number().int().nonnegative().optional() }).optional(),
}).passthrough();

const commentValue = z.object({
  id,
  text: z.string().max(20_000),
  from: z.object({ id: id.optional(), username: z.string().max(128).optional() }).optional(),
  media: z.object({ id: id.optional(), media_product_type: z.string().max(32).optional() }).passthrough().optional(),
  parent_id: id.optional(),
}).passthrough();

const envelope = z.object({
  object: z.literal('instagram'),
  entry: z.array(z.object({ id, time: ts.optional(), messaging: z.array(z.unknown()).max(1000).optional(), changes: z.array(z.unknown()).max(1000).optional() }).passthrough()).max(1000),
});

const attachmentsOf = (a: z.infer<typeof attachment>[] | undefined): Attachment[] => (a ?? []).map((x) => ({ type: x.type, url: x.payload?.url ?? null }));
const issue = (e: z.ZodError) => e.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/**
 * Turns one signed delivery into typed events. Nothing throws: whatever cannot be understood is
 * returned as quarantined with the reason, to be stored and replayed after a fix.
 */
export function parseWebhookDelivery(body: unknown): ParsedDelivery {
  const env = envelope.safeParse(body);
  if (!env.success) return { events: [], quarantined: [{ reason: `envelope: ${issue(env.error)}`, path: '' }] };
  const events: ParsedEvent[] = [];
  const quarantined: QuarantinedItem[] = [];
  env.data.entry.forEach((entry, e) => {
    // Dashboard "Test" events arrive with entry.id "0": not a real account.
    if (entry.id === '0') { quarantined.push({ reason: 'dashboard test event (entry.id 0)', path: `entry.${e}` }); return; }
    (entry.messaging ?? []).forEach((raw, m) => {
      const path = `entry.${e}.messaging.${m}`;
      const item = messagingItem.safeParse(raw);
      if (!item.success) { quarantined.push({ reason: issue(item.error), path }); return; }
      const ev = toEvent(entry.id, item.data);
      if (ev) events.push({ event: ev, dedupeKey: dedupeKey(ev) });
      else quarantined.push({ reason: 'unknown messaging event kind', path });
    });
    (entry.changes ?? []).forEach((raw, c) => {
      const path = `entry.${e}.changes.${c}`;
      const change = z.object({ field: z.string(), value: z.unknown() }).safeParse(raw);
      if (!change.success) { quarantined.push({ reason: issue(change.error), path }); return; }
      if (change.data.field !== 'comments') { quarantined.push({ reason: `unhandled change field "${change.data.field}"`, path }); return; }
      const v = commentValue.safeParse(change.data.value);
      if (!v.success) { quarantined.push({ reason: issue(v.error), path }); return; }
      const ev: InstagramEvent = {
        kind: 'comment', igUserId: entry.id, commentId: v.data.id, fromId: v.data.from?.id ?? null, fromUsername: v.data.from?.username ?? null, text: v.data.text,
        mediaId: v.data.media?.id ?? null, mediaProductType: v.data.media?.media_product_type ?? null, parentId: v.data.parent_id ?? null,
        at: normalizeTimestamp(entry.time ?? Date.now()),
      };
      events.push({ event: ev, dedupeKey: dedupeKey(ev) });
    });
  });
  return { events, quarantined };
}

function toEvent(igUserId: string, i: z.infer<typeof messagingItem>): InstagramEvent | null {
  const at = normalizeTimestamp(i.timestamp);
  const sender = i.sender?.id ?? null;
  if (i.message) {
    const m = i.message;
    // An echo's sender is the merchant; its recipient is the customer.
    if (m.is_echo) return { kind: 'echo', igUserId, recipientIgsid: i.recipient?.id ?? null, mid: m.mid, text: m.text ?? null, attachments: attachmentsOf(m.attachments), at };
    if (m.is_deleted) return { kind: 'unsend', igUserId, senderIgsid: sender, mid: m.mid, at };
    if (!sender) return null;
    return {
      kind: 'message', igUserId, senderIgsid: sender, mid: m.mid, text: m.text ?? null, attachments: attachmentsOf(m.attachments),
      quickReplyPayload: m.quick_reply?.payload ?? null, replyToMid: m.reply_to?.mid ?? null,
      storyReply: m.reply_to?.story ? { id: m.reply_to.story.id ?? null, url: m.reply_to.story.url ?? null } : null,
      referral: m.referral ? { source: m.referral.source ?? null, ref: m.referral.ref ?? null, adId: m.referral.ad_id ?? null } : null,
      isSelf: m.is_self === true || sender === igUserId, at,
    };
  }
  if (i.reaction) return { kind: 'reaction', igUserId, senderIgsid: sender, mid: i.reaction.mid, action: i.reaction.action, emoji: i.reaction.emoji ?? null, at };
  if (i.postback && sender) return { kind: 'postback', igUserId, senderIgsid: sender, mid: i.postback.mid ?? null, title: i.postback.title ?? null, payload: i.postback.payload, at };
  if (i.read) return { kind: 'read', igUserId, senderIgsid: sender, mid: i.read.mid, at };
  if (i.message_edit) return { kind: 'edit', igUserId, senderIgsid: sender, mid: i.message_edit.mid, text: i.message_edit.text, numEdit: i.message_edit.num_edit ?? 0, at };
  if (i.referral && sender) return { kind: 'referral', igUserId, senderIgsid: sender, ref: i.referral.ref ?? null, source: i.referral.source ?? null, at };
  return null;
}

/**
 * Meta redelivers for 36 h: the key makes a delivery idempotent. The kind is part of it because
 * an unsend reuses the original mid; reactions add action and time (react, unreact, react again).
 */
export function dedupeKey(e: InstagramEvent): string {
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
