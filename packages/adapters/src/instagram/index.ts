export { parseWebhookDelivery, normalizeTimestamp, dedupeKey, type InstagramEvent, type ParsedDelivery, type ParsedEvent, type QuarantinedItem, type Attachment } from './webhook-events.js';
export {
  GraphApiClient, parseCodeExchangeResponse, parseGraphTime, DEFAULT_GRAPH_URL, DEFAULT_OAUTH_URL, DEFAULT_AUTHORIZE_URL, DEFAULT_API_VERSION,
  MAX_QUICK_REPLIES, MAX_QUICK_REPLY_TITLE_CHARS, MAX_TEMPLATE_ELEMENTS, MAX_TEMPLATE_TEXT_CHARS, USAGE_SLOWDOWN_PERCENT,
  type GraphApiClientOptions, type GraphLogger, type ShortLivedToken, type LongLivedToken, type InstagramProfile, type ConversationSummary,
  type ConversationMessage, type Page, type SendReceipt, type SendInput, type SenderAction,
} from './graph-client.js';
export { mapGraphError, parseBusinessUseCaseUsage, readVendorError, toSendFailure, WINDOW_SUBCODES, RATE_LIMIT_CODES, type GraphError, type BusinessUseCaseUsage, type VendorError } from './graph-errors.js';
export { splitTextByBytes, truncateChars, MAX_TEXT_BYTES } from './text-split.js';
export { createSimulator, RATE_LIMITS, type Simulator, type SimulatorOptions, type SendStats, type FaultSpec, type FaultDuration, type CustomerAction, type CustomerSendResult, type DeliveryReport, type DeliveryOptions, type BatchOptions, type CallbackResult, type RateBucket, type SimAccount } from './simulator/index.js';
export { PostgresRateLimiter, InMemoryRateLimiter, type RateLimiterOptions, type SqlRows } from './rate-limiter.js';
export { SqlOAuthStates, SqlInstagramAccountQueries, SqlOutboundMessageQueries, SqlContactDeliveryFlags, sqlRowsOf, type OAuthStateCheck } from './sql-stores.js';
export { LimitedConversations, GraphConversationsReader, GraphTokenRefresher, READABLE_MESSAGES } from './graph-ports.js';
export { loadInstagramSettings, DEFAULT_SCOPES, WEBHOOK_FIELDS, SANDBOX_APP_ID, SANDBOX_APP_SECRET, type InstagramSettings, type InstagramSettingsResult } from './settings.js';
export { createInstagramServices, type InstagramServices } from './services.js';
export { LazyKeyringCipher } from './lazy-cipher.js';
