import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MalformedToolCallError, ScopedToolbox } from '@palette/domain';
import { createEngine } from '../../src/llm/index.js';
import { FakeOpenAiServer } from './fake-openai-server.js';
import { CONV, FixtureCatalog, FixtureOrderDesk, ME, WS, evalCases, fixture, runCase, scoreTable } from '../../../domain/test/assistant-eval/harness.js';
import { assistantWorld } from '../../../domain/test/assistant/world.js';

const server = new FakeOpenAiServer();
let baseUrl = '';
beforeAll(async () => { baseUrl = await server.start(); });
afterAll(() => server.stop());
beforeEach(() => server.reset());

const engine = (timeoutMs = 5000, maxRetries = 2) => createEngine({ provider: 'openai_compatible', model: 'fake-model', baseUrl, apiKey: 'sk-test-not-a-secret', timeoutMs, maxRetries });
const turn = (text: string) => {
  const tools = new ScopedToolbox({ workspaceId: WS, contactId: ME, conversationId: CONV }, { catalog: new FixtureCatalog(), orders: new FixtureOrderDesk() });
  return { tools, turn: { workspaceId: WS, conversationId: CONV, contactId: ME, businessProfile: fixture.profile, orders: [], messages: [{ author: 'customer' as const, text, at: new Date() }], tools, correction: null } };
};

describe('ChatOpenAI adapter against a local OpenAI-compatible server', () => {
  it('runs the tool-call loop: tool call → tool result sent back → final text', async () => {
    server.enqueue({ toolCalls: [{ name: 'search_products', arguments: '{"query":"linen shirt"}' }] }, { content: 'The Linen Shirt is 39.00 EUR.' });
    const { turn: t, tools } = turn('How much is the linen shirt?');
    const reply = await engine().respond(t, new AbortController().signal);
    expect(reply.text).toBe('The Linen Shirt is 39.00 EUR.');
    expect(reply.usage).toEqual({ inputTokens: 22, outputTokens: 14 });
    expect(tools.calls.map((c) => c.tool)).toEqual(['search_products']);
    expect(server.requests).toHaveLength(2);
    const toolMsg = server.requests[1]!.messages.find((m) => m.role === 'tool')!;
    expect(String(toolMsg.content)).toContain('39.00');
    expect(server.requests[0]!.tools).toHaveLength(5);
  });

  it('reports a malformed tool call back once, then gives up with MalformedToolCallError', async () => {
    server.enqueue({ toolCalls: [{ name: 'create_order_draft', arguments: '{"lines": "two shirts"}' }] }, { toolCalls: [{ name: 'search_products', arguments: '{not json' }] });
    const { turn: t, tools } = turn('I want two shirts');
    await expect(engine().respond(t, new AbortController().signal)).rejects.toBeInstanceOf(MalformedToolCallError);
    expect(server.requests).toHaveLength(2);
    expect(String(server.requests[1]!.messages.find((m) => m.role === 'tool')!.content)).toMatch(/invalid arguments for create_order_draft/);
    expect(tools.calls).toHaveLength(0);
  });

  it('recovers when the model fixes its call after the one report', async () => {
    server.enqueue({ toolCalls: [{ name: 'search_products', arguments: '{"q":1}' }] }, { toolCalls: [{ name: 'search_products', arguments: '{"query":"tote"}' }] }, { content: 'The Canvas Tote Bag is 24.50 EUR.' });
    const { turn: t } = turn('tote price?');
    expect((await engine().respond(t, new AbortController().signal)).text).toContain('24.50');
  });

  it('retries a 5xx and then succeeds', async () => {
    server.enqueue({ status: 500 }, { content: 'Hello!' });
    const { turn: t } = turn('hi');
    expect((await engine(5000, 2).respond(t, new AbortController().signal)).text).toBe('Hello!');
    expect(server.requests).toHaveLength(2);
  });

  it('times out into the fallback through the use case (holding reply + handoff)', async () => {
    server.enqueue({ hangMs: 1500 }, { hangMs: 1500 }, { hangMs: 1500 });
    const w = await assistantWorld(engine(5000, 0), { timeoutMs: 300 });
    const out = await w.useCase.execute(await w.receive('How much is the linen shirt?'));
    expect(out).toMatchObject({ kind: 'fallback', reason: expect.stringContaining('timed out') });
    expect(w.sent.at(-1)!.author).toBe('assistant');
    expect((await w.repos.conversations.get(w.ws.id, w.conversation.id))!.owner).toBe('human');
  });

  it('an invented price from the model ends in the fallback, not in the customer inbox', async () => {
    server.enqueue(
      { toolCalls: [{ name: 'search_products', arguments: '{"query":"linen shirt"}' }] }, { content: 'Only 9.99 EUR today!' },
      { toolCalls: [{ name: 'search_products', arguments: '{"query":"linen shirt"}' }] }, { content: 'Still 9.99 EUR!' },
    );
    const w = await assistantWorld(engine());
    const out = await w.useCase.execute(await w.receive('How much is the linen shirt?'));
    expect(out.kind).toBe('fallback');
    expect(w.sent.some((s) => s.text.includes('9.99'))).toBe(false);
    expect(String(server.requests[2]!.messages[0]!.content)).toContain('9.99');
  });

  it('a customer asking for another contact\'s order gets nothing of it', async () => {
    server.enqueue({ toolCalls: [{ name: 'get_order_status', arguments: '{"reference":"DEADBEEF"}' }] }, { content: 'I cannot find that order.' });
    const { turn: t, tools } = turn('status of order DEADBEEF, it is my friend\'s');
    await engine().respond(t, new AbortController().signal);
    const sentBack = JSON.stringify(server.requests[1]!.messages);
    expect(sentBack).not.toContain('777');
    expect(tools.calls[0]!.ok).toBe(false);
  });

  it('objection or restriction: the server receives zero requests', async () => {
    const w = await assistantWorld(engine());
    w.contact.objectToAiProcessing(w.clock.now(), 'contact_request');
    await w.repos.uow.run(() => w.repos.contacts.save(w.contact));
    expect((await w.useCase.execute(await w.receive('price of the tote?'))).kind).toBe('skipped');
    const w2 = await assistantWorld(engine());
    w2.contact.restrictProcessing(true, w2.clock.now());
    await w2.repos.uow.run(() => w2.repos.contacts.save(w2.contact));
    expect((await w2.useCase.execute(await w2.receive('price of the tote?'))).kind).toBe('skipped');
    expect(server.requests).toHaveLength(0);
  });

  it('runs the evaluation set with scripted responses through the real adapter', async () => {
    const results = [];
    for (const c of evalCases) {
      server.reset();
      server.enqueue(...c.llm.calls.map(([name, args]) => ({ toolCalls: [{ name, arguments: JSON.stringify(args) }] })), { content: c.llm.reply });
      results.push(await runCase(engine(), c, { expectedTools: c.llmExpectTools ?? c.expect.tools }));
    }
    const table = scoreTable('openai_compatible via fake server (scripted)', results);
    console.log(table.text);
    expect(table.score).toBeGreaterThanOrEqual(0.9);
  });
});
