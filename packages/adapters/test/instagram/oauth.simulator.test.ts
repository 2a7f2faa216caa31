import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSignedRequest, verifyHubSignature } from '../../src/crypto/index.js';
import { GraphApiClient } from '../../src/instagram/index.js';
import { APP_SECRET, IG, connect, harness } from './harness.js';
import type { Harness } from './harness.js';

const REDIRECT = 'https://palette.test/instagram/callback';
const SCOPES = ['instagram_business_basic', 'instagram_business_manage_messages', 'instagram_business_manage_comments'];

let h: Harness;
beforeEach(async () => { h = await harness({ redirectUris: [REDIRECT] }); });
afterEach(async () => { await h.close(); });

/** Plays the merchant in the browser: opens the consent page and presses a button. */
async function consent(url: string, decision: 'allow' | 'cancel', untick: string[] = []): Promise<URL> {
  const page = await fetch(url);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('<form method="post" action="/oauth/authorize">');
  expect(html).toMatch(/<button[^>]*value="allow"[^>]*>Allow<\/button>/);
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.set(m[1]!, m[2]!.replace(/&amp;/g, '&'));
  form.set('account', IG);
  for (const m of html.matchAll(/name="granted" value="([^"]+)" checked(?! disabled)/g)) if (!untick.includes(m[1]!)) form.append('granted', m[1]!);
  form.set('decision', decision);
  const res = await fetch(new URL('/oauth/authorize', url), { method: 'POST', body: form, redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

describe('OAuth against the simulator', () => {
  it('runs code → short-lived → long-lived → /me → subscribe, and webhooks then flow', async () => {
    const { client, sim } = h;
    const back = await consent(client.authorizeUrl({ redirectUri: REDIRECT, scopes: SCOPES, state: 'csrf-1' }), 'allow');
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('csrf-1');
    expect(back.hash).toBe('#_');
    const short = await client.exchangeCode(`${back.searchParams.get('code')!}#_`, REDIRECT);
    if (!short.ok) throw new Error(JSON.stringify(short.error));
    expect(short.value.permissions).toEqual(SCOPES);
    const long = await client.exchangeLongLived(short.value.accessToken);
    if (!long.ok) throw new Error(JSON.stringify(long.error));
    expect(long.value.expiresInSeconds).toBe(5_183_944);
    expect(long.value.expiresAt.getTime()).toBe(sim.now().getTime() + 5_183_944_000);
    const me = await client.me(long.value.accessToken);
    expect(me).toMatchObject({ ok: true, value: { userId: IG, username: 'palette_demo_shop', accountType: 'Business' } });
    // The exchange's user_id is app-scoped: only /me gives the webhook key.
    expect(me.ok && me.value.id).toBe(short.value.userId);
    expect(short.value.userId).not.toBe(IG);
    expect(await client.subscribe(IG, long.value.accessToken, ['messages', 'message_reactions', 'messaging_seen'])).toEqual({ ok: true, value: undefined });
    await sim.customerSends({ igUserId: IG, igsid: '555', text: 'hello' });
    const [delivery] = await h.receiver.waitFor(1);
    expect(verifyHubSignature(delivery!.raw, delivery!.headers['x-hub-signature-256'] as string, APP_SECRET)).toBe(true);
    expect(await client.unsubscribe(IG, long.value.accessToken)).toEqual({ ok: true, value: undefined });
    expect((await sim.customerSends({ igUserId: IG, igsid: '555', text: 'again' })).skipped).toMatch(/not subscribed/);
  });

  it('keeps only the permissions the merchant left ticked', async () => {
    const back = await consent(h.client.authorizeUrl({ redirectUri: REDIRECT, scopes: SCOPES, state: 's' }), 'allow', ['instagram_business_manage_comments']);
    const short = await h.client.exchangeCode(back.searchParams.get('code')!, REDIRECT);
    expect(short.ok && short.value.permissions).toEqual(['instagram_business_basic', 'instagram_business_manage_messages']);
  });

  it('redirects a cancel with error=access_denied and the state', async () => {
    const back = await consent(h.client.authorizeUrl({ redirectUri: REDIRECT, scopes: SCOPES, state: 'csrf-2' }), 'cancel');
    expect(Object.fromEntries(back.searchParams)).toEqual({ state: 'csrf-2', error: 'access_denied', error_reason: 'user_denied', error_description: 'The user denied your request' });
  });

  it('refuses an unregistered redirect URI, deprecated scopes and a foreign client id', async () => {
    expect((await fetch(h.client.authorizeUrl({ redirectUri: 'https://evil.test/cb', scopes: SCOPES, state: 's' }))).status).toBe(400);
    expect((await fetch(h.client.authorizeUrl({ redirectUri: REDIRECT, scopes: ['business_basic'], state: 's' }))).status).toBe(400);
    expect((await fetch(`${h.sim.url}/oauth/authorize?client_id=other&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=instagram_business_basic`)).status).toBe(400);
  });

  it('makes codes single-use, bound to the redirect URI, and valid for one hour', async () => {
    const code = async () => (await consent(h.client.authorizeUrl({ redirectUri: REDIRECT, scopes: SCOPES, state: 's' }), 'allow')).searchParams.get('code')!;
    const c1 = await code();
    expect((await h.client.exchangeCode(c1, REDIRECT)).ok).toBe(true);
    expect(await h.client.exchangeCode(c1, REDIRECT)).toMatchObject({ ok: false, error: { kind: 'BadRequest', message: 'Matching code was not found or was already used' } });
    const c2 = await code();
    expect((await h.client.exchangeCode(c2, `${REDIRECT}/other`)).ok).toBe(false);
    const c3 = await code();
    h.sim.advanceTime(3600_000);
    expect(await h.client.exchangeCode(c3, REDIRECT)).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
  });

  it('refreshes only a long-lived token that is at least 24 h old and not expired', async () => {
    const { client, sim } = h;
    const fresh = connect(sim);
    expect(await client.refresh(fresh)).toMatchObject({ ok: false, error: { kind: 'BadRequest', code: 100 } });
    sim.advanceTime(24 * 3600_000);
    const refreshed = await client.refresh(fresh);
    if (!refreshed.ok) throw new Error(JSON.stringify(refreshed.error));
    expect(refreshed.value.accessToken).not.toBe(fresh);
    expect(refreshed.value.expiresAt.getTime()).toBe(sim.now().getTime() + 5_183_944_000);
    const short = sim.issueToken({ igUserId: IG, kind: 'short', ageMs: 2 * 24 * 3600_000 });
    expect((await client.refresh(short)).ok).toBe(false);
    // 60 days without a refresh: expired for good, the merchant must log in again.
    sim.advanceTime(61 * 24 * 3600_000);
    expect(await client.refresh(refreshed.value.accessToken)).toMatchObject({ ok: false, error: { kind: 'TokenInvalid', code: 190, subcode: 463 } });
    expect(await client.me(refreshed.value.accessToken)).toMatchObject({ ok: false, error: { kind: 'TokenInvalid' } });
  });

  it('exchanges only short-lived tokens, and only with the app secret', async () => {
    const long = connect(h.sim);
    expect((await h.client.exchangeLongLived(long)).ok).toBe(false);
    const short = h.sim.issueToken({ igUserId: IG, kind: 'short' });
    const wrongSecret = new GraphApiClient({ appId: 'x', appSecret: 'wrong', graphUrl: h.sim.url });
    expect((await wrongSecret.exchangeLongLived(short)).ok).toBe(false);
    h.sim.advanceTime(3600_000);
    expect(await h.client.exchangeLongLived(short)).toMatchObject({ ok: false, error: { kind: 'TokenInvalid' } });
  });
});

describe('deauthorize and data deletion callbacks', () => {
  it('posts signed_request bodies that parseSignedRequest accepts, and revokes the tokens on deauthorize', async () => {
    const { sim, client, receiver } = h;
    const token = connect(sim);
    const me = await client.me(token);
    receiver.respondWith((r) => (r.path.includes('deletion') ? { status: 200, contentType: 'application/json', body: JSON.stringify({ url: 'https://palette.test/deletion/ABC123', confirmation_code: 'ABC123' }) } : { status: 200 }));
    const base = receiver.url.replace('/webhooks/instagram', '');
    const deletion = await sim.sendDataDeletion(IG, `${base}/meta/data-deletion`);
    expect(deletion).toMatchObject({ status: 200, valid: true, confirmationCode: 'ABC123' });
    const deauth = await sim.sendDeauthorize(IG, `${base}/meta/deauthorize`);
    expect(deauth.status).toBe(200);
    for (const r of receiver.received) {
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const signed = new URLSearchParams(r.raw.toString()).get('signed_request')!;
      const parsed = parseSignedRequest(signed, APP_SECRET);
      expect(parsed).toMatchObject({ ok: true, payload: { algorithm: 'HMAC-SHA256', user_id: me.ok ? me.value.id : '' } });
      expect(parseSignedRequest(signed, 'another secret').ok).toBe(false);
    }
    expect(await client.me(token)).toMatchObject({ ok: false, error: { kind: 'TokenInvalid', code: 190, subcode: 458 } });
    expect((await sim.customerSends({ igUserId: IG, igsid: '1', text: 'x' })).skipped).toMatch(/not subscribed/);
  });

  it('flags a data-deletion answer without a confirmation code', async () => {
    h.receiver.respondWith(() => ({ status: 200, body: 'ok' }));
    expect((await h.sim.sendDataDeletion(IG, h.receiver.url)).valid).toBe(false);
  });
});
