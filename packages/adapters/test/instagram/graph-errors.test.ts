import { describe, expect, it } from 'vitest';
import { GraphApiClient, mapGraphError, parseBusinessUseCaseUsage, parseCodeExchangeResponse, parseGraphTime, toSendFailure } from '../../src/instagram/index.js';

const graph = (code: number, subcode?: number) => ({ error: { message: `m${code}`, type: 'OAuthException', code, ...(subcode !== undefined ? { error_subcode: subcode } : {}) } });
const map = (status: number, body: unknown, usage: string | null = null) =>
  toSendFailure(mapGraphError({ httpStatus: status, body, usage: parseBusinessUseCaseUsage(usage), defaultRetryAfterMs: 60_000 }));

describe('mapGraphError (instagram-platform.md §4c)', () => {
  it('maps both outside-window subcodes to WindowClosed', () => {
    expect(map(403, graph(10, 2534022))).toEqual({ kind: 'WindowClosed' });
    expect(map(400, graph(10, 2018278))).toEqual({ kind: 'WindowClosed' });
  });
  it('maps every rate-limit code to RateLimited, with the BUC regain time when present', () => {
    for (const code of [4, 17, 32, 613, 80002, 80006]) expect(map(400, graph(code))).toEqual({ kind: 'RateLimited', retryAfterMs: 60_000 });
    const header = JSON.stringify({ '1784': [{ type: 'instagram', call_count: 100, total_cputime: 20, total_time: 30, estimated_time_to_regain_access: 7 }] });
    expect(map(400, graph(80002), header)).toEqual({ kind: 'RateLimited', retryAfterMs: 7 * 60_000 });
  });
  it('maps tokens, unavailable recipients, bad requests and transient failures', () => {
    expect(map(400, graph(190, 463))).toEqual({ kind: 'TokenInvalid' });
    expect(map(400, graph(551))).toEqual({ kind: 'RecipientUnavailable' });
    expect(map(400, graph(100)).kind).toBe('BadRequest');
    expect(map(403, graph(200)).kind).toBe('BadRequest');
    expect(map(403, graph(10)).kind).toBe('BadRequest');
    expect(map(403, graph(10, 123)).kind).toBe('BadRequest');
    expect(map(500, graph(1)).kind).toBe('Transient');
    expect(map(503, graph(2)).kind).toBe('Transient');
    expect(map(502, 'not json').kind).toBe('Transient');
    expect(map(429, null)).toEqual({ kind: 'RateLimited', retryAfterMs: 60_000 });
    expect(map(400, { error_type: 'OAuthException', code: 400, error_message: 'Matching code was not found or was already used' })).toEqual({ kind: 'BadRequest', message: 'Matching code was not found or was already used' });
  });
});

describe('parseBusinessUseCaseUsage', () => {
  it('takes the highest percentage across objects and metrics', () => {
    const u = parseBusinessUseCaseUsage(JSON.stringify({ a: [{ type: 'instagram', call_count: 12, total_cputime: 85, total_time: 3, estimated_time_to_regain_access: 0 }], b: [{ type: 'instagram', call_count: 40 }] }));
    expect(u).toMatchObject({ maxPercent: 85, regainAccessMs: 0 });
    expect(u!.byObject['b']!.maxPercent).toBe(40);
  });
  it('ignores garbage instead of throwing', () => {
    expect(parseBusinessUseCaseUsage('{nope')).toBeNull();
    expect(parseBusinessUseCaseUsage(undefined)).toBeNull();
    expect(parseBusinessUseCaseUsage('[1,2]')).toBeNull();
  });
});

describe('parseCodeExchangeResponse', () => {
  it('reads the documented wrapped shape', () => {
    expect(parseCodeExchangeResponse({ data: [{ access_token: 'IGAAx', user_id: '123', permissions: 'instagram_business_basic,instagram_business_manage_messages' }] }))
      .toEqual({ accessToken: 'IGAAx', userId: '123', permissions: ['instagram_business_basic', 'instagram_business_manage_messages'] });
  });
  it('reads the flat shape, numeric ids and array permissions', () => {
    expect(parseCodeExchangeResponse({ access_token: 'IGAAy', user_id: 987654321, permissions: ['instagram_business_basic'] }))
      .toEqual({ accessToken: 'IGAAy', userId: '987654321', permissions: ['instagram_business_basic'] });
  });
  it('refuses responses without a token', () => {
    expect(parseCodeExchangeResponse({ data: [] })).toBeNull();
    expect(parseCodeExchangeResponse({ user_id: '1' })).toBeNull();
  });
});

