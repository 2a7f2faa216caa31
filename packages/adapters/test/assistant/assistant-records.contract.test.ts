import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ids, type AiAuditRecord, type AssistantRecords, type AutomationRule, type Repositories, type WorkspaceId } from '@palette/domain';
import { InMemoryAssistantRecords, InMemoryDatabase, createInMemoryRepositories } from '@palette/domain/in-memory';
import { make, uuid } from '@palette/domain/testing';
import { createMikroOrmRepositories, createSqlAssistantRecords, persistenceModule } from '../../src/persistence/index.js';
import { describeOnPostgres, openTestDatabase, type TestDatabase } from '../support/databases.js';

/** One unit of work: repositories plus the assistant records over the same transaction. */
interface Session { repos: Repositories; records: AssistantRecords }
interface Harness { session(): Session; reset(): Promise<void>; teardown(): Promise<void>; sql: boolean }

function inMemoryHarness(): Harness {
  let db = new InMemoryDatabase();
  return {
    sql: false,
    session: () => ({ repos: createInMemoryRepositories(db) as unknown as Repositories, records: new InMemoryAssistantRecords(db) }),
    reset: async () => { db = new InMemoryDatabase(); },
    teardown: async () => {},
  };
}

function ormHarness(db: TestDatabase): Harness {
  return {
    sql: true,
    session: () => { const repos = createMikroOrmRepositories(db.database.orm); return { repos: repos as unknown as Repositories, records: createSqlAssistantRecords(repos.uow) }; },
    reset: async () => { await db.database.orm.em.fork().getConnection().execute('truncate workspaces, users cascade'); },
    teardown: () => db.teardown(),
  };
}

const NOW = new Date('2026-03-01T10:00:00.000Z');
const at = (min: number) => new Date(NOW.getTime() + min * 60_000);

/** Two workspaces, each with an account, a contact, a conversation and three inbound messages. */
async function seed(h: Harness) {
  const { repos } = h.session();
  const tenants = [1, 2].map((n) => {
    const p = `0000000${n}`;
    const ws = make.workspace(uuid(1, p), NOW);
    const account = make.account(uuid(2, p), ws.id, `1784140000000${n}`, NOW, uuid(9, p));
    const contact = make.contact(uuid(3, p), ws.id, account.id, `igsid-${n}`, NOW);
    const conversation = make.conversation(uuid(4, p), ws.id, account.id, contact.id, NOW);
    const messages = [0, 1, 2].map((i) => make.inbound(uuid(0x10 + i, p), ws.id, account.id, conversation.id, contact.id, `mid-${n}-${i}`, `hello; ${i}`, at(i)));
    return { ws, account, contact, conversation, messages };
  });
  await repos.uow.run(async () => {
    for (const t of tenants) {
      await repos.workspaces.save(t.ws); await repos.accounts.save(t.account); await repos.contacts.save(t.contact); await repos.conversations.save(t.conversation);
      for (const m of t.messages) await repos.messages.save(m);
    }
  });
  return tenants;
}
type Tenant = Awaited<ReturnType<typeof seed>>[number];

function audit(t: Tenant, i: number, extra: Partial<AiAuditRecord> = {}): AiAuditRecord {
  return {
    id: uuid(0x100 + i, t.ws.id.slice(0, 8)), workspaceId: t.ws.id, conversationId: t.conversation.id, messageId: t.messages[i]!.id, replyMessageId: null,
    outcome: 'replied', reason: null, provider: 'offline', model: 'rules-v1', latencyMs: 12, inputTokens: 10, outputTokens: 5,
    toolCalls: [{ tool: 'search_products', args: { query: 'tote; bag' }, ok: true, result: { products: [{ name: 'Tote', price: '24.50' }] } }],
    checks: [{ name: 'figures_grounded', passed: true, detail: null }], redactions: { email: 1 }, at: at(i), ...extra,
  };
}

function rule(ws: WorkspaceId, i: number, extra: Partial<AutomationRule> = {}): AutomationRule {
  return {
    id: uuid(0x200 + i, ws.slice(0, 8)), workspaceId: ws, name: `Rule ${i}`, enabled: true, trigger: 'dm_keyword',
    matcher: { keywords: ['envío', 'shipping'], mode: 'contains', combine: 'any' }, postId: null, action: { kind: 'reply', text: 'We ship in 2 days; tracked.' },
    priority: 10 - i, createdAt: at(i), updatedAt: at(i), ...extra,
  };
}

