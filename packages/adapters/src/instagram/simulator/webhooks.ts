import { createHmac } from 'node:crypto';
import { makeSignedRequest, signHubPayload } from '../../crypto/index.js';
import { numericId } from './http.js';
import type { SimAccount, SimState } from './state.js';

/** What a fake customer can do; exactly one of the action fields is set. */
export type CustomerAction = { readonly igUserId: string; readonly igsid: string; readonly username?: string } & (
  | { readonly text: string; readonly quickReplyPayload?: string; readonly replyToMid?: string }
  | { readonly attachments: ReadonlyArray<{ readonly type: string; readonly url: string }> }
  | { readonly storyReply: { readonly storyId: string; readonly url: string; readonly text: string } }
  | { readonly postback: { readonly title: string; readonly payload: string } }
  | { readonly referral: { readonly ref: string; readonly source?: string } }
  | { readonly reaction: { readonly mid: string; readonly emoji?: string; readonly action?: 'react' | 'unreact' } }
  | { readonly read: { readonly mid: string } }
  | { readonly edit: { readonly mid: string; readonly text: string } }
  | { readonly unsend: { readonly mid: string } }
  | { readonly comment: { readonly text: string; readonly mediaId?: string; readonly mediaProductType?: string; readonly parentId?: string } }
);

export interface DeliveryReport {
  readonly url: string;
  readonly attempt: number;
  readonly status: number | null;
  readonly error: string | null;
  readonly body: string;
}

export interface CustomerSendResult {
  /** The new message's mid (messages, attachments, story replies, postbacks). */
  readonly mid: string | null;
  readonly commentId: string | null;
  /** Why nothing was posted (no callback URL, account not subscribed to the field), or null. */
  readonly skipped: string | null;
  readonly deliveries: DeliveryReport[];
}

export interface DeliveryOptions {
  /** Post the same bytes this many times, as Meta's redelivery does. */
  readonly times?: number;
}

export interface BatchOptions extends DeliveryOptions {
  readonly shuffle?: boolean;
  readonly seed?: number;
  /** One POST per event (in the shuffled order) instead of one aggregated POST. */
  readonly separatePosts?: boolean;
}

export interface CallbackResult {
  readonly status: number | null;
  readonly body: string;
  readonly signedRequest: string;
}

interface BuiltEvent {
  readonly igUserId: string;
  readonly field: string;
  readonly at: number;
  readonly messaging?: Record<string, unknown>;
  readonly change?: Record<string, unknown>;
  readonly mid: string | null;
  readonly commentId: string | null;
}

export interface WebhookDeps {
  readonly state: SimState;
  readonly appSecret: string;
  readonly webhookUrl: () => string | null;
  readonly requireSubscription: boolean;
  readonly echoDelayMs: number;
  readonly timeoutMs: number;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Webhooks {
  /** Every POST made, in order: what tests inspect when a receiver is not enough. */
  readonly log: DeliveryReport[] = [];
  /** Deliveries still unacknowledged after the immediate retry; `redeliverFailed` plays Meta's later retries. */
  private failed: Array<{ url: string; body: string }> = [];
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly deps: WebhookDeps) {}

  async customerSends(action: CustomerAction, opts: DeliveryOptions = {}): Promise<CustomerSendResult> {
    const ev = this.build(action, this.deps.state.now());
    const [result] = await this.dispatch([ev], { ...opts, separatePosts: false });
    return result!;
  }

  async customerSendsBatch(actions: readonly CustomerAction[], opts: BatchOptions = {}): Promise<CustomerSendResult[]> {
    const base = this.deps.state.now();
    // Distinct, increasing timestamps: after shuffling, only `timestamp` tells the true order.
    const events = actions.map((a, i) => this.build(a, base + i));
    return this.dispatch(events, opts);
  }

