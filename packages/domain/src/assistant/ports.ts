import type { ContactId, ConversationId, MessageId, SecretId, WorkspaceId } from '../shared/ids.js';
import type { Result } from '../shared/result.js';
import type { OrderStatus } from '../orders/order.js';
import type { BusinessProfile } from '../accounts/workspace.js';
import type { AiDecisionRecords } from '../privacy/privacy-store.js';
import type { AutomationRuleRepository, PrivateReplyLedger } from '../automations/ports.js';

/** What the assistant may know of a conversation; the use case builds it, within retention only. */
export interface AssistantContext {
  readonly workspaceId: WorkspaceId;
  readonly conversationId: ConversationId;
  readonly contactId: ContactId;
  readonly businessProfile: BusinessProfile | null;
  /** Only messages still within retention, oldest first. */
  readonly messages: ReadonlyArray<{ readonly author: 'customer' | 'merchant'; readonly text: string; readonly at: Date }>;
}

/**
 * What the assistant's tools may see of a variant. Prices are decimal strings in major units
 * ("39.00") so the figures a reply quotes can be checked against exactly these strings.
 */
export interface VariantView {
  readonly variantId: string;
  readonly sku: string;
  readonly title: string;
  readonly price: string;
  readonly currency: string;
  readonly available: number;
  readonly active: boolean;
}

export interface ProductView {
  readonly productId: string;
  readonly name: string;
  readonly description: string;
  readonly variants: readonly VariantView[];
}

export interface OrderView {
  readonly orderId: string;
  /** Short reference the customer can quote back. */
  readonly reference: string;
  readonly status: OrderStatus;
  readonly currency: string;
  readonly total: string;
  readonly lines: ReadonlyArray<{ readonly name: string; readonly quantity: number; readonly unitPrice: string }>;
  readonly createdAt: string;
  readonly holdExpiresAt: string | null;
}

/**
 * The catalog as the assistant's tools need it: read-only, one workspace. Implemented over the
 * catalog repositories by the adapters (the catalog engineer's search replaces the ranking later).
 */
export interface AssistantCatalog {
  search(workspaceId: WorkspaceId, query: string, limit: number): Promise<ProductView[]>;
  getProduct(workspaceId: WorkspaceId, productId: string): Promise<ProductView | null>;
}

export type DraftFailure = { readonly kind: 'UnknownVariant' | 'Unavailable' | 'InsufficientStock' | 'Invalid'; readonly detail: string };

/** Orders, always for one contact: a customer can never reach another customer's order. */
export interface AssistantOrderDesk {
  listForContact(workspaceId: WorkspaceId, contactId: ContactId, limit: number): Promise<OrderView[]>;
  /** A chat draft with a short stock hold (`holdMinutes`), lines priced from the live catalog. */
  draftForContact(input: {
    workspaceId: WorkspaceId; contactId: ContactId; conversationId: ConversationId;
    lines: ReadonlyArray<{ variantId: string; quantity: number }>; holdMinutes: number;
  }): Promise<Result<OrderView, DraftFailure>>;
}

export const TOOL_NAMES = ['search_products', 'get_product', 'create_order_draft', 'get_order_status', 'handoff_to_human'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

export type ToolOutcome =
  | { readonly ok: true; readonly tool: ToolName; readonly result: unknown }
  | { readonly ok: false; readonly tool: string; readonly error: string };

/** The tools of one turn, already scoped to the workspace and the contact of the conversation. */
export interface AssistantToolbox {
  call(tool: string, args: unknown): Promise<ToolOutcome>;
}

export interface AssistantTurn extends AssistantContext {
  /** The contact's own orders (most recent first), nothing else. */
  readonly orders: readonly OrderView[];
  readonly tools: AssistantToolbox;
  /** Set on the one regeneration after a failed check: why the previous reply was rejected. */
  readonly correction: string | null;
}

export interface EngineReply {
  readonly text: string;
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number };
}

/**
 * An assistant implementation (an LLM through langchain, or the offline rule-based one). It may call
 * the toolbox; the use case decides whether it runs at all, and checks what it returns.
 */
export interface AssistantEngine {
  readonly provider: string;
  readonly model: string;
  /** Data leaves the process: minimise personal data before calling it. */
  readonly external: boolean;
  respond(turn: AssistantTurn, signal: AbortSignal): Promise<EngineReply>;
}

/** Picks the engine configured for a workspace (settings, else env defaults, else offline). */
export interface AssistantEngineResolver {
  engineFor(workspaceId: WorkspaceId): Promise<AssistantEngine>;
}

export const LLM_PROVIDERS = ['offline', 'openai', 'openai_compatible', 'anthropic', 'ollama'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

/** Per-workspace assistant settings. The API key is only ever stored encrypted. */
export interface AssistantSettings {
  readonly workspaceId: WorkspaceId;
  readonly enabled: boolean;
  readonly provider: LlmProvider;
  readonly model: string | null;
  readonly baseUrl: string | null;
  /** The provider API key lives in the secrets table like Instagram tokens, so key rotation re-encrypts it. */
  readonly apiKeyRef: SecretId | null;
  /** Whether placeholders for the customer's own details may be restored in a reply. */
  readonly restorePersonalData: boolean;
  readonly timeoutMs: number;
  readonly updatedAt: Date;
}

export interface AssistantSettingsRepository {
  get(workspaceId: WorkspaceId): Promise<AssistantSettings | null>;
  save(settings: AssistantSettings): Promise<void>;
}

export interface AiCheck {
  readonly name: 'figures_grounded' | 'output_valid' | 'personal_data_minimised' | 'tool_arguments_valid';
  readonly passed: boolean;
  readonly detail: string | null;
}

export interface AiToolCallRecord {
  readonly tool: string;
  readonly args: unknown;
  readonly ok: boolean;
  readonly result: unknown;
}

export type AiOutcome = 'replied' | 'handoff' | 'fallback' | 'automation' | 'skipped';

/** One per assistant turn, shown to the merchant. Never holds secrets or the prompt. */
export interface AiAuditRecord {
  readonly id: string;
  readonly workspaceId: WorkspaceId;
  readonly conversationId: ConversationId;
  readonly messageId: MessageId;
  readonly replyMessageId: MessageId | null;
  readonly outcome: AiOutcome;
  readonly reason: string | null;
  readonly provider: string;
  readonly model: string;
  readonly latencyMs: number;
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  readonly toolCalls: readonly AiToolCallRecord[];
  readonly checks: readonly AiCheck[];
  /** Counts per placeholder kind sent instead of personal data (the values are never stored). */
  readonly redactions: Readonly<Record<string, number>>;
  readonly at: Date;
}

export interface AiAuditLog {
  append(record: AiAuditRecord): Promise<void>;
  findByMessage(workspaceId: WorkspaceId, messageId: MessageId): Promise<AiAuditRecord | null>;
  listByConversation(workspaceId: WorkspaceId, conversationId: ConversationId, limit: number): Promise<AiAuditRecord[]>;
  /** Retention (ai_records class). */
  deleteOlderThan(cutoff: Date, limit: number): Promise<number>;
}

/**
 * Everything the assistant and the automations store, over one unit of work: the in-memory
 * records and the SQL ones implement it all, and one contract suite checks both.
 */
export interface AssistantRecords extends AiAuditLog, AssistantSettingsRepository, AutomationRuleRepository, PrivateReplyLedger, AiDecisionRecords {}
