import { describe, expect, it } from 'vitest';
import request from 'supertest';
import { Ids, type TokenCipher } from '@palette/domain';
import { TOKENS } from '../src/tokens.js';
import { assistantRecordsOf } from '../src/routes/assistant.route.js';
import { buildWorkspaceApp, seedTenant, TEST_USER_HEADER } from './support/workspace-fixtures.js';

const NOW = new Date('2026-03-01T09:00:00Z');

/** A reversible stand-in for the keyring: what matters here is that the API stores only its output. */
const cipher: TokenCipher = {
  encrypt: async (plaintext, aad) => ({ keyId: 'test-key', data: Buffer.from(`${aad}|${plaintext}`).toString('base64') }),
  decrypt: async (c, aad) => { const [a, p] = Buffer.from(c.data, 'base64').toString().split('|'); if (a !== aad) throw new Error('aad'); return p!; },
  currentKeyId: () => 'test-key',
};

async function world() {
  const w = buildWorkspaceApp();
  w.container.bind(TOKENS.Instagram).toConstantValue({ services: {} as never, cipher });
  const t = await seedTenant(w.reset(), 'A', 1, NOW);
  const as = (role: 'owner' | 'agent' | 'analyst') => ({
    get: (path: string) => request(w.app).get(path).set(TEST_USER_HEADER, t.members[role].userId),
    put: (path: string, body: object) => request(w.app).put(path).set(TEST_USER_HEADER, t.members[role].userId).send(body),
    post: (path: string, body: object) => request(w.app).post(path).set(TEST_USER_HEADER, t.members[role].userId).send(body),
    delete: (path: string) => request(w.app).delete(path).set(TEST_USER_HEADER, t.members[role].userId),
  });
  return { w, t, as, base: `/api/workspaces/${t.workspaceId}` };
}

describe('assistant settings routes', () => {
  it('stores the API key encrypted, never returns it, keeps it when absent and removes it on null', async () => {
    const { w, t, as, base } = await world();
    expect((await as('owner').get(`${base}/assistant`)).body).toMatchObject({ provider: 'offline', apiKeySet: false, updatedAt: null });
    const body = { enabled: true, provider: 'openai', model: 'gpt-4o-mini', baseUrl: null, apiKey: 'sk-live-secret-123456789', restorePersonalData: false, timeoutMs: 15000 };
    const put = await as('owner').put(`${base}/assistant`, body);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', apiKeySet: true, timeoutMs: 15000 });
    expect(JSON.stringify(put.body)).not.toContain('sk-live');
    const stored = await assistantRecordsOf(w.repos()).get(t.workspaceId);
    // In the secrets table beside the Instagram tokens, so key rotation re-encrypts it too.
    const secret = await w.repos().secrets.get(t.workspaceId, stored!.apiKeyRef!);
    expect(secret).toMatchObject({ purpose: 'llm_api_key', aad: `assistant_api_key:${t.workspaceId}`, ciphertext: { keyId: 'test-key' } });
    expect(secret!.ciphertext.data).not.toContain('sk-live');
    expect(await cipher.decrypt(secret!.ciphertext, `assistant_api_key:${t.workspaceId}`)).toBe(body.apiKey);
    const kept = await as('owner').put(`${base}/assistant`, { ...body, apiKey: undefined, model: 'gpt-4o' });
    expect(kept.body).toMatchObject({ apiKeySet: true, model: 'gpt-4o' });
    expect((await assistantRecordsOf(w.repos()).get(t.workspaceId))!.apiKeyRef).toBe(stored!.apiKeyRef);
    const get = await as('owner').get(`${base}/assistant`);
    expect(JSON.stringify(get.body)).not.toContain('sk-live');
    // Replacing the key destroys the old ciphertext; removing it destroys the new one.
    await as('owner').put(`${base}/assistant`, { ...body, apiKey: 'sk-live-second-987654321' });
    const replaced = (await assistantRecordsOf(w.repos()).get(t.workspaceId))!.apiKeyRef!;
    expect(replaced).not.toBe(stored!.apiKeyRef);
    expect(await w.repos().secrets.get(t.workspaceId, stored!.apiKeyRef!)).toBeNull();
    expect((await as('owner').put(`${base}/assistant`, { ...body, apiKey: null })).body.apiKeySet).toBe(false);
    expect(await w.repos().secrets.get(t.workspaceId, replaced)).toBeNull();
  });

  it('refuses an OpenAI-compatible provider without a base URL, and a bad body, as problem+json', async () => {
    const { as, base } = await world();
    const res = await as('owner').put(`${base}/assistant`, { enabled: true, provider: 'openai_compatible', model: 'x', baseUrl: null, restorePersonalData: false });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ type: 'https://palette.dev/problems/unprocessable', code: 'assistant.base_url_required' });
    expect((await as('owner').put(`${base}/assistant`, { enabled: true, provider: 'gpt', model: null, baseUrl: null, restorePersonalData: false })).status).toBe(400);
    expect((await as('agent').get(`${base}/assistant`)).status).toBe(403);
  });

  it('shows the AI audit of a conversation to agents, not to analysts', async () => {
    const { w, t, as, base } = await world();
    const conversationId = t.workspaceId.replace(/[0-9a-f]{12}$/, '000000000403');
    const messageId = t.workspaceId.replace(/[0-9a-f]{12}$/, '000000000404');
    await w.repos().uow.run(() => assistantRecordsOf(w.repos()).append({
      id: t.workspaceId.replace(/[0-9a-f]{12}$/, '000000000a00'), workspaceId: t.workspaceId, conversationId: Ids.conversation(conversationId), messageId: Ids.message(messageId),
      replyMessageId: null, outcome: 'fallback', reason: 'timed out after 20000 ms', provider: 'openai', model: 'gpt-4o-mini', latencyMs: 20001, inputTokens: null, outputTokens: null,
      toolCalls: [{ tool: 'search_products', args: { query: 'tote' }, ok: true, result: { products: [] } }], checks: [], redactions: { email: 1 }, at: NOW,
    }));
    const res = await as('agent').get(`${base}/conversations/${conversationId}/ai-audit`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([expect.objectContaining({ outcome: 'fallback', reason: 'timed out after 20000 ms', provider: 'openai', redactions: { email: 1 } })]);
    expect(JSON.stringify(res.body)).not.toContain(t.messageText);
    expect((await as('analyst').get(`${base}/conversations/${conversationId}/ai-audit`)).status).toBe(403);
  });
});

