import type { AiAuditRecord } from './ports.js';

/** An AI audit record as an export bundle carries it (JSON-safe, same fields as the merchant sees). */
export function aiAuditExport(r: AiAuditRecord): Readonly<Record<string, unknown>> {
  return {
    id: r.id, conversationId: r.conversationId, messageId: r.messageId, replyMessageId: r.replyMessageId, outcome: r.outcome, reason: r.reason,
    provider: r.provider, model: r.model, latencyMs: r.latencyMs, inputTokens: r.inputTokens, outputTokens: r.outputTokens,
    toolCalls: r.toolCalls, checks: r.checks, redactions: r.redactions, at: r.at.toISOString(),
  };
}

/** The AAD of a workspace's LLM API key: the ciphertext only decrypts on its own settings row. */
export const assistantKeyAad = (workspaceId: string): string => `assistant_api_key:${workspaceId}`;