function assistantRecordsContract(name: string, make: () => Promise<Harness>) {
  describe(`assistant records contract: ${name}`, () => {
    let h: Harness;
    let a: Tenant;
    let b: Tenant;
    beforeAll(async () => { h = await make(); }, 60_000);
    afterAll(async () => { await h?.teardown(); });
    beforeEach(async () => { await h.reset(); const seeded = await seed(h); a = seeded[0]!; b = seeded[1]!; });

    it('stores settings per workspace, the API key as a reference to its secret, and overwrites them', async () => {
      const { records, repos } = h.session();
      expect(await records.get(a.ws.id)).toBeNull();
      const secretId = Ids.secret(uuid(0x50, '00000001'));
      const settings = { workspaceId: a.ws.id, enabled: true, provider: 'openai_compatible' as const, model: 'qwen2.5', baseUrl: 'http://127.0.0.1:8080/v1',
        apiKeyRef: secretId, restorePersonalData: false, timeoutMs: 15_000, updatedAt: NOW };
      await repos.uow.run(async () => {
        await repos.secrets.save({ id: secretId, workspaceId: a.ws.id, purpose: 'llm_api_key', ciphertext: { keyId: 'k1', data: 'ciphertext; base64==' }, aad: `assistant_api_key:${a.ws.id}`, createdAt: NOW });
        await records.save(settings);
      });
      expect(await h.session().records.get(a.ws.id)).toEqual(settings);
      expect(await h.session().records.get(b.ws.id)).toBeNull();
      await h.session().records.save({ ...settings, apiKeyRef: null, provider: 'offline', model: null, baseUrl: null, enabled: false, updatedAt: at(5) });
      expect(await h.session().records.get(a.ws.id)).toMatchObject({ apiKeyRef: null, provider: 'offline', enabled: false, updatedAt: at(5) });
    });

    it('keeps one audit record per message, lists a conversation newest first, and never across workspaces', async () => {
      const { records } = h.session();
      await records.append(audit(a, 0));
      await records.append(audit(a, 1, { outcome: 'fallback', reason: 'timed out', inputTokens: null, outputTokens: null }));
      await records.append({ ...audit(a, 1), id: uuid(0x1ff, '00000001') });
      await records.append(audit(b, 0));
      const s = h.session().records;
      expect(await s.findByMessage(a.ws.id, a.messages[1]!.id)).toEqual(audit(a, 1, { outcome: 'fallback', reason: 'timed out', inputTokens: null, outputTokens: null }));
      expect(await s.findByMessage(b.ws.id, a.messages[0]!.id)).toBeNull();
      expect((await s.listByConversation(a.ws.id, a.conversation.id, 10)).map((r) => r.messageId)).toEqual([a.messages[1]!.id, a.messages[0]!.id]);
      expect(await s.listByConversation(b.ws.id, a.conversation.id, 10)).toEqual([]);
      expect(await s.listByConversation(a.ws.id, a.conversation.id, 1)).toHaveLength(1);
    });

    it('writes nothing when the unit of work fails', async () => {
      const { repos, records } = h.session();
      await expect(repos.uow.run(async () => { await records.append(audit(a, 0)); throw new Error('boom'); })).rejects.toThrow('boom');
      expect(await h.session().records.findByMessage(a.ws.id, a.messages[0]!.id)).toBeNull();
    });

    it('deletes for privacy: by conversation, by contact, by age; exports a contact\'s records oldest first', async () => {
      const { records } = h.session();
      for (const i of [0, 1, 2]) await records.append(audit(a, i));
      await records.append(audit(b, 0));
      const exported = await h.session().records.listForContact(a.ws.id, a.contact.id);
      expect(exported.map((r) => r.messageId)).toEqual(a.messages.map((m) => m.id));
      expect(exported[0]).toMatchObject({ outcome: 'replied', at: at(0).toISOString(), toolCalls: audit(a, 0).toolCalls });
      expect(await h.session().records.listForContact(b.ws.id, a.contact.id)).toEqual([]);
      expect(await h.session().records.deleteOlderThan(at(0), 10)).toBe(2);
      expect(await h.session().records.deleteForConversations(b.ws.id, [a.conversation.id])).toEqual([]);
      expect(await h.session().records.deleteForContact(a.ws.id, a.contact.id)).toEqual([audit(a, 1).id, audit(a, 2).id].sort());
      expect(await h.session().records.deleteForConversations(a.ws.id, [a.conversation.id])).toEqual([]);
    });

    it('keeps rules per workspace in priority order, updates and deletes them, and refuses a foreign id', async () => {
      const { records } = h.session();
      for (const i of [0, 1, 2]) await records.saveRule(rule(a.ws.id, i));
      await records.saveRule(rule(b.ws.id, 0));
      expect((await h.session().records.listRules(a.ws.id)).map((r) => r.name)).toEqual(['Rule 2', 'Rule 1', 'Rule 0']);
      await h.session().records.saveRule({ ...rule(a.ws.id, 1), enabled: false, name: 'Renamed', updatedAt: at(9) });
      expect(await h.session().records.getRule(a.ws.id, rule(a.ws.id, 1).id)).toEqual({ ...rule(a.ws.id, 1), enabled: false, name: 'Renamed', updatedAt: at(9) });
      expect(await h.session().records.getRule(b.ws.id, rule(a.ws.id, 1).id)).toBeNull();
      expect(await h.session().records.getRule(a.ws.id, 'not-a-uuid')).toBeNull();
      await expect(h.session().records.saveRule({ ...rule(a.ws.id, 0), workspaceId: b.ws.id })).rejects.toThrow();
      expect(await h.session().records.deleteRule(b.ws.id, rule(a.ws.id, 0).id)).toBe(false);
      expect(await h.session().records.deleteRule(a.ws.id, rule(a.ws.id, 0).id)).toBe(true);
      expect((await h.session().records.listRules(a.ws.id)).map((r) => r.name)).toEqual(['Rule 2', 'Renamed']);
      expect(await h.session().records.listRules(b.ws.id)).toHaveLength(1);
    });

    it('round-trips any valid rule (keywords, texts with semicolons and accents)', async () => {
      const text = fc.string({ minLength: 1, maxLength: 40 });
      await fc.assert(fc.asyncProperty(
        fc.record({
          name: text, enabled: fc.boolean(), keywords: fc.array(text, { minLength: 1, maxLength: 5 }), mode: fc.constantFrom('contains' as const, 'exact' as const),
          combine: fc.constantFrom('any' as const, 'all' as const), reply: fc.option(text, { nil: null }), priority: fc.integer({ min: -1000, max: 1000 }),
          trigger: fc.constantFrom('dm_keyword' as const, 'comment' as const, 'story_mention' as const), postId: fc.option(fc.stringMatching(/^[0-9]{1,17}$/), { nil: null }),
        }),
        async (x) => {
          const r = rule(a.ws.id, 7, {
            name: x.name, enabled: x.enabled, trigger: x.trigger, matcher: x.trigger === 'story_mention' ? null : { keywords: x.keywords, mode: x.mode, combine: x.combine },
            postId: x.trigger === 'comment' ? x.postId : null, action: x.reply === null ? { kind: 'handoff', text: null } : { kind: 'reply', text: x.reply }, priority: x.priority,
          });
          await h.session().records.saveRule(r);
          expect(await h.session().records.getRule(a.ws.id, r.id)).toEqual(r);
        }), { numRuns: 25 });
    });

    it('stores the greeting and ice breakers per workspace', async () => {
      const w = { workspaceId: a.ws.id, greetingEnabled: true, greetingText: '¡Hola! Bienvenida; pregunta lo que quieras.', iceBreakers: ['¿Envíos?', 'Sizes?'], updatedAt: NOW };
      expect(await h.session().records.getWelcome(a.ws.id)).toBeNull();
      await h.session().records.saveWelcome(w);
      await h.session().records.saveWelcome({ ...w, iceBreakers: ['Only one'], updatedAt: at(1) });
      expect(await h.session().records.getWelcome(a.ws.id)).toEqual({ ...w, iceBreakers: ['Only one'], updatedAt: at(1) });
      expect(await h.session().records.getWelcome(b.ws.id)).toBeNull();
    });

    it('claims a comment\'s private reply exactly once', async () => {
      const claim = { workspaceId: a.ws.id, accountId: a.account.id, commentId: '17900000000000001', ruleId: rule(a.ws.id, 0).id, at: NOW };
      expect(await h.session().records.hasPrivateReply(a.ws.id, a.account.id, claim.commentId)).toBe(false);
      expect(await h.session().records.claimPrivateReply(claim)).toBe(true);
      expect(await h.session().records.claimPrivateReply({ ...claim, at: at(1) })).toBe(false);
      expect(await h.session().records.hasPrivateReply(a.ws.id, a.account.id, claim.commentId)).toBe(true);
      expect(await h.session().records.hasPrivateReply(b.ws.id, a.account.id, claim.commentId)).toBe(false);
    });

    it('loses the audit records with their conversation (database cascade)', async () => {
      if (!h.sql) return; // The in-memory conversation store has no cascade; privacy calls deleteForConversations there.
      await h.session().records.append(audit(a, 0));
      await h.session().records.append(audit(b, 0));
      const conn = (h.session().repos.uow as unknown as { execute: (sql: string, p: unknown[]) => Promise<unknown> });
      await conn.execute('delete from messages where conversation_id = ?', [a.conversation.id]);
      await conn.execute('delete from conversations where id = ?', [a.conversation.id]);
      expect(await h.session().records.findByMessage(a.ws.id, a.messages[0]!.id)).toBeNull();
      expect(await h.session().records.findByMessage(b.ws.id, b.messages[0]!.id)).not.toBeNull();
    });
  });
}

assistantRecordsContract('in memory', async () => inMemoryHarness());
assistantRecordsContract('MikroORM on PGlite', async () => ormHarness(await openTestDatabase('pglite', persistenceModule())));
describeOnPostgres('assistant records on PostgreSQL', () => {
  assistantRecordsContract('MikroORM on PostgreSQL', async () => ormHarness(await openTestDatabase('postgresql', persistenceModule())));
});

