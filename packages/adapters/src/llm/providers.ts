import { ChatOpenAI } from '@langchain/openai';
import { ChatAnthropic } from '@langchain/anthropic';
import { ChatOllama } from '@langchain/ollama';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { OfflineAssistant, assistantKeyAad, readAssistantApiKey, type AssistantEngine, type AssistantEngineResolver, type AssistantSettingsRepository, type LlmProvider, type SecretRepository, type TokenCipher, type WorkspaceId } from '@palette/domain';
import { LangchainAssistantEngine } from './langchain-engine.js';

export interface LlmConfig {
  readonly provider: LlmProvider;
  readonly model: string | null;
  readonly baseUrl: string | null;
  readonly apiKey: string | null;
  readonly timeoutMs: number;
  /** Retries of transient provider errors (5xx, 429, connection), with the SDK's exponential backoff. */
  readonly maxRetries?: number;
}

const DEFAULT_MODELS: Readonly<Record<Exclude<LlmProvider, 'offline'>, string>> = {
  openai: 'gpt-4o-mini', openai_compatible: 'local-model', anthropic: 'claude-3-5-haiku-latest', ollama: 'llama3.1',
};

/** LLM_PROVIDER, LLM_MODEL, LLM_BASE_URL, LLM_API_KEY; nothing set → the offline assistant. */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LlmConfig {
  const provider = (env.LLM_PROVIDER ?? 'offline') as LlmProvider;
  if (!['offline', 'openai', 'openai_compatible', 'anthropic', 'ollama'].includes(provider)) throw new Error(`LLM_PROVIDER must be offline, openai, openai_compatible, anthropic or ollama, not "${provider}"`);
  return { provider, model: env.LLM_MODEL ?? null, baseUrl: env.LLM_BASE_URL ?? null, apiKey: env.LLM_API_KEY ?? null, timeoutMs: Number(env.LLM_TIMEOUT_MS ?? 20_000) };
}

export function createChatModel(config: LlmConfig): BaseChatModel {
  const maxRetries = config.maxRetries ?? 2;
  switch (config.provider) {
    case 'openai':
    case 'openai_compatible':
      return new ChatOpenAI({
        model: config.model ?? DEFAULT_MODELS[config.provider], apiKey: config.apiKey ?? 'not-needed', maxRetries, timeout: config.timeoutMs, temperature: 0,
        configuration: config.baseUrl ? { baseURL: config.baseUrl } : {},
      });
    case 'anthropic':
      return new ChatAnthropic({ model: config.model ?? DEFAULT_MODELS.anthropic, apiKey: config.apiKey ?? undefined, maxRetries, temperature: 0, ...(config.baseUrl ? { anthropicApiUrl: config.baseUrl } : {}) });
    case 'ollama':
      return new ChatOllama({ model: config.model ?? DEFAULT_MODELS.ollama, baseUrl: config.baseUrl ?? 'http://127.0.0.1:11434', temperature: 0 });
    case 'offline':
      throw new Error('the offline assistant has no chat model');
  }
}

/** Data leaves the machine unless the model runs on this host. */
function isExternal(config: LlmConfig): boolean {
  if (config.provider === 'offline') return false;
  if (!config.baseUrl) return config.provider !== 'ollama';
  try { return !['127.0.0.1', 'localhost', '::1', '[::1]'].includes(new URL(config.baseUrl).hostname); } catch { return true; }
}

export function createEngine(config: LlmConfig): AssistantEngine {
  if (config.provider === 'offline') return new OfflineAssistant();
  return new LangchainAssistantEngine(createChatModel(config), config.provider, config.model ?? DEFAULT_MODELS[config.provider], isExternal(config));
}

export { assistantKeyAad };

/**
 * Per-workspace settings win; otherwise the process defaults from env; otherwise offline. A key
 * that fails to decrypt is an error the use case turns into a fallback (never a silent key swap).
 */
export class SettingsEngineResolver implements AssistantEngineResolver {
  constructor(private readonly deps: { settings: () => AssistantSettingsRepository; secrets: () => SecretRepository; cipher: TokenCipher | null; defaults: LlmConfig }) {}

  async engineFor(workspaceId: WorkspaceId): Promise<AssistantEngine> {
    const s = await this.deps.settings().get(workspaceId);
    if (!s) return createEngine(this.deps.defaults);
    let apiKey: string | null = null;
    if (s.apiKeyRef) {
      if (!this.deps.cipher) throw new Error('an API key is stored but no cipher is configured');
      apiKey = await readAssistantApiKey({ secrets: this.deps.secrets(), cipher: this.deps.cipher }, s);
    }
    return createEngine({ provider: s.provider, model: s.model, baseUrl: s.baseUrl, apiKey, timeoutMs: s.timeoutMs });
  }
}
