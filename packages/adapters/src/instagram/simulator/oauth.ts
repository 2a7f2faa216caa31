import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { guard } from './context.js';
import { escapeHtml, redirect, sendGraphError, sendHtml, sendJson } from './http.js';
import type { SimRequest } from './http.js';
import { CODE_TTL_MS, DAY, KNOWN_SCOPES, LONG_TOKEN_EXPIRES_IN_S, WEBHOOK_FIELDS } from './state.js';

/** The OAuth host's flat error shape, unlike Graph's `{error:{…}}`. */
function oauthError(res: ServerResponse, message: string): void {
  sendJson(res, 400, { error_type: 'OAuthException', code: 400, error_message: message });
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

interface AuthorizeParams { clientId: string; redirectUri: string; scopes: string[]; state: string | null }

function readAuthorizeParams(ctx: SimContext, get: (k: string) => string | null): { ok: true; value: AuthorizeParams } | { ok: false; message: string } {
  const clientId = get('client_id');
  if (clientId !== ctx.appId) return { ok: false, message: 'Invalid platform app' };
  if (get('response_type') !== 'code') return { ok: false, message: 'Invalid response_type: only "code" is supported' };
  const redirectUri = get('redirect_uri');
  if (!redirectUri || !/^https?:\/\//.test(redirectUri)) return { ok: false, message: 'Invalid redirect_uri' };
  if (ctx.redirectUris && !ctx.redirectUris.includes(redirectUri)) return { ok: false, message: 'Invalid redirect_uri: it must match one configured for the app exactly' };
  // Comma-separated, or (URL-encoded) space-separated.
  const scopes = (get('scope') ?? '').split(/[,\s]+/).filter(Boolean);
  const unknown = scopes.filter((s) => !(KNOWN_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) return { ok: false, message: `Invalid Scopes: ${unknown.join(', ')}` };
  if (!scopes.includes('instagram_business_basic')) return { ok: false, message: 'Invalid Scopes: instagram_business_basic is required' };
  return { ok: true, value: { clientId, redirectUri, scopes, state: get('state') } };
}

/** GET: the consent screen. The merchant picks an account, may untick scopes, then Allow or Cancel. */
export function authorizePage(ctx: SimContext, req: SimRequest, res: ServerResponse): void {
  const p = readAuthorizeParams(ctx, (k) => req.query.get(k));
  if (!p.ok) return sendHtml(res, 400, `<!doctype html><title>Error</title><h1>Sorry, this page isn't available</h1><p>${escapeHtml(p.message)}</p>`);
  const { redirectUri, scopes, state } = p.value;
  const accounts = [...ctx.state.accounts.values()];
  const hidden = (n: string, v: string) => `<input type="hidden" name="${n}" value="${escapeHtml(v)}">`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Instagram · Allow access</title></head>
<body>
<h1>Allow this app to access your Instagram professional account?</h1>
<form method="post" action="/oauth/authorize">
${hidden('client_id', ctx.appId)}${hidden('redirect_uri', redirectUri)}${hidden('response_type', 'code')}${hidden('scope', scopes.join(','))}${state !== null ? hidden('state', state) : ''}
<fieldset><legend>Account</legend>
${accounts.map((a, i) => `<label><input type="radio" name="account" value="${escapeHtml(a.igUserId)}"${i === 0 ? ' checked' : ''}> @${escapeHtml(a.username)}</label>`).join('\n')}
</fieldset>
<fieldset><legend>Permissions</legend>
${scopes.map((s) => `<label><input type="checkbox" name="granted" value="${escapeHtml(s)}" checked${s === 'instagram_business_basic' ? ' disabled' : ''}> ${escapeHtml(s)}</label>`).join('\n')}
</fieldset>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form>
</body></html>`;
  sendHtml(res, 200, html);
}

/** POST from the consent form: redirect back with `code` (plus Meta's `#_`) or `error=access_denied`. */
export function authorizeSubmit(ctx: SimContext, req: SimRequest, res: ServerResponse): void {
  const p = readAuthorizeParams(ctx, (k) => str(req.fields[k]));
  if (!p.ok) return sendHtml(res, 400, `<!doctype html><title>Error</title><p>${escapeHtml(p.message)}</p>`);
  const { redirectUri, scopes, state } = p.value;
  const target = new URL(redirectUri);
  if (state !== null) target.searchParams.set('state', state);
  if (req.fields['decision'] !== 'allow') {
    target.searchParams.set('error', 'access_denied');
    target.searchParams.set('error_reason', 'user_denied');
    target.searchParams.set('error_description', 'The user denied your request');
    return redirect(res, target.toString());
  }
  const account = ctx.state.accounts.get(str(req.fields['account']) ?? '') ?? [...ctx.state.accounts.values()][0];
  if (!account) return sendHtml(res, 400, '<!doctype html><p>No Instagram account to log in with.</p>');
  // A disabled checkbox is not submitted: basic is always granted; others only when left ticked.
  const granted = new Set(list(req.fields['granted']));
  const kept = scopes.filter((s) => s === 'instagram_business_basic' || granted.has(s));
  const code = ctx.state.issueCode(account.igUserId, redirectUri, kept);
  target.searchParams.set('code', code.code);
  redirect(res, `${target.toString()}#_`);
}

/** `POST /oauth/access_token`: single-use code, 1 h, same redirect_uri → short-lived token. */
export function exchangeCode(ctx: SimContext, req: SimRequest, res: ServerResponse): void {
  const f = req.fields;
  if (str(f['client_id']) !== ctx.appId) return oauthError(res, 'Invalid platform app');
  if (str(f['client_secret']) !== ctx.appSecret) return oauthError(res, 'Error validating client secret.');
  if (str(f['grant_type']) !== 'authorization_code') return oauthError(res, 'Unsupported grant_type');
  const code = ctx.state.codes.get(str(f['code']) ?? '');
  if (!code || code.used || code.redirectUri !== str(f['redirect_uri'])) return oauthError(res, 'Matching code was not found or was already used');
  code.used = true;
  if (ctx.state.now() - code.issuedAt >= CODE_TTL_MS) return oauthError(res, 'This authorization code has expired');
  const account = ctx.state.accounts.get(code.igUserId)!;
  const token = ctx.state.issueToken(account.igUserId, 'short', code.scopes);
  sendJson(res, 200, { data: [{ access_token: token.token, user_id: account.appScopedId, permissions: code.scopes.join(',') }] });
}

/** `GET /access_token?grant_type=ig_exchange_token`: short-lived → 60-day token (needs the app secret). */
export function exchangeLongLived(ctx: SimContext, req: SimRequest, res: ServerResponse): void {
  const q = req.query;
  if (q.get('grant_type') !== 'ig_exchange_token') return sendGraphError(res, 400, { code: 100, message: 'Unsupported grant_type' });
  if (q.get('client_secret') !== ctx.appSecret) return sendGraphError(res, 400, { code: 101, message: 'Error validating client secret.' });
  const t = ctx.state.tokens.get(q.get('access_token') ?? '');
  if (!t || t.revokedSubcode !== null) return sendGraphError(res, 400, { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
  if (ctx.state.now() >= t.expiresAt) return sendGraphError(res, 400, { code: 190, subcode: 463, message: 'Error validating access token: Session has expired.' });
  if (t.kind !== 'short') return sendGraphError(res, 400, { code: 100, message: 'Only a short-lived access token can be exchanged' });
  const long = ctx.state.issueToken(t.igUserId, 'long', t.scopes);
  sendJson(res, 200, { access_token: long.token, token_type: 'bearer', expires_in: LONG_TOKEN_EXPIRES_IN_S });
}

/** Refresh: long-lived, at least 24 h old, unexpired, with instagram_business_basic → 60 days from now. */
export function refresh(ctx: SimContext, req: SimRequest, res: ServerResponse): void {
  const q = req.query;
  if (q.get('grant_type') !== 'ig_refresh_token') return sendGraphError(res, 400, { code: 100, message: 'Unsupported grant_type' });
  const t = ctx.state.tokens.get(q.get('access_token') ?? '');
  const now = ctx.state.now();
  if (!t || t.revokedSubcode !== null) return sendGraphError(res, 400, { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
  if (now >= t.expiresAt) return sendGraphError(res, 400, { code: 190, subcode: 463, message: 'Error validating access token: Session has expired.' });
  if (t.kind !== 'long') return sendGraphError(res, 400, { code: 100, message: 'Only a long-lived access token can be refreshed' });
  if (now - t.issuedAt < DAY) return sendGraphError(res, 400, { code: 100, message: 'The access token must be at least 24 hours old to be refreshed' });
  if (!t.scopes.includes('instagram_business_basic')) return sendGraphError(res, 403, { code: 10, message: 'The user has not granted instagram_business_basic' });
  const fresh = ctx.state.issueToken(t.igUserId, 'long', t.scopes);
  sendJson(res, 200, { access_token: fresh.token, token_type: 'bearer', expires_in: LONG_TOKEN_EXPIRES_IN_S });
}

const ME_FIELDS = ['id', 'user_id', 'username', 'account_type', 'name', 'profile_picture_url', 'followers_count', 'media_count'];

export async function me(ctx: SimContext, req: SimRequest, res: ServerResponse, pathId: string): Promise<void> {
  const a = await guard(ctx, req, res, { pathId, scope: 'instagram_business_basic' });
  if (!a) return;
  const fields = (req.query.get('fields') ?? 'id').split(',').map((s) => s.trim()).filter(Boolean);
  const bad = fields.find((f) => !ME_FIELDS.includes(f));
  if (bad) return sendGraphError(res, 400, { code: 100, message: `(#100) Tried accessing nonexisting field (${bad}) on node type (User)` }, a.headers);
  const all: Record<string, unknown> = {
    id: a.account.appScopedId, user_id: a.account.igUserId, username: a.account.username, account_type: a.account.accountType, name: a.account.name,
    profile_picture_url: `https://scontent.cdninstagram.com/simulated/${a.account.igUserId}.jpg`, followers_count: 1234, media_count: 56,
  };
  sendJson(res, 200, Object.fromEntries(fields.map((f) => [f, all[f]])), a.headers);
}

export async function subscribedApps(ctx: SimContext, req: SimRequest, res: ServerResponse, pathId: string): Promise<void> {
  const a = await guard(ctx, req, res, { pathId, scope: 'instagram_business_basic' });
  if (!a) return;
  if (req.method === 'GET') {
    const fields = [...a.account.subscribedFields];
    return sendJson(res, 200, { data: fields.length ? [{ subscribed_fields: fields }] : [] }, a.headers);
  }
  if (req.method === 'DELETE') {
    a.account.subscribedFields = new Set();
    return sendJson(res, 200, { success: true }, a.headers);
  }
  const raw = req.query.get('subscribed_fields') ?? str(req.fields['subscribed_fields']) ?? '';
  const fields = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (fields.length === 0) return sendGraphError(res, 400, { code: 100, message: 'The parameter subscribed_fields is required.' }, a.headers);
  const bad = fields.find((f) => !(WEBHOOK_FIELDS as readonly string[]).includes(f));
  if (bad) return sendGraphError(res, 400, { code: 100, message: `(#100) Param subscribed_fields[${bad}] must be one of {${WEBHOOK_FIELDS.join(', ')}}` }, a.headers);
  a.account.subscribedFields = new Set(fields);
  sendJson(res, 200, { success: true }, a.headers);
}
