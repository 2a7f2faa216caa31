import { z } from 'zod';
import type { Container } from 'inversify';
import {
  DEFAULT_ASSISTANT_TIMEOUT_MS, Ids, LLM_PROVIDERS, storeAssistantApiKey,
  type AiAuditRecord, type AssistantRecords, type AssistantSettings, type Repositories,
} from '@palette/domain';
import { InMemoryAssistantRecords, InMemoryDatabase } from '@palette/domain/in-memory';
import { createSqlAssistantRecords } from '@palette/adapters/persistence';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';

/** The assistant's records over the unit of work of these repositories (SQL or the in-memory tables). */
export function assistantRecordsOf(repos: Pick<Repositories, 'uow'>): AssistantRecords {
  return repos.uow instanceof InMemoryDatabase ? new InMemoryAssistantRecords(repos.uow) : createSqlAssistantRecords(repos.uow);
}

export function assistantServices(c: Container) {
  const repos = c.get(TOKENS.Repositories);
  return { repos, records: assistantRecordsOf(repos), clock: c.get(TOKENS.Clock), ids: c.get(TOKENS.Ids) };
}

const SettingsDto = z.object({
  enabled: z.boolean(),
  provider: z.enum(LLM_PROVIDERS),
  model: z.string().nullable(),
  baseUrl: z.string().nullable(),
  /** The key itself is write-only. */
  apiKeySet: z.boolean(),
  restorePersonalData: z.boolean(),
  timeoutMs: z.number().int(),
  /** Null until the workspace saves settings: the server's LLM_* defaults apply. */
  updatedAt: z.iso.datetime().nullable(),
}).meta({ id: 'AssistantSettings', description: 'The workspace\'s assistant provider. The API key is never returned, only whether one is stored.' });

const SettingsBody = z.object({
  enabled: z.boolean(),
  provider: z.enum(LLM_PROVIDERS),
  model: z.string().trim().min(1).max(200).nullable(),
  baseUrl: z.url({ protocol: /^https?$/ }).max(500).nullable(),
  /** Absent: keep the stored key; null: remove it; a string: replace it. */
  apiKey: z.string().min(1).max(500).nullable().optional(),
  restorePersonalData: z.boolean(),
  timeoutMs: z.number().int().min(1000).max(120_000).default(DEFAULT_ASSISTANT_TIMEOUT_MS),
}).strict();

const AuditDto = z.object({
  id: z.uuid(), messageId: z.uuid(), replyMessageId: z.uuid().nullable(),
  outcome: z.enum(['replied', 'handoff', 'fallback', 'automation', 'skipped']), reason: z.string().nullable(),
  provider: z.string(), model: z.string(), latencyMs: z.number().int(), inputTokens: z.number().int().nullable(), outputTokens: z.number().int().nullable(),
  toolCalls: z.array(z.object({ tool: z.string(), args: z.unknown(), ok: z.boolean(), result: z.unknown() })),
  checks: z.array(z.object({ name: z.string(), passed: z.boolean(), detail: z.string().nullable() })),
  redactions: z.record(z.string(), z.number().int()),
  at: z.iso.datetime(),
}).meta({ id: 'AiAuditRecord', description: 'One assistant turn: provider, model, latency, tokens, tool calls with arguments and results, the checks it passed. Never the prompt, message text or secrets.' });

const settingsDto = (s: AssistantSettings | null): z.input<typeof SettingsDto> => s
  ? { enabled: s.enabled, provider: s.provider, model: s.model, baseUrl: s.baseUrl, apiKeySet: s.apiKeyRef !== null, restorePersonalData: s.restorePersonalData, timeoutMs: s.timeoutMs, updatedAt: s.updatedAt.toISOString() }
  : { enabled: true, provider: 'offline', model: null, baseUrl: null, apiKeySet: false, restorePersonalData: false, timeoutMs: DEFAULT_ASSISTANT_TIMEOUT_MS, updatedAt: null };

const auditDto = (r: AiAuditRecord): z.input<typeof AuditDto> => ({
  id: r.id, messageId: r.messageId, replyMessageId: r.replyMessageId, outcome: r.outcome, reason: r.reason, provider: r.provider, model: r.model,
  latencyMs: Math.round(r.latencyMs), inputTokens: r.inputTokens, outputTokens: r.outputTokens,
  toolCalls: r.toolCalls.map((t) => ({ tool: t.tool, args: t.args, ok: t.ok, result: t.result })), checks: r.checks.map((x) => ({ ...x })), redactions: { ...r.redactions }, at: r.at.toISOString(),
});