it('parses Graph timestamps with a colon-less offset', () => {
  expect(parseGraphTime('2026-01-06T15:12:25+0000')!.toISOString()).toBe('2026-01-06T15:12:25.000Z');
  expect(parseGraphTime('garbage')).toBeNull();
});

describe('GraphApiClient message bodies', () => {
  const client = new GraphApiClient({ appId: 'a', appSecret: 's' });
  const base = { accessToken: 't', igUserId: '1784', recipient: { igsid: '42' }, tag: null } as const;

  it('answers in the window with RESPONSE and outside with MESSAGE_TAG + HUMAN_AGENT', () => {
    const r = client.buildMessages({ ...base, payload: { type: 'text', text: 'hi' } });
    expect(r.ok && r.value).toEqual([{ recipient: { id: '42' }, messaging_type: 'RESPONSE', message: { text: 'hi' } }]);
    const h = client.buildMessages({ ...base, tag: 'HUMAN_AGENT', payload: { type: 'text', text: 'hi' } });
    expect(h.ok && h.value[0]).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
  });

  it('puts quick replies (titles cut to 20 chars) under the last part only, and refuses more than 13', () => {
    const long = 'palabra '.repeat(200);
    const r = client.buildMessages({ ...base, payload: { type: 'text', text: long, quickReplies: [{ title: 'A very long quick reply title', payload: 'P' }] } });
    if (!r.ok) throw new Error('expected ok');
    expect(r.value.length).toBe(2);
    expect((r.value[0]!['message'] as Record<string, unknown>)['quick_replies']).toBeUndefined();
    expect((r.value[1]!['message'] as Record<string, unknown>)['quick_replies']).toEqual([{ content_type: 'text', title: 'A very long quick re', payload: 'P' }]);
    const many = Array.from({ length: 14 }, (_, i) => ({ title: `q${i}`, payload: `${i}` }));
    expect(client.buildMessages({ ...base, payload: { type: 'text', text: 'x', quickReplies: many } })).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
  });

  it('builds a generic template with ≤ 10 cards and 80-char titles', () => {
    const cards = Array.from({ length: 10 }, (_, i) => ({ title: 'T'.repeat(100), subtitle: `s${i}`, imageUrl: 'https://cdn.test/i.jpg', url: 'https://shop.test/p', payload: `SKU:${i}` }));
    const r = client.buildMessages({ ...base, payload: { type: 'products', cards } });
    if (!r.ok) throw new Error('expected ok');
    const payload = ((r.value[0]!['message'] as Record<string, Record<string, unknown>>)['attachment']!['payload']) as { template_type: string; elements: Array<Record<string, unknown>> };
    expect(payload.template_type).toBe('generic');
    expect(payload.elements).toHaveLength(10);
    expect(Array.from(payload.elements[0]!['title'] as string)).toHaveLength(80);
    expect(payload.elements[0]!['buttons']).toEqual([{ type: 'web_url', url: 'https://shop.test/p', title: 'View' }, { type: 'postback', title: 'Choose', payload: 'SKU:0' }]);
    expect(client.buildMessages({ ...base, payload: { type: 'products', cards: [...cards, cards[0]!] } })).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
  });

  it('sends private replies to a comment_id, as one message, without a tag', () => {
    const r = client.buildMessages({ ...base, recipient: { commentId: '179' }, payload: { type: 'text', text: 'Sent you the price!' } });
    expect(r.ok && r.value).toEqual([{ recipient: { comment_id: '179' }, message: { text: 'Sent you the price!' } }]);
    expect(client.buildMessages({ ...base, recipient: { commentId: '179' }, payload: { type: 'text', text: 'x '.repeat(600) } }).ok).toBe(false);
    expect(client.buildMessages({ ...base, recipient: { commentId: '179' }, tag: 'HUMAN_AGENT', payload: { type: 'text', text: 'x' } }).ok).toBe(false);
  });

  it('builds the authorize URL of Business Login', () => {
    const u = new URL(client.authorizeUrl({ redirectUri: 'https://app.test/cb', scopes: ['instagram_business_basic', 'instagram_business_manage_messages'], state: 's1' }));
    expect(u.origin + u.pathname).toBe('https://www.instagram.com/oauth/authorize');
    expect(Object.fromEntries(u.searchParams)).toEqual({ client_id: 'a', redirect_uri: 'https://app.test/cb', response_type: 'code', scope: 'instagram_business_basic,instagram_business_manage_messages', state: 's1' });
  });
});