  /** The echo Meta sends for every message sent through the Send API, with the same mid. */
  queueEcho(account: SimAccount, igsid: string, mid: string, message: Record<string, unknown>): void {
    const job = (async () => {
      if (this.deps.echoDelayMs > 0) await new Promise((r) => setTimeout(r, this.deps.echoDelayMs));
      const body: Record<string, unknown> = { mid, is_echo: true };
      if (typeof message['text'] === 'string') body['text'] = message['text'];
      const atts = Array.isArray(message['attachments']) ? message['attachments'] : message['attachment'] ? [message['attachment']] : [];
      if (atts.length > 0) body['attachments'] = atts;
      const at = this.deps.state.now();
      const ev: BuiltEvent = { igUserId: account.igUserId, field: 'message_echoes', at, mid, commentId: null, messaging: { sender: { id: account.igUserId }, recipient: { id: igsid }, timestamp: at, message: body } };
      await this.dispatch([ev], {});
    })();
    this.track(job);
  }

  /** Resolves once every queued echo and delivery has finished. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  async redeliverFailed(): Promise<DeliveryReport[]> {
    const pending = this.failed;
    this.failed = [];
    const reports: DeliveryReport[] = [];
    for (const p of pending) {
      const r = await this.post(p.url, p.body);
      reports.push(r);
      if (!ok(r)) this.failed.push(p);
    }
    return reports;
  }

  pendingFailures(): number {
    return this.failed.length;
  }

  /** App removed: tokens stop working (190/458), the subscription goes, then the signed callback. */
  async sendDeauthorize(account: SimAccount, url: string): Promise<CallbackResult> {
    for (const t of this.deps.state.tokens.values()) if (t.igUserId === account.igUserId) t.revokedSubcode = 458;
    account.subscribedFields = new Set();
    return this.postSignedRequest(account, url);
  }

  async sendDataDeletion(account: SimAccount, url: string): Promise<CallbackResult & { confirmationCode: string | null; statusUrl: string | null; valid: boolean }> {
    const r = await this.postSignedRequest(account, url);
    let parsed: unknown = null;
    try { parsed = JSON.parse(r.body); } catch { parsed = null; }
    const p = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const statusUrl = typeof p['url'] === 'string' ? p['url'] : null;
    const confirmationCode = typeof p['confirmation_code'] === 'string' ? p['confirmation_code'] : null;
    const valid = r.status === 200 && statusUrl !== null && confirmationCode !== null && /^[A-Za-z0-9]+$/.test(confirmationCode);
    return { ...r, statusUrl, confirmationCode, valid };
  }

  /** The dashboard's verification GET: true when the callback echoes the challenge. */
  async verifyCallback(verifyToken: string): Promise<{ ok: boolean; status: number | null; body: string }> {
    const url = this.deps.webhookUrl();
    if (!url) return { ok: false, status: null, body: '' };
    const challenge = numericId(10);
    const target = new URL(url);
    target.searchParams.set('hub.mode', 'subscribe');
    target.searchParams.set('hub.challenge', challenge);
    target.searchParams.set('hub.verify_token', verifyToken);
    try {
      const res = await fetch(target, { signal: AbortSignal.timeout(this.deps.timeoutMs) });
      const body = await res.text();
      return { ok: res.status === 200 && body === challenge, status: res.status, body };
    } catch (e) {
      return { ok: false, status: null, body: String(e) };
    }
  }

