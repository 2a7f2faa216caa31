// The public API of @palette/domain: explicit named exports only, documented in the README.

// shared kernel
export { ok, err, isErr, assertNever, type Ok, type Err, type Result } from './shared/result.js';
export { ConcurrencyConflictError, notFound, type NotFound } from './shared/errors.js';
export { Ids, type Brand, type WorkspaceId, type UserId, type MembershipId, type InstagramAccountId, type SecretId, type ContactId, type ConversationId, type MessageId, type ProductId, type VariantId, type StockMovementId, type OrderId, type DataSubjectRequestId, type ReceiptId, type AuditEntryId } from './shared/ids.js';
export { Money, sumMoney, parseCurrency, minorUnitExponent, type Currency, type MoneyError } from './shared/money.js';
export type { Clock, IdGenerator, UnitOfWork } from './shared/ports.js';
export type { JobQueue, JobRequest } from './shared/jobs.js';
export type { Repositories } from './shared/repositories.js';
export { IDEMPOTENCY_TTL_MS, type IdempotencyRecord, type IdempotencyStore } from './shared/idempotency.js';

// accounts
export { ROLES, PERMISSIONS, PERMISSION_MATRIX, can, isRole, type Role, type Permission } from './accounts/permissions.js';
export { Workspace, type WorkspaceError, type BusinessProfile, type WorkspaceFactoryOptions } from './accounts/workspace.js';
export { User, normalizeEmail, type UserError, type UserPreferences } from './accounts/user.js';
export { Membership, canLeave, countOwners, type MembershipError } from './accounts/membership.js';
export type { WorkspaceRepository, UserRepository, MembershipRepository, PasswordHasher, SessionRepository, InvitationRepository, Mailer } from './accounts/ports.js';
export { Session, DEFAULT_SESSION_POLICY, type SessionPolicy } from './accounts/session.js';
export { Invitation, INVITATION_TTL_MS, type InvitationError } from './accounts/invitation.js';
export { RegisterAccount, MIN_PASSWORD_LENGTH, type RegisterAccountCommand, type RegisterAccountError } from './accounts/register-account.js';
export { ManageTeam, type TeamError, type TeamChangeHook } from './accounts/manage-team.js';
export { ManageInvitations, type ManageInvitationsDeps, type InviteError, type AcceptInvitationError, type RevokeInvitationError } from './accounts/manage-invitations.js';
export { DEFAULT_LOGIN_THROTTLE, PASSWORD_RESET_TTL_MS, SESSION_TOUCH_INTERVAL_MS, type AuthRecords, type AuthPolicy, type LoginThrottlePolicy, type LoginThrottleStore, type ThrottleState, type MailKind, type MailOutbox, type OutboxMail, type PasswordResetToken, type PasswordResetTokenRepository, type SecretTokenGenerator } from './accounts/auth-ports.js';
export { ManageSessions, type ManageSessionsDeps, type StartedSession } from './accounts/manage-sessions.js';
export { LogIn, type LogInCommand, type LogInDeps, type LogInError } from './accounts/authenticate.js';
export { RequestPasswordReset, ConfirmPasswordReset, type RequestPasswordResetDeps, type ConfirmPasswordResetDeps, type ConfirmPasswordResetError } from './accounts/password-reset.js';
export { ManageAccount, type ManageAccountDeps, type CorrectAccountError, type ChangePasswordError } from './accounts/manage-account.js';

