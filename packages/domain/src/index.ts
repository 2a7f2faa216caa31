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

// contacts
export { Contact, CONSENT_PURPOSES, type ConsentEntry, type ConsentPurpose, type ConsentSource, type ContactRestrictions } from './contacts/contact.js';
export type { ContactRepository } from './contacts/ports.js';

// conversations
export { Conversation, type ConversationOwner, type EntryPoint } from './conversations/conversation.js';
export { Message, type Direction, type AuthorKind, type DeliveryState, type AttachmentMeta, type Reaction, type HoldReason } from './conversations/message.js';
export { decideDirectMessage, decidePrivateReply, describeWindow, isHumanAuthor, STANDARD_WINDOW_MS, HUMAN_AGENT_WINDOW_MS, PRIVATE_REPLY_WINDOW_MS, type OutboundAuthor, type SendDecision, type SendRefusalReason } from './conversations/messaging-policy.js';
export { gateOutbound, shouldAskAssistant, type GateDecision } from './conversations/send-gate.js';
export type { ConversationRepository, MessageRepository } from './conversations/ports.js';
export type { Assistant, AssistantContext, AssistantReply, AssistantAction } from './conversations/assistant.js';
export { ReceiveInboundMessage, type InboundMessageCommand, type ReceiveInboundError, type ReceiveInboundOutcome } from './conversations/receive-inbound-message.js';
export { QueueOutboundMessage, type QueueOutboundError } from './conversations/queue-outbound-message.js';

// catalog and inventory
export { Product, Variant, validateSku, type CatalogError, type ProductStatus } from './catalog/product.js';
export { StockLevel, levelFromLedger, type StockMovement, type MovementKind, type StockActor, type StockError } from './catalog/stock.js';
export type { ProductRepository, VariantRepository, StockRepository } from './catalog/ports.js';
export { ManageCatalog, type CreateProductCommand, type ManageCatalogError } from './catalog/manage-catalog.js';

// orders
export { Order, ORDER_STATUSES, ORDER_TRANSITIONS, TERMINAL_OR_COMPLETED, holdsReservation, computeTotals, type OrderStatus, type OrderSource, type OrderLine, type NewLine, type StatusChange, type ShippingAddress, type OrderActor, type OrderError } from './orders/order.js';
export type { OrderRepository } from './orders/ports.js';
export { DraftOrder, type DraftOrderCommand, type DraftOrderError } from './orders/place-order.js';
export { TransitionOrder, stockEffect, type TransitionOrderError } from './orders/transition-order.js';

// privacy
export { RETENTION_RULES, DATA_CLASSES, retentionDays, expiresAt, isExpired, retentionCutoff, selectExpired, validateRetentionOverrides, type DataClass, type RetentionRule, type RetentionAction, type RetentionOverrides, type RetentionError } from './privacy/retention-policy.js';
export { DataSubjectRequest, REQUEST_TYPES, type DataSubjectRequestType, type DataSubject, type DataSubjectRequestStatus, type DataSubjectRequestError } from './privacy/data-subject-request.js';
export { SweepAccountRecords } from './privacy/sweep-account-records.js';
export { receiptDigestInput, type PrivacyReceipt, type ReceiptKind } from './privacy/receipt.js';
export type { DataSubjectRequestRepository, ReceiptRepository, Digest } from './privacy/ports.js';

// audit and reports
export type { AuditEntry, AuditActor } from './audit/audit-entry.js';
export type { AuditLog, AuditFilter, AuditCursor } from './audit/ports.js';
export { localDay, dimension, orderTransitionMetrics, messageMetrics, mergeDeltas, type MetricDelta, type DailyMetric } from './reports/daily-metrics.js';
export type { DailyMetricsRepository } from './reports/ports.js';
