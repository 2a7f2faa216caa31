export { LangchainAssistantEngine, systemPrompt } from './langchain-engine.js';
export { TOOL_SCHEMAS } from './tool-schemas.js';
export { createChatModel, createEngine, llmConfigFromEnv, SettingsEngineResolver, assistantKeyAad, type LlmConfig } from './providers.js';