// instagram
export { InstagramAccount, REQUIRED_SCOPES, missingScopes, type InstagramAccountStatus, type InstagramAccountType, type InstagramAccountError } from './instagram/instagram-account.js';
export { RotateSecrets } from './instagram/rotate-secrets.js';
export type { InstagramAccountRepository, TokenCipher, Ciphertext, EncryptedSecret, SecretRepository, InstagramGateway, SendFailure, OutboundPayload } from './instagram/ports.js';
export type { InstagramConversationsReader, InstagramTokenRefresher, PlatformSentMessage, RefreshedToken } from './instagram/ports.js';
export { DEFAULT_RATE_LIMITS, USAGE_SLOWDOWN_PERCENT, USAGE_MEMORY_MS, effectiveLimit, bucketFor, acquireSlot, type RateBucket, type RateLimitRule, type RateDecision, type RateLimiter } from './instagram/rate-limit.js';
export { instagramTokenAad, storeAccountToken, readAccountToken } from './instagram/account-token.js';
export { ConnectInstagramAccount, DisconnectInstagramAccount, RefreshInstagramTokens, ReleaseHeldMessages, normalizeAccountType, type ConnectAccountError, type InstagramAccountQueries, type RefreshReport } from './instagram/manage-connection.js';

// contacts
export { Contact, CONSENT_PURPOSES, type ConsentEntry, type ConsentPurpose, type ConsentSource, type ContactRestrictions } from './contacts/contact.js';
export type { ContactRepository } from './contacts/ports.js';

// conversations
export { Conversation, type ConversationOwner, type EntryPoint } from './conversations/conversation.js';
export { Message, type Direction, type AuthorKind, type DeliveryState, type AttachmentMeta, type Reaction, type HoldReason } from './conversations/message.js';
export { decideDirectMessage, decidePrivateReply, describeWindow, isHumanAuthor, STANDARD_WINDOW_MS, HUMAN_AGENT_WINDOW_MS, PRIVATE_REPLY_WINDOW_MS, type OutboundAuthor, type SendDecision, type SendRefusalReason } from './conversations/messaging-policy.js';
export { gateOutbound, shouldAskAssistant, HANDOFF_ANNOUNCEMENT_MS, type GateDecision } from './conversations/send-gate.js';
export type { ConversationRepository, MessageRepository } from './conversations/ports.js';
export type { InboxFilter } from './conversations/ports.js';
export { InboxQueries, ManageConversation, windowView, type WindowView, type ReplyPolicy, type InboxItem, type ConversationView, type ConversationAction } from './conversations/inbox.js';
export type { AssistantContext } from './assistant/ports.js';
export { ReceiveInboundMessage, type InboundMessageCommand, type ReceiveInboundError, type ReceiveInboundOutcome } from './conversations/receive-inbound-message.js';
export { QueueOutboundMessage, type QueueOutboundError } from './conversations/queue-outbound-message.js';
export { outboundSendJob, type QueuedOutbound } from './conversations/queue-outbound-message.js';
export { SendOutboundMessage, TOKEN_EXPIRED_REASON, type SendOutcome, type SendOutboundOptions } from './conversations/send-message.js';
export { splitIntoParts, utf8Bytes, MAX_PART_BYTES } from './conversations/text-parts.js';
export type { ContactDeliveryFlags, OutboundMessageQueries } from './conversations/outbound-ports.js';
export { ProcessInstagramEvent, ASSISTANT_REPLY_JOB, type AssistantReplyJobData, type InstagramInboundEvent, type ProcessInstagramEventCommand, type ProcessInstagramEventDeps, type ProcessInstagramEventError, type ProcessInstagramEventOutcome } from './conversations/process-instagram-event.js';
export type { WebhookInbox, WebhookDelivery, WebhookDeliveryState, InstagramEventLog, InstagramEventRecord, InstagramAccountAliases, InstagramDeletionRequest, InstagramDeletionRequests, DeletionRequestStatus } from './instagram/webhook-inbox.js';

// catalog and inventory
export { Product, Variant, validateSku, type CatalogError, type ProductStatus } from './catalog/product.js';
export { StockLevel, levelFromLedger, type StockMovement, type MovementKind, type StockActor, type StockError } from './catalog/stock.js';
export type { ProductRepository, VariantRepository, StockRepository, ListCursor, ProductListFilter, ProductSearchHit } from './catalog/ports.js';
export { ManageCatalog, CatalogQueries, recordLowStock, type CreateProductCommand, type AddVariantCommand, type UpdateVariantCommand, type VariantSpec, type ManageCatalogError, type ProductWithAvailability, type VariantAvailability } from './catalog/manage-catalog.js';
export { lowStockCrossings, snapshotAvailable, type LowStockEvent } from './catalog/low-stock.js';
export { ImportCatalog, parseCatalogRecord, parseStockRecord, parseMajorUnits, CATALOG_COLUMNS, REQUIRED_CATALOG_COLUMNS, STOCK_COLUMNS, type ImportIssue, type CatalogImportRow, type StockImportRow } from './catalog/import.js';

