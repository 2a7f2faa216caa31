// @palette/domain/in-memory: adapters for every repository port plus clock, ids and queue fakes.
// They let another app embed the core without a database, and the contract suites hold them to
// the same behaviour as the PostgreSQL adapters.
import { InMemoryDatabase } from './database.js';
import { InMemoryReportStore } from './reports.js';
import {
  InMemoryAuditLog, InMemoryContactRepository, InMemoryConversationRepository, InMemoryDailyMetricsRepository, InMemoryDataSubjectRequestRepository,
  InMemoryInstagramAccountRepository, InMemoryMembershipRepository, InMemoryMessageRepository, InMemoryOrderRepository, InMemoryProductRepository,
  InMemoryReceiptRepository, InMemorySecretRepository, InMemorySessionRepository, InMemoryInvitationRepository, InMemoryStockRepository, InMemoryUserRepository, InMemoryVariantRepository, InMemoryWorkspaceRepository,
} from './repositories.js';

export { InMemoryDatabase, cloneEntity } from './database.js';
export * from './repositories.js';
export { FakeClock, SequentialIds, RecordingJobQueue, InsecureTestPasswordHasher } from './system.js';
export { InMemoryIdempotencyStore } from './idempotency.js';
export { InMemoryRequestLog } from './request-log.js';
export { InMemoryReportStore, inMemoryContactKey } from './reports.js';
export { InMemoryWebhookInbox, InMemoryInstagramEventLog, InMemoryInstagramAccountAliases, InMemoryInstagramDeletionRequests } from './instagram-webhooks.js';
export { createInMemoryAuthRecords, InMemoryPasswordResetTokenRepository, InMemoryMailOutbox, InMemoryLoginThrottleStore } from './auth-records.js';

/** Every repository over one in-memory database, which is also the unit of work. */
export function createInMemoryRepositories(db = new InMemoryDatabase()) {
  return {
    db,
    uow: db,
    workspaces: new InMemoryWorkspaceRepository(db),
    users: new InMemoryUserRepository(db),
    memberships: new InMemoryMembershipRepository(db),
    accounts: new InMemoryInstagramAccountRepository(db),
    secrets: new InMemorySecretRepository(db),
    contacts: new InMemoryContactRepository(db),
    conversations: new InMemoryConversationRepository(db),
    messages: new InMemoryMessageRepository(db),
    products: new InMemoryProductRepository(db),
    variants: new InMemoryVariantRepository(db),
    stock: new InMemoryStockRepository(db),
    orders: new InMemoryOrderRepository(db),
    requests: new InMemoryDataSubjectRequestRepository(db),
    receipts: new InMemoryReceiptRepository(db),
    audit: new InMemoryAuditLog(db),
    metrics: new InMemoryDailyMetricsRepository(db),
    contactFacts: new InMemoryReportStore(db),
    sessions: new InMemorySessionRepository(db),
    invitations: new InMemoryInvitationRepository(db),
  };
}
export type InMemoryRepositories = ReturnType<typeof createInMemoryRepositories>;
export { InMemoryAssistantRecords } from './assistant-records.js';
export { InMemoryPrivacyStores } from './privacy.js';