describe('automations routes', () => {
  it('creates, lists in order, replaces and deletes rules; rejects invalid ones with 422', async () => {
    const { as, base } = await world();
    const created = await as('owner').post(`${base}/automations/rules`, { name: 'Human', trigger: 'dm_keyword', matcher: { keywords: ['humano', 'human'] }, action: { kind: 'handoff' }, priority: 0 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Human', matcher: { mode: 'contains', combine: 'any' }, action: { kind: 'handoff', text: null } });
    const list = await as('owner').get(`${base}/automations/rules`);
    expect(list.body.items.map((r: { name: string }) => r.name)).toEqual(['Human', 'Shipping A']);
    const replaced = await as('owner').put(`${base}/automations/rules/${created.body.id}`, { name: 'Human 2', enabled: false, trigger: 'dm_keyword', matcher: { keywords: ['agent'], mode: 'exact' }, action: { kind: 'reply', text: 'One moment' } });
    expect(replaced.body).toMatchObject({ name: 'Human 2', enabled: false, createdAt: created.body.createdAt });
    const bad = await as('owner').post(`${base}/automations/rules`, { name: 'Comment', trigger: 'comment', matcher: { keywords: ['link'] }, action: { kind: 'handoff' } });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('automation.invalid_rule');
    expect((await as('owner').delete(`${base}/automations/rules/${created.body.id}`)).status).toBe(204);
    expect((await as('owner').delete(`${base}/automations/rules/${created.body.id}`)).status).toBe(404);
  });

  it('keeps at most 4 ice breakers and always shows the disclosure', async () => {
    const { as, base } = await world();
    expect((await as('owner').put(`${base}/automations/welcome`, { greetingEnabled: true, greetingText: '', iceBreakers: ['a', 'b', 'c', 'd', 'e'] })).status).toBe(400);
    const ok = await as('owner').put(`${base}/automations/welcome`, { greetingEnabled: true, greetingText: 'Hola!', iceBreakers: ['¿Envíos?'] });
    expect(ok.body).toMatchObject({ greetingText: 'Hola!', iceBreakers: ['¿Envíos?'] });
    expect(ok.body.disclosure).toMatch(/automated assistant/);
  });
});
