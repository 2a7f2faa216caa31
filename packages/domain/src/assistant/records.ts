import type { SecretId, WorkspaceId } from '../shared/ids.js';
import { storeSecret } from '../instagram/account-token.js';
import type { IdGenerator } from '../shared/ports.js';
import type { SecretRepository, TokenCipher } from '../instagram/ports.js';
import type { AiAuditRecord, AssistantSettings } from './ports.js';

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

/** Encrypts a workspace's LLM API key into the secrets table; returns the reference the settings keep. */
export function storeAssistantApiKey(
  deps: { secrets: SecretRepository; cipher: TokenCipher; ids: IdGenerator },
  input: { workspaceId: WorkspaceId; apiKey: string; now: Date },
): Promise<SecretId> {
  return storeSecret(deps, { workspaceId: input.workspaceId, purpose: 'llm_api_key', aad: assistantKeyAad(input.workspaceId), plaintext: input.apiKey, now: input.now });
}

/** The plaintext key, or null when none is set. A missing secret row is an error, not "no key": the settings say one exists. */
export async function readAssistantApiKey(deps: { secrets: SecretRepository; cipher: TokenCipher }, settings: AssistantSettings): Promise<string | null> {
  if (!settings.apiKeyRef) return null;
  const secret = await deps.secrets.get(settings.workspaceId, settings.apiKeyRef);
  if (!secret) throw new Error('the assistant API key the settings refer to is missing');
  return deps.cipher.decrypt(secret.ciphertext, assistantKeyAad(settings.workspaceId));
}