const WorkspaceParams = z.object({ workspaceId: z.uuid() });

export const assistantRoutes = (c: Container) => [
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/assistant', summary: 'The assistant\'s provider settings', tags: ['assistant'],
      auth: 'session', permission: 'assistant.configure', params: WorkspaceParams,
      responses: { 200: { description: 'The settings (the API key only as `apiKeySet`)', body: SettingsDto } },
    },
    async ({ principal }) => ({ status: 200, body: settingsDto(await assistantServices(c).records.get(principal.workspaceId)) }),
  ),
  defineRoute(
    {
      method: 'put', path: '/api/workspaces/:workspaceId/assistant', summary: 'Choose the assistant\'s provider',
      description: 'Provider, model, base URL (OpenAI-compatible servers, Ollama) and API key. The key is encrypted with the server\'s token keyring and never returned. Audited by field name.',
      tags: ['assistant'], auth: 'session', permission: 'assistant.configure', params: WorkspaceParams, body: SettingsBody,
      responses: { 200: { description: 'The saved settings', body: SettingsDto } }, problems: ['unprocessable', 'unavailable'],
    },
    async ({ principal, body, requestId }) => {
      const { repos, records, clock, ids } = assistantServices(c);
      if (body.provider === 'openai_compatible' && body.baseUrl === null) throw HttpProblem.unprocessable('An OpenAI-compatible provider needs its base URL.', 'assistant.base_url_required');
      // The Instagram token keyring is the server's TokenCipher; without it no secret can be stored.
      if (typeof body.apiKey === 'string' && !c.isBound(TOKENS.Instagram)) throw new HttpProblem('unavailable', { detail: 'Encryption is not set up on this server: an API key cannot be stored.' });
      const saved = await repos.uow.run(async () => {
        const current = await records.get(principal.workspaceId);
        const now = clock.now();
        let apiKeyRef = current?.apiKeyRef ?? null;
        if (body.apiKey !== undefined) {
          // Replaced or removed: the old ciphertext goes at once, in the same transaction.
          if (apiKeyRef) await repos.secrets.destroy(principal.workspaceId, apiKeyRef);
          apiKeyRef = body.apiKey === null ? null
            : await storeAssistantApiKey({ secrets: repos.secrets, cipher: c.get(TOKENS.Instagram).cipher, ids }, { workspaceId: principal.workspaceId, apiKey: body.apiKey, now });
        }
        const next: AssistantSettings = {
          workspaceId: principal.workspaceId, enabled: body.enabled, provider: body.provider, model: body.model, baseUrl: body.baseUrl,
          apiKeyRef,
          restorePersonalData: body.restorePersonalData, timeoutMs: body.timeoutMs, updatedAt: now,
        };
        await records.save(next);
        await repos.audit.append({
          id: Ids.auditEntry(ids.next()), workspaceId: principal.workspaceId, actor: { kind: 'user', id: principal.userId }, action: 'assistant.settings_updated',
          target: { type: 'workspace', id: principal.workspaceId }, at: now, requestId,
          details: { provider: next.provider, apiKey: body.apiKey === undefined ? 'kept' : body.apiKey === null ? 'removed' : 'replaced' },
        });
        return next;
      });
      return { status: 200, body: settingsDto(saved) };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/conversations/:conversationId/ai-audit', summary: 'The AI audit of a conversation',
      description: 'Each automated turn, newest first: provider, model, latency, tokens, tool calls with arguments and results, checks. Tool arguments can carry a customer\'s words, so this needs the message-content permission.',
      tags: ['assistant'], auth: 'session', permission: 'messages.read_content', params: z.object({ workspaceId: z.uuid(), conversationId: z.uuid() }),
      responses: { 200: { description: 'The audit records', body: z.object({ items: z.array(AuditDto) }) } },
    },
    async ({ principal, params }) => {
      const { repos, records } = assistantServices(c);
      const conversation = await repos.conversations.get(principal.workspaceId, Ids.conversation(params.conversationId));
      if (!conversation) throw HttpProblem.notFound();
      return { status: 200, body: { items: (await records.listByConversation(principal.workspaceId, conversation.id, 100)).map(auditDto) } };
    },
  ),
];