// orders
export { Order, ORDER_STATUSES, ORDER_TRANSITIONS, TERMINAL_OR_COMPLETED, holdsReservation, computeTotals, type OrderStatus, type OrderSource, type OrderLine, type NewLine, type StatusChange, type ShippingAddress, type OrderActor, type OrderError } from './orders/order.js';
export { describeNotification, type OrderNotification } from './orders/order.js';
export type { OrderRepository, OrderListFilter } from './orders/ports.js';
export { DraftOrder, DEFAULT_HOLD_MINUTES, MAX_HOLD_MINUTES, type DraftOrderCommand, type DraftOrderError } from './orders/place-order.js';
export { TransitionOrder, stockEffect, type TransitionOrderError } from './orders/transition-order.js';
export { applyStockEffect, stockActorOf, type StockEffect } from './orders/stock-effects.js';
export { OrderQueries, AddOrderNote, ReleaseExpiredHolds, MAX_NOTE_LENGTH, type OrderDetail } from './orders/manage-orders.js';
export { NotifyOrderCustomer, notificationText, type OutboundMessageQueue } from './orders/notify-customer.js';
export { CatalogForAssistant, OrderDeskForAssistant, toProductView, toOrderView } from './orders/assistant-desk.js';

// privacy
export { RETENTION_RULES, DATA_CLASSES, retentionDays, expiresAt, isExpired, retentionCutoff, selectExpired, validateRetentionOverrides, type DataClass, type RetentionRule, type RetentionAction, type RetentionOverrides, type RetentionError } from './privacy/retention-policy.js';
export { DataSubjectRequest, REQUEST_TYPES, type DataSubjectRequestType, type DataSubject, type DataSubjectRequestStatus, type DataSubjectRequestError } from './privacy/data-subject-request.js';
export { SweepAccountRecords } from './privacy/sweep-account-records.js';
export { receiptDigestInput, type PrivacyReceipt, type ReceiptKind } from './privacy/receipt.js';
export type { DataSubjectRequestRepository, ReceiptRepository, Digest } from './privacy/ports.js';
export { RECEIPT_CLASSES, NO_AI_DECISION_RECORDS, EXPORT_TTL_DAYS, type ReceiptClass, type RemovedIds, type WorkspaceRetention, type BatchOutcome, type RetentionStore, type ErasureStore, type AiDecisionRecords, type ExportSubject, type ExportRecord, type ExportStore, type ContactDirectory } from './privacy/privacy-store.js';
export { RunRetentionSweep, RemovalTally, buildReceipt, verifyReceipt, retentionPolicyLabel, type RetentionSweepResult } from './privacy/retention-sweep.js';
export { DeleteWorkspace, EraseContact, EraseUser, RunRevocationDeletion, ERASURE_POLICY, REVOCATION_POLICY, USER_ERASURE_POLICY, WORKSPACE_DELETION_POLICY, type ErasureError } from './privacy/erasure.js';