  private async postSignedRequest(account: SimAccount, url: string): Promise<CallbackResult> {
    const issuedAt = Math.floor(this.deps.state.now() / 1000);
    const signedRequest = makeSignedRequest({ algorithm: 'HMAC-SHA256', issued_at: issuedAt, expires: 0, user_id: account.appScopedId }, this.deps.appSecret);
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ signed_request: signedRequest }).toString(), signal: AbortSignal.timeout(this.deps.timeoutMs) });
      return { status: res.status, body: await res.text(), signedRequest };
    } catch (e) {
      return { status: null, body: String(e), signedRequest };
    }
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Applies the action to the simulated Instagram (windows, threads, comments) and shapes its item. */
  private build(action: CustomerAction, at: number): BuiltEvent {
    const { state } = this.deps;
    const account = state.accounts.get(action.igUserId);
    if (!account) throw new Error(`Unknown simulated account ${action.igUserId}`);
    const envelope = { sender: { id: action.igsid }, recipient: { id: action.igUserId }, timestamp: at };
    const opens = (text: string | null, mid: string) => {
      const thread = state.thread(action.igUserId, action.igsid, action.username);
      thread.lastInboundAt = at;
      state.addMessage(thread, { mid, fromCustomer: true, text, at });
    };
    const base = { igUserId: action.igUserId, at, commentId: null };
    if ('comment' in action) {
      const id = numericId(17);
      state.comments.set(id, { id, igUserId: action.igUserId, fromIgsid: action.igsid, username: action.username ?? `customer_${action.igsid.slice(-4)}`, createdAt: at, privateReplied: false });
      const value: Record<string, unknown> = {
        from: { id: action.igsid, username: action.username ?? `customer_${action.igsid.slice(-4)}` },
        media: { id: action.comment.mediaId ?? numericId(17), media_product_type: action.comment.mediaProductType ?? 'FEED' }, id, text: action.comment.text,
      };
      if (action.comment.parentId) value['parent_id'] = action.comment.parentId;
      return { ...base, field: 'comments', mid: null, commentId: id, change: { field: 'comments', value } };
    }
    if ('text' in action) {
      const mid = state.newMid(action.igUserId);
      const message: Record<string, unknown> = { mid, text: action.text };
      if (action.quickReplyPayload) message['quick_reply'] = { payload: action.quickReplyPayload };
      if (action.replyToMid) message['reply_to'] = { mid: action.replyToMid };
      opens(action.text, mid);
      return { ...base, field: 'messages', mid, messaging: { ...envelope, message } };
    }
    if ('attachments' in action) {
      const mid = state.newMid(action.igUserId);
      opens(null, mid);
      return { ...base, field: 'messages', mid, messaging: { ...envelope, message: { mid, attachments: action.attachments.map((a) => ({ type: a.type, payload: { url: a.url } })) } } };
    }
    if ('storyReply' in action) {
      const mid = state.newMid(action.igUserId);
      opens(action.storyReply.text, mid);
      return { ...base, field: 'messages', mid, messaging: { ...envelope, message: { mid, text: action.storyReply.text, reply_to: { story: { url: action.storyReply.url, id: action.storyReply.storyId } } } } };
    }
    if ('postback' in action) {
      const mid = state.newMid(action.igUserId);
      // A button tap is a user action: it reopens the window, though it is not a readable message.
      state.thread(action.igUserId, action.igsid, action.username).lastInboundAt = at;
      return { ...base, field: 'messaging_postbacks', mid, messaging: { ...envelope, postback: { mid, title: action.postback.title, payload: action.postback.payload } } };
    }
    if ('referral' in action) {
      state.thread(action.igUserId, action.igsid, action.username).lastInboundAt = at;
      return { ...base, field: 'messaging_referral', mid: null, messaging: { ...envelope, referral: { ref: action.referral.ref, source: action.referral.source ?? 'SHORTLINK', type: 'OPEN_THREAD' } } };
    }
    if ('reaction' in action) {
      const act = action.reaction.action ?? 'react';
      const reaction: Record<string, unknown> = { mid: action.reaction.mid, action: act };
      if (act === 'react') { reaction['reaction'] = 'love'; reaction['emoji'] = action.reaction.emoji ?? '\u2764\ufe0f'; }
      return { ...base, field: 'message_reactions', mid: null, messaging: { ...envelope, reaction } };
    }
    if ('read' in action) return { ...base, field: 'messaging_seen', mid: null, messaging: { ...envelope, read: { mid: action.read.mid } } };
    if ('edit' in action) {
      const target = state.messageIndex.get(action.edit.mid);
      return { ...base, field: 'message_edit', mid: null, messaging: { ...envelope, message_edit: { mid: action.edit.mid, text: action.edit.text, num_edit: target ? 1 : 0 } } };
    }
    const target = state.messageIndex.get(action.unsend.mid);
    if (target) target.message.deleted = true;
    return { ...base, field: 'messages', mid: null, messaging: { ...envelope, message: { mid: action.unsend.mid, is_deleted: true } } };
  }

  private subscribed(ev: BuiltEvent): boolean {
    if (!this.deps.requireSubscription) return true;
    const fields = this.deps.state.accounts.get(ev.igUserId)?.subscribedFields ?? new Set<string>();
    // Instagram-Login echoes come in the `messages` field when `message_echoes` is not listed.
    return ev.field === 'message_echoes' ? fields.has('messages') || fields.has('message_echoes') : fields.has(ev.field);
  }

  private async dispatch(events: BuiltEvent[], opts: BatchOptions): Promise<CustomerSendResult[]> {
    const url = this.deps.webhookUrl();
    const reportsFor = new Map<BuiltEvent, DeliveryReport[]>();
    const skippedFor = new Map<BuiltEvent, string>();
    const order = [...events];
    if (opts.shuffle) {
      const rnd = mulberry32(opts.seed ?? Date.now());
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    const deliverable = order.filter((ev) => {
      if (!url) { skippedFor.set(ev, 'no webhook URL configured'); return false; }
      if (!this.subscribed(ev)) { skippedFor.set(ev, `account not subscribed to ${ev.field}`); return false; }
      return true;
    });
    const groups = opts.separatePosts ? deliverable.map((ev) => [ev]) : deliverable.length > 0 ? [deliverable] : [];
    for (const group of groups) {
      const body = JSON.stringify(this.envelope(group));
      const reports: DeliveryReport[] = [];
      for (let i = 0; i < Math.max(1, opts.times ?? 1); i++) reports.push(...(await this.deliver(url!, body)));
      for (const ev of group) reportsFor.set(ev, reports);
    }
    return events.map((ev) => ({ mid: ev.mid, commentId: ev.commentId, skipped: skippedFor.get(ev) ?? null, deliveries: reportsFor.get(ev) ?? [] }));
  }

  /** Groups events into one entry per account and kind, in the given order. */
  private envelope(events: BuiltEvent[]): Record<string, unknown> {
    const entries: Array<Record<string, unknown> & { messaging?: unknown[]; changes?: unknown[] }> = [];
    const byKey = new Map<string, (typeof entries)[number]>();
    for (const ev of events) {
      const key = `${ev.igUserId}:${ev.change ? 'changes' : 'messaging'}`;
      let entry = byKey.get(key);
      if (!entry) {
        // `changes` entries carry seconds, messaging entries milliseconds, as Meta sends them.
        entry = ev.change ? { id: ev.igUserId, time: Math.floor(ev.at / 1000), changes: [] } : { time: this.deps.state.now(), id: ev.igUserId, messaging: [] };
        byKey.set(key, entry);
        entries.push(entry);
      }
      if (ev.change) entry.changes!.push(ev.change);
      else entry.messaging!.push(ev.messaging);
    }
    return { object: 'instagram', entry: entries };
  }

  /** One delivery: retried once at once on failure (Meta's "immediately"), then parked. */
  private async deliver(url: string, body: string): Promise<DeliveryReport[]> {
    const first = await this.post(url, body);
    if (ok(first)) return [first];
    const second = await this.post(url, body);
    if (!ok(second)) this.failed.push({ url, body });
    return [first, second];
  }

  private async post(url: string, body: string): Promise<DeliveryReport> {
    const attempt = this.log.filter((r) => r.body === body).length + 1;
    let report: DeliveryReport;
    try {
      const res = await fetch(url, {
        method: 'POST', body, signal: AbortSignal.timeout(this.deps.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signHubPayload(body, this.deps.appSecret),
          // Meta still sends the legacy SHA-1 signature beside the SHA-256 one.
          'x-hub-signature': `sha1=${createHmac('sha1', this.deps.appSecret).update(body).digest('hex')}`,
        },
      });
      await res.arrayBuffer();
      report = { url, attempt, status: res.status, error: null, body };
    } catch (e) {
      report = { url, attempt, status: null, error: e instanceof Error ? e.message : String(e), body };
    }
    this.log.push(report);
    return report;
  }
}

function ok(r: DeliveryReport): boolean {
  return r.status !== null && r.status >= 200 && r.status < 300;
}
