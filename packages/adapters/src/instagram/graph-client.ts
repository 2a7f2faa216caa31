import { err, ok } from '@palette/domain';
import type { Clock, InstagramGateway, OutboundPayload, Result, SendFailure } from '@palette/domain';
import { mapGraphError, parseBusinessUseCaseUsage, toSendFailure, transient } from './graph-errors.js';
import type { BusinessUseCaseUsage, GraphError } from './graph-errors.js';
import { MAX_TEXT_BYTES, splitTextByBytes, truncateChars } from './text-split.js';

export const DEFAULT_GRAPH_URL = 'https://graph.instagram.com';
export const DEFAULT_OAUTH_URL = 'https://api.instagram.com';
export const DEFAULT_AUTHORIZE_URL = 'https://www.instagram.com/oauth/authorize';
export const DEFAULT_API_VERSION = 'v25.0';
export const MAX_QUICK_REPLIES = 13;
export const MAX_QUICK_REPLY_TITLE_CHARS = 20;
export const MAX_TEMPLATE_ELEMENTS = 10;
export const MAX_TEMPLATE_TEXT_CHARS = 80;
/** Above this BUC percentage a limiter should slow down (instagram-platform.md §4b). */
export const USAGE_SLOWDOWN_PERCENT = 80;

/** Receives only endpoint paths (never query strings) and vendor codes: tokens must not reach logs. */
export interface GraphLogger {
  warn(message: string, fields: Readonly<Record<string, unknown>>): void;
}

export interface GraphApiClientOptions {
  readonly appId: string;
  readonly appSecret: string;
  readonly graphUrl?: string;
  readonly oauthUrl?: string;
  readonly authorizeUrl?: string;
  readonly apiVersion?: string;
  readonly timeoutMs?: number;
  /** When a rate-limit error carries no regain time. */
  readonly defaultRetryAfterMs?: number;
  readonly clock?: Clock;
  readonly fetch?: typeof fetch;
  readonly logger?: GraphLogger;
  /** Generic-template button labels are shown to customers, so they are the merchant's language. */
  readonly cardButtonTitles?: { readonly view: string; readonly select: string };
  readonly onUsage?: (igUserId: string, usage: BusinessUseCaseUsage) => void;
}

export interface ShortLivedToken { readonly accessToken: string; readonly userId: string; readonly permissions: string[] }
export interface LongLivedToken { readonly accessToken: string; readonly tokenType: string; readonly expiresInSeconds: number; readonly expiresAt: Date }
export interface InstagramProfile { readonly userId: string; readonly id: string | null; readonly username: string; readonly accountType: string | null; readonly name: string | null }
export interface ConversationSummary { readonly id: string; readonly updatedTime: Date }
export interface ConversationMessage {
  readonly id: string;
  readonly createdTime: Date;
  readonly from: { readonly id: string; readonly username: string | null } | null;
  readonly to: ReadonlyArray<{ readonly id: string; readonly username: string | null }>;
  readonly text: string | null;
}
export interface Page<T> { readonly items: T[]; readonly nextCursor: string | null }
export interface SendReceipt {
  /** The last part's mid: the message a `read` or the quick replies refer to. */
  readonly platformMessageId: string;
  /** Every part, in order: their echoes are ours, not a human replying from the Instagram app. */
  readonly platformMessageIds: string[];
}
export type SendInput = Parameters<InstagramGateway['send']>[0];
export type SenderAction = 'typing_on' | 'typing_off' | 'mark_seen';

type Body = Record<string, unknown>;
type Raw = { status: number; body: unknown; headers: Headers };

/**
 * Parses the code-exchange response in both shapes seen: the documented `{data:[{…}]}` wrapper
 * and the flat object some clients (Chatwoot's OAuth2 library) read from the same endpoint.
 */