// audit and reports
export type { AuditEntry, AuditActor } from './audit/audit-entry.js';
export type { AuditLog, AuditFilter, AuditCursor, RequestLog, RequestLogEntry } from './audit/ports.js';
export { localDay, dimension, orderTransitionMetrics, messageMetrics, mergeDeltas, type MetricDelta, type DailyMetric } from './reports/daily-metrics.js';
export type { DailyMetricsRepository } from './reports/ports.js';
export type { ContactFactsRepository, ReportStore, ReportSource, ReportPeriod, ContactPeriodSummary, VariantInfo } from './reports/ports.js';
export {
  conversationStarted, outboundSent, firstResponse, handoff, sendRefused, rateLimitDelay, contactActive, contactPurchased, mergeFacts, responseBucket, responderOf,
  RESPONSE_BUCKETS_SECONDS, WINDOW_REFUSAL_REASONS, DEFLECTION_WINDOW_MS, type ContactDayFact, type Responder,
} from './reports/metric-helpers.js';
export { GRANULARITIES, periodsOf, periodStart, addDays, daysBetween, isLocalDay, instantWindow, type Granularity } from './reports/periods.js';
export { REBUILDABLE_METRICS, SOURCELESS_METRICS, rebuildReportData, type ConversationHistory, type MessageFact } from './reports/rebuild.js';
export {
  ReadReports, buildSalesReport, buildMessagingReport, buildEngagementReport, histogramQuantile, parseDimension, SALES_METRICS, MESSAGING_METRICS, ENGAGEMENT_METRICS, TOTAL_PERIOD_KEY,
  type ReportRequest, type SalesReport, type SalesFigures, type SalesCurrencySeries, type MessagingReport, type MessagingFigures, type ResponseStats, type EngagementReport, type EngagementFigures,
} from './reports/report-queries.js';
export { RepairReports, MAX_REPAIR_DAYS, type RepairReportsError } from './reports/repair-reports.js';

// assistant and automations
export { TOOL_NAMES, LLM_PROVIDERS, type ToolName, type ToolOutcome, type AssistantToolbox, type AssistantTurn, type AssistantEngine, type AssistantEngineResolver, type EngineReply, type AssistantCatalog, type AssistantOrderDesk, type DraftFailure, type ProductView, type VariantView, type OrderView, type LlmProvider, type AssistantSettings, type AssistantSettingsRepository, type AiAuditLog, type AiAuditRecord, type AiCheck, type AiOutcome, type AiToolCallRecord } from './assistant/ports.js';
export { RespondToCustomer, MalformedToolCallError, HOLDING_REPLY, DEFAULT_ASSISTANT_TIMEOUT_MS, type RespondOutcome, type RespondToCustomerDeps, type SkipReason } from './assistant/respond-to-customer.js';
export { ScopedToolbox, TOOL_DESCRIPTIONS, HOLD_MINUTES, validateToolArgs, orderReference } from './assistant/toolbox.js';
export { OfflineAssistant, detectLanguage, parseItems, type Language } from './assistant/offline-assistant.js';
export { checkFigures, extractFigures, collectFacts, readings, type Figure, type FigureCheck } from './assistant/figures.js';
export { minimise, restore, type Minimised } from './assistant/minimise.js';
export { rankProducts, scoreProduct, contentWords, searchTerms } from './assistant/matching.js';
export type { AssistantRecords } from './assistant/ports.js';
export { aiAuditExport, assistantKeyAad, readAssistantApiKey, storeAssistantApiKey } from './assistant/records.js';
export { AUTOMATION_TRIGGERS, MAX_ICE_BREAKERS, AUTOMATED_CHAT_DISCLOSURE, matchesKeywords, normaliseForMatch, validateRule, validateWelcome, decideDmAutomation, decideCommentAutomation, greetingText, type AutomationTrigger, type KeywordMatcher, type AutomationAction, type AutomationRule, type WelcomeSettings, type AutomationError, type DmAutomation } from './automations/rules.js';
export type { AutomationRuleRepository, PrivateReplyLedger } from './automations/ports.js';
export { SendCommentPrivateReply, PRIVATE_REPLY_JOB, type CommentEvent, type CommentToDmOutcome } from './automations/comment-to-dm.js';
export { DeliverCommentPrivateReply, PRIVATE_REPLY_STATES, PRIVATE_REPLY_TOKEN_EXPIRED_REASON, type PrivateReplyState, type PrivateReplyRecord, type PrivateReplyOutbox, type DeliverPrivateReplyCommand, type DeliverPrivateReplyOutcome } from './automations/deliver-private-reply.js';
