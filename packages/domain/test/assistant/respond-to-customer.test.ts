import { describe, expect, it } from 'vitest';
import { OfflineAssistant, type AssistantEngine, type AssistantTurn } from '../../src/index.js';
import { assistantWorld } from './world.js';

/** An engine that counts calls and does what the test says. */
function scripted(run: (turn: AssistantTurn, signal: AbortSignal) => Promise<string>): AssistantEngine & { calls: number } {
  const e = { provider: 'test', model: 'scripted', external: true, calls: 0, respond: async (t: AssistantTurn, s: AbortSignal) => { e.calls++; return { text: await run(t, s) }; } };
  return e;
}

describe('RespondToCustomer', () => {
  it('answers a price question from the catalog and records an audit with the tool calls and checks', async () => {
    const w = await assistantWorld(new OfflineAssistant());
    const out = await w.useCase.execute(await w.receive('How much is the linen shirt?'));
    expect(out.kind).toBe('replied');
    const reply = w.sent.find((s) => s.author === 'assistant')!;
    expect(reply.text).toContain('39.00 EUR');
    const audit = w.records.auditRecords[0]!;
    expect(audit.provider).toBe('offline');
    expect(audit.toolCalls.map((c) => c.tool)).toContain('search_products');
    expect(audit.checks.find((c) => c.name === 'figures_grounded')?.passed).toBe(true);
    expect(JSON.stringify(audit)).not.toMatch(/api[_-]?key|secret/i);
  });

  it('greets a new conversation once, with the automated-chat disclosure', async () => {
    const w = await assistantWorld(new OfflineAssistant());
    await w.useCase.execute(await w.receive('hola'));
    expect(w.sent[0]!.author).toBe('automation');
    expect(w.sent[0]!.text).toMatch(/asistente automático|automated assistant/);
  });

  it.each([
    ['objection', (w: Awaited<ReturnType<typeof assistantWorld>>) => w.contact.objectToAiProcessing(w.clock.now(), 'contact_request'), 'ai_objected'],
    ['restriction', (w: Awaited<ReturnType<typeof assistantWorld>>) => w.contact.restrictProcessing(true, w.clock.now()), 'contact_restricted'],
  ] as const)('never calls the engine for a contact with an %s', async (_name, apply, reason) => {
    const engine = scripted(async () => 'hi');
    const w = await assistantWorld(engine);
    apply(w);
    await w.repos.uow.run(() => w.repos.contacts.save(w.contact));
    const out = await w.useCase.execute(await w.receive('How much is the linen shirt?'));
    expect(out).toEqual({ kind: 'skipped', reason });
    expect(engine.calls).toBe(0);
    expect(w.sent).toEqual([]);
  });

  it('stays silent on human-owned and paused conversations and when the window is closed', async () => {
    const engine = scripted(async () => 'hi');
    const w = await assistantWorld(engine);
    const cmd = await w.receive('price of the tote?');
    await w.repos.uow.run(async () => { const c = (await w.repos.conversations.get(w.ws.id, w.conversation.id))!; c.takeOver(w.clock.now()); await w.repos.conversations.save(c); });
    expect(await w.useCase.execute(cmd)).toEqual({ kind: 'skipped', reason: 'conversation_owned_by_human' });
    await w.repos.uow.run(async () => { const c = (await w.repos.conversations.get(w.ws.id, w.conversation.id))!; c.pause(w.clock.now()); await w.repos.conversations.save(c); });
    expect(await w.useCase.execute(cmd)).toEqual({ kind: 'skipped', reason: 'conversation_paused' });
    const w2 = await assistantWorld(engine);
    const cmd2 = await w2.receive('price of the tote?');
    w2.clock.advance(25 * 3600_000);
    expect(await w2.useCase.execute(cmd2)).toEqual({ kind: 'skipped', reason: 'window_closed' });
    expect(engine.calls).toBe(0);
  });

  it('falls back (holding reply + handoff) when the engine quotes a price no tool returned, after one regeneration', async () => {
    const engine = scripted(async (turn) => { await turn.tools.call('search_products', { query: 'linen shirt' }); return 'The Linen Shirt is only 29.00 EUR today!'; });
    const w = await assistantWorld(engine);
    const out = await w.useCase.execute(await w.receive('How much is the linen shirt?'));
    expect(out.kind).toBe('fallback');
    expect(engine.calls).toBe(2);
    expect(w.sent.at(-1)!.text).not.toContain('29.00');
    expect((await w.repos.conversations.get(w.ws.id, w.conversation.id))!.owner).toBe('human');
    expect(w.records.auditRecords[0]!.checks.filter((c) => c.name === 'figures_grounded').every((c) => !c.passed)).toBe(true);
  });

  it('falls back on a timeout and on an engine error, never silent', async () => {
    const hang = scripted((_t, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))));
    const w = await assistantWorld(hang, { timeoutMs: 50 });
    const out = await w.useCase.execute(await w.receive('How much is the linen shirt?'));
    expect(out).toMatchObject({ kind: 'fallback', reason: expect.stringContaining('timed out') });
    expect(w.sent.at(-1)!.author).toBe('assistant');
    const boom = scripted(async () => { throw new Error('provider exploded'); });
    const w2 = await assistantWorld(boom);
    expect((await w2.useCase.execute(await w2.receive('hi there, price of tote?'))).kind).toBe('fallback');
    expect((await w2.repos.conversations.get(w2.ws.id, w2.conversation.id))!.owner).toBe('human');
  });

  it("never sends the customer's email, phone or handle to an external engine", async () => {
    let seen = '';
    const engine = scripted(async (turn) => { seen = turn.messages.map((m) => m.text).join('\n'); return 'Thanks [email_1], noted.'; });
    const w = await assistantWorld(engine);
    const out = await w.useCase.execute(await w.receive('I am Customer, mail me at ana@example.com or call +34 612 345 678, my friend is @bestie_22'));
    expect(out.kind).toBe('replied');
    expect(seen).not.toMatch(/ana@example\.com|612 345 678|@bestie_22|Customer/);
    expect(seen).toContain('[email_1]');
    expect(w.sent.at(-1)!.text).toBe('Thanks your email, noted.');
    expect(w.records.auditRecords[0]!.redactions).toMatchObject({ email: 1, phone: 1, handle: 1, name: 1 });
  });

  it('hands off when asked for a human, and answers each message once', async () => {
    const w = await assistantWorld(new OfflineAssistant());
    const cmd = await w.receive('I want to talk to a human');
    expect((await w.useCase.execute(cmd)).kind).toBe('handoff');
    expect((await w.repos.conversations.get(w.ws.id, w.conversation.id))!.owner).toBe('human');
    expect(await w.useCase.execute(cmd)).toEqual({ kind: 'skipped', reason: 'already_handled' });
  });

  it('runs a keyword rule before the assistant, and a story mention gets the thank-you rule', async () => {
    const engine = scripted(async () => 'should not run');
    const w = await assistantWorld(engine);
    const base = { workspaceId: w.ws.id, enabled: true, postId: null, priority: 0, createdAt: w.clock.now(), updatedAt: w.clock.now() };
    await w.records.saveRule({ ...base, id: 'r1', name: 'hours', trigger: 'dm_keyword', matcher: { keywords: ['horario'], mode: 'contains', combine: 'any' }, action: { kind: 'reply', text: 'Abrimos 10-19.' } });
    await w.records.saveRule({ ...base, id: 'r2', name: 'thanks', trigger: 'story_mention', matcher: null, action: { kind: 'reply', text: 'Thanks for the mention!' } });
    expect((await w.useCase.execute(await w.receive('¿Cuál es el HORÁRIO?'))).kind).toBe('automation');
    expect(w.sent.at(-1)).toEqual({ author: 'automation', text: 'Abrimos 10-19.' });
    expect((await w.useCase.execute(await w.receive(null, [{ type: 'story_mention', url: 'https://cdn/x' }]))).kind).toBe('automation');
    expect(w.sent.at(-1)!.text).toBe('Thanks for the mention!');
    expect(engine.calls).toBe(0);
  });
});