export function parseCodeExchangeResponse(body: unknown): ShortLivedToken | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  const row = Array.isArray(b['data']) ? (b['data'][0] as unknown) : b;
  if (typeof row !== 'object' || row === null) return null;
  const r = row as Record<string, unknown>;
  const token = r['access_token'];
  const userId = r['user_id'];
  if (typeof token !== 'string' || token.length === 0) return null;
  if (typeof userId !== 'string' && typeof userId !== 'number') return null;
  const perms = r['permissions'];
  const permissions = Array.isArray(perms) ? perms.filter((p): p is string => typeof p === 'string') : typeof perms === 'string' ? perms.split(/[,\s]+/).filter(Boolean) : [];
  return { accessToken: token, userId: String(userId), permissions };
}

/** Graph writes `2026-01-06T15:12:25+0000`; Date.parse wants the offset with a colon. */
export function parseGraphTime(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const d = new Date(value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return Number.isNaN(d.getTime()) ? null : d;
}

export class GraphApiClient implements InstagramGateway {
  private readonly graphUrl: string;
  private readonly oauthUrl: string;
  private readonly authorizeBase: string;
  private readonly version: string;
  private readonly timeoutMs: number;
  private readonly defaultRetryAfterMs: number;
  private readonly clock: Clock;
  private readonly fetchImpl: typeof fetch;
  private readonly usage = new Map<string, BusinessUseCaseUsage>();

  constructor(private readonly options: GraphApiClientOptions) {
    this.graphUrl = trimSlash(options.graphUrl ?? DEFAULT_GRAPH_URL);
    this.oauthUrl = trimSlash(options.oauthUrl ?? DEFAULT_OAUTH_URL);
    this.authorizeBase = options.authorizeUrl ?? DEFAULT_AUTHORIZE_URL;
    this.version = options.apiVersion ?? DEFAULT_API_VERSION;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.defaultRetryAfterMs = options.defaultRetryAfterMs ?? 60_000;
    this.clock = options.clock ?? { now: () => new Date() };
    this.fetchImpl = options.fetch ?? fetch;
  }

  // ── OAuth ────────────────────────────────────────────────────────────────

  authorizeUrl(input: { redirectUri: string; scopes: readonly string[]; state: string; forceReauth?: boolean }): string {
    const url = new URL(this.authorizeBase);
    url.searchParams.set('client_id', this.options.appId);
    url.searchParams.set('redirect_uri', input.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', input.scopes.join(','));
    url.searchParams.set('state', input.state);
    if (input.forceReauth) url.searchParams.set('force_reauth', 'true');
    return url.toString();
  }

  async exchangeCode(code: string, redirectUri: string): Promise<Result<ShortLivedToken, GraphError>> {
    // The callback appends `#_`; a code copied with it never matches.
    const clean = code.replace(/#_?$/, '');
    const form = new URLSearchParams({ client_id: this.options.appId, client_secret: this.options.appSecret, grant_type: 'authorization_code', redirect_uri: redirectUri, code: clean });
    const res = await this.call('POST', `${this.oauthUrl}/oauth/access_token`, { form, endpoint: 'oauth/access_token' });
    if (!res.ok) return res;
    const parsed = parseCodeExchangeResponse(res.value.body);
    return parsed ? ok(parsed) : err(malformed('oauth/access_token'));
  }

  async exchangeLongLived(shortToken: string): Promise<Result<LongLivedToken, GraphError>> {
    const q = new URLSearchParams({ grant_type: 'ig_exchange_token', client_secret: this.options.appSecret, access_token: shortToken });
    return this.longLived(await this.call('GET', `${this.graphUrl}/access_token?${q}`, { endpoint: 'access_token' }), 'access_token');
  }

  /** Only a long-lived token at least 24 h old and not yet expired can be refreshed. */
  async refresh(longToken: string): Promise<Result<LongLivedToken, GraphError>> {
    const q = new URLSearchParams({ grant_type: 'ig_refresh_token', access_token: longToken });
    return this.longLived(await this.call('GET', `${this.graphUrl}/refresh_access_token?${q}`, { endpoint: 'refresh_access_token' }), 'refresh_access_token');
  }

  /** `user_id` is the IG professional account id, the `entry.id` of webhooks; `id` is app-scoped. */
  async me(token: string): Promise<Result<InstagramProfile, GraphError>> {
    const res = await this.call('GET', this.graph('me', { fields: 'user_id,username,account_type,name,id' }), { token, endpoint: 'me' });
    if (!res.ok) return res;
    const b = asRecord(res.value.body);
    const userId = idOf(b?.['user_id']);
    const username = b?.['username'];
    if (!b || !userId || typeof username !== 'string') return err(malformed('me'));
    return ok({ userId, id: idOf(b['id']), username, accountType: typeof b['account_type'] === 'string' ? b['account_type'] : null, name: typeof b['name'] === 'string' ? b['name'] : null });
  }

  async subscribe(igUserId: string, token: string, fields: readonly string[]): Promise<Result<void, GraphError>> {
    const res = await this.call('POST', this.graph(`${igUserId}/subscribed_apps`, { subscribed_fields: fields.join(',') }), { token, endpoint: 'subscribed_apps', igUserId });
    return res.ok ? this.success(res.value, 'subscribed_apps') : res;
  }

  async unsubscribe(igUserId: string, token: string): Promise<Result<void, GraphError>> {
    const res = await this.call('DELETE', this.graph(`${igUserId}/subscribed_apps`), { token, endpoint: 'subscribed_apps', igUserId });
    return res.ok ? this.success(res.value, 'subscribed_apps') : res;
  }

  // ── Conversations API ────────────────────────────────────────────────────

  async listConversations(token: string, opts: { after?: string; userId?: string; limit?: number; igUserId?: string } = {}): Promise<Result<Page<ConversationSummary>, GraphError>> {
    const query: Record<string, string> = { platform: 'instagram' };
    if (opts.after) query['after'] = opts.after;
    if (opts.userId) query['user_id'] = opts.userId;
    if (opts.limit) query['limit'] = String(opts.limit);
    const res = await this.call('GET', this.graph(`${opts.igUserId ?? 'me'}/conversations`, query), { token, endpoint: 'conversations', igUserId: opts.igUserId });
    if (!res.ok) return res;
    const b = asRecord(res.value.body);
    if (!b || !Array.isArray(b['data'])) return err(malformed('conversations'));
    const items: ConversationSummary[] = [];
    for (const row of b['data']) {
      const r = asRecord(row);
      const id = idOf(r?.['id']);
      const updated = parseGraphTime(r?.['updated_time']);
      if (id && updated) items.push({ id, updatedTime: updated });
    }
    return ok({ items, nextCursor: nextCursor(b['paging']) });
  }

  /** Newest first; Instagram lets only the 20 most recent messages of a conversation be read. */
  async conversationMessages(token: string, conversationId: string, opts: { after?: string; limit?: number } = {}): Promise<Result<Page<ConversationMessage>, GraphError>> {
    const fields = 'id,created_time,from,to,message';
    let messages: unknown;
    if (opts.after) {
      const query: Record<string, string> = { fields, after: opts.after };
      if (opts.limit) query['limit'] = String(opts.limit);
      const res = await this.call('GET', this.graph(`${conversationId}/messages`, query), { token, endpoint: 'conversation/messages' });
      if (!res.ok) return res;
      messages = res.value.body;
    } else {
      const expansion = opts.limit ? `messages.limit(${opts.limit}){${fields}}` : `messages{${fields}}`;
      const res = await this.call('GET', this.graph(conversationId, { fields: expansion }), { token, endpoint: 'conversation' });
      if (!res.ok) return res;
      messages = asRecord(res.value.body)?.['messages'];
    }
    const m = asRecord(messages);
    if (!m || !Array.isArray(m['data'])) return err(malformed('conversation/messages'));
    const items: ConversationMessage[] = [];
    for (const row of m['data']) {
      const r = asRecord(row);
      const id = idOf(r?.['id']);
      const created = parseGraphTime(r?.['created_time']);
      if (!r || !id || !created) continue;
      const party = (p: unknown) => { const x = asRecord(p); const pid = idOf(x?.['id']); return pid ? { id: pid, username: typeof x?.['username'] === 'string' ? x['username'] : null } : null; };
      const toData = asRecord(r['to'])?.['data'];
      items.push({
        id, createdTime: created, from: party(r['from']),
        to: Array.isArray(toData) ? toData.map(party).filter((x): x is NonNullable<typeof x> => x !== null) : [],
        text: typeof r['message'] === 'string' ? r['message'] : null,
      });
    }
    return ok({ items, nextCursor: nextCursor(m['paging']) });
  }

  // ── Send API ─────────────────────────────────────────────────────────────

  async send(input: SendInput): Promise<Result<SendReceipt, SendFailure>> {
    const built = this.buildMessages(input);
    if (!built.ok) return built;
    const ids: string[] = [];
    for (const [i, body] of built.value.entries()) {
      const res = await this.postMessage(input.accessToken, input.igUserId, body);
      if (!res.ok) {
        if (i > 0) this.options.logger?.warn('instagram send failed after some parts were delivered', { igUserId: input.igUserId, partsSent: i, partsTotal: built.value.length, failure: res.error.kind });
        return err(toSendFailure(res.error));
      }
      ids.push(res.value);
    }
    return ok({ platformMessageId: ids[ids.length - 1]!, platformMessageIds: ids });
  }

  /** Typing indicator and mark-seen go alone, without a `message` in the same request. */
  async senderAction(input: { accessToken: string; igUserId: string; igsid: string; action: SenderAction }): Promise<Result<void, SendFailure>> {
    const res = await this.postMessage(input.accessToken, input.igUserId, { recipient: { id: input.igsid }, sender_action: input.action }, false);
    return res.ok ? ok(undefined) : err(toSendFailure(res.error));
  }

  async typing(input: { accessToken: string; igUserId: string; igsid: string; on: boolean }): Promise<Result<void, SendFailure>> {
    return this.senderAction({ ...input, action: input.on ? 'typing_on' : 'typing_off' });
  }

  async react(input: { accessToken: string; igUserId: string; igsid: string; messageId: string; emoji: string }): Promise<Result<void, SendFailure>> {
    const res = await this.postMessage(input.accessToken, input.igUserId, { recipient: { id: input.igsid }, sender_action: 'react', payload: { message_id: input.messageId, reaction: input.emoji } }, false);
    return res.ok ? ok(undefined) : err(toSendFailure(res.error));
  }

  async unreact(input: { accessToken: string; igUserId: string; igsid: string; messageId: string }): Promise<Result<void, SendFailure>> {
    const res = await this.postMessage(input.accessToken, input.igUserId, { recipient: { id: input.igsid }, sender_action: 'unreact', payload: { message_id: input.messageId } }, false);
    return res.ok ? ok(undefined) : err(toSendFailure(res.error));
  }

  /** The latest `X-Business-Use-Case-Usage` seen for an account, or null before any call. */
  usageFor(igUserId: string): BusinessUseCaseUsage | null {
    return this.usage.get(igUserId) ?? null;
  }

  /** True when the account's BUC usage is at or above 80%: time for a limiter to slow down. */
  isNearLimit(igUserId: string, thresholdPercent = USAGE_SLOWDOWN_PERCENT): boolean {
    return (this.usage.get(igUserId)?.maxPercent ?? 0) >= thresholdPercent;
  }

  /** Exposed for tests and previews: the exact bodies `send` would post, in order. */
  buildMessages(input: SendInput): Result<Body[], SendFailure> {
    const isComment = 'commentId' in input.recipient;
    const recipient = 'commentId' in input.recipient ? { comment_id: input.recipient.commentId } : { id: input.recipient.igsid };
    if (isComment && input.tag) return err({ kind: 'BadRequest', message: 'HUMAN_AGENT does not apply to private replies' });
    // Private replies are one message per comment and take no messaging type.
    const envelope: Body = isComment ? { recipient } : input.tag === 'HUMAN_AGENT' ? { recipient, messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' } : { recipient, messaging_type: 'RESPONSE' };
    const p: OutboundPayload = input.payload;
    switch (p.type) {
      case 'text': {
        if (p.text.trim().length === 0) return err({ kind: 'BadRequest', message: 'text is empty' });
        const replies = p.quickReplies ?? [];
        if (replies.length > MAX_QUICK_REPLIES) return err({ kind: 'BadRequest', message: `at most ${MAX_QUICK_REPLIES} quick replies` });
        const parts = splitTextByBytes(p.text, MAX_TEXT_BYTES);
        if (isComment && parts.length > 1) return err({ kind: 'BadRequest', message: `a private reply is one message: at most ${MAX_TEXT_BYTES} bytes` });
        return ok(parts.map((text, i) => {
          const message: Body = { text };
          // Quick replies belong under the last part, the one the customer answers.
          if (i === parts.length - 1 && replies.length > 0) {
            message['quick_replies'] = replies.map((r) => ({ content_type: 'text', title: truncateChars(r.title, MAX_QUICK_REPLY_TITLE_CHARS), payload: r.payload }));
          }
          return { ...envelope, message };
        }));
      }
      case 'image':
        if (!isHttpUrl(p.url)) return err({ kind: 'BadRequest', message: 'image url must be http(s)' });
        return ok([{ ...envelope, message: { attachment: { type: 'image', payload: { url: p.url } } } }]);
      case 'products': {
        if (p.cards.length === 0) return err({ kind: 'BadRequest', message: 'no cards' });
        if (p.cards.length > MAX_TEMPLATE_ELEMENTS) return err({ kind: 'BadRequest', message: `at most ${MAX_TEMPLATE_ELEMENTS} cards` });
        const labels = this.options.cardButtonTitles ?? { view: 'View', select: 'Choose' };
        const elements = p.cards.map((c) => {
          const el: Body = { title: truncateChars(c.title, MAX_TEMPLATE_TEXT_CHARS, '…') };
          if (c.subtitle) el['subtitle'] = truncateChars(c.subtitle, MAX_TEMPLATE_TEXT_CHARS, '…');
          if (c.imageUrl) el['image_url'] = c.imageUrl;
          const buttons: Body[] = [];
          if (c.url) { el['default_action'] = { type: 'web_url', url: c.url }; buttons.push({ type: 'web_url', url: c.url, title: labels.view }); }
          if (c.payload) buttons.push({ type: 'postback', title: labels.select, payload: c.payload });
          if (buttons.length > 0) el['buttons'] = buttons;
          return el;
        });
        return ok([{ ...envelope, message: { attachment: { type: 'template', payload: { template_type: 'generic', elements } } } }]);
      }
    }
  }

  // ── plumbing ─────────────────────────────────────────────────────────────

  private async postMessage(token: string, igUserId: string, body: Body, expectMid = true): Promise<Result<string, GraphError>> {
    const res = await this.call('POST', this.graph(`${igUserId}/messages`), { token, json: body, endpoint: 'messages', igUserId });
    if (!res.ok) return res;
    const mid = asRecord(res.value.body)?.['message_id'];
    if (typeof mid === 'string' && mid.length > 0) return ok(mid);
    return expectMid ? err(malformed('messages')) : ok('');
  }

  private graph(path: string, query?: Record<string, string>): string {
    const q = query ? `?${new URLSearchParams(query)}` : '';
    return `${this.graphUrl}/${this.version}/${path}${q}`;
  }

  private longLived(res: Result<Raw, GraphError>, endpoint: string): Result<LongLivedToken, GraphError> {
    if (!res.ok) return res;
    const b = asRecord(res.value.body);
    const token = b?.['access_token'];
    const expiresIn = b?.['expires_in'];
    if (typeof token !== 'string' || typeof expiresIn !== 'number') return err(malformed(endpoint));
    return ok({ accessToken: token, tokenType: typeof b?.['token_type'] === 'string' ? b['token_type'] : 'bearer', expiresInSeconds: expiresIn, expiresAt: new Date(this.clock.now().getTime() + expiresIn * 1000) });
  }

  private success(raw: Raw, endpoint: string): Result<void, GraphError> {
    return asRecord(raw.body)?.['success'] === true ? ok(undefined) : err(malformed(endpoint));
  }

  private async call(method: string, url: string, opts: { token?: string; json?: Body; form?: URLSearchParams; endpoint: string; igUserId?: string | undefined }): Promise<Result<Raw, GraphError>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    // A bearer header keeps tokens out of URLs, and so out of proxy and server access logs.
    if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.json) { headers['content-type'] = 'application/json'; body = JSON.stringify(opts.json); }
    if (opts.form) { headers['content-type'] = 'application/x-www-form-urlencoded'; body = opts.form.toString(); }
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      const reason = describeNetworkError(e, this.timeoutMs);
      this.options.logger?.warn('instagram graph call failed', { endpoint: opts.endpoint, method, failure: 'Transient', reason });
      return err(transient(reason));
    }
    let text: string;
    try {
      text = await response.text();
    } catch (e) {
      return err(transient(describeNetworkError(e, this.timeoutMs)));
    }
    let parsed: unknown = null;
    try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
    const usage = parseBusinessUseCaseUsage(response.headers.get('x-business-use-case-usage'));
    if (usage) this.recordUsage(opts.igUserId, usage);
    if (response.ok) {
      if (parsed === null) return err(malformed(opts.endpoint));
      return ok({ status: response.status, body: parsed, headers: response.headers });
    }
    const failure = mapGraphError({ httpStatus: response.status, body: parsed, usage, retryAfterHeader: response.headers.get('retry-after'), defaultRetryAfterMs: this.defaultRetryAfterMs });
    this.options.logger?.warn('instagram graph call failed', { endpoint: opts.endpoint, method, httpStatus: response.status, code: failure.code, subcode: failure.subcode, failure: failure.kind });
    return err(failure);
  }

  private recordUsage(igUserId: string | undefined, usage: BusinessUseCaseUsage): void {
    const keys = new Set(Object.keys(usage.byObject));
    if (igUserId) keys.add(igUserId);
    for (const key of keys) {
      const own = usage.byObject[key];
      const u: BusinessUseCaseUsage = own ? { maxPercent: own.maxPercent, regainAccessMs: own.regainAccessMs, byObject: { [key]: own } } : usage;
      this.usage.set(key, u);
      this.options.onUsage?.(key, u);
    }
  }
}

function describeNetworkError(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `timed out after ${timeoutMs} ms`;
  // undici hides the socket error in `cause`; its code (ECONNRESET…) is useful and carries no URL.
  const cause = e instanceof Error ? (e.cause as { code?: unknown } | undefined) : undefined;
  const code = cause && typeof cause.code === 'string' ? cause.code : null;
  return code ? `network error: ${code}` : 'network error';
}

function malformed(endpoint: string): GraphError {
  return transient(`unexpected response from ${endpoint}`);
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '');
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function idOf(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : null;
}

function nextCursor(paging: unknown): string | null {
  const p = asRecord(paging);
  if (!p || typeof p['next'] !== 'string') return null;
  const after = asRecord(p['cursors'])?.['after'];
  return typeof after === 'string' && after.length > 0 ? after : null;
}

function isHttpUrl(u: string): boolean {
  try {
    const url = new URL(u);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
