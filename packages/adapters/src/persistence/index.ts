export { IN_MEMORY_DATA_DIR, openDatabase } from './database.js';
export type { Database, DatabaseConfig, DatabaseOrm } from './database.js';
export {
  SafePGliteConnection,
  SafePGliteDriver,
  runOutsideOrmTransactions,
  safePGliteOptions,
} from './pglite-driver.js';
export type { SafePGliteConnectionOptions } from './pglite-driver.js';
export { persistenceModule } from './registry.js';
export { createMikroOrmRepositories, MikroOrmSession } from './mikro-orm-repositories.js';
export { createMikroOrmAuthRecords, SqlLoginThrottleStore, SqlMailOutbox, SqlPasswordResetTokenRepository } from './auth-records.js';
export { createSqlIdempotencyStore, SqlIdempotencyStore } from './idempotency.js';
export { SqlRequestLog } from './sql-request-log.js';
export { createSqlReportStore, SqlReportStore } from '../reports/sql-report-store.js';
export { createSqlAssistantRecords, SqlAssistantRecords } from '../assistant/index.js';
export { createSqlPrivateReplyOutbox, SqlPrivateReplyOutbox } from '../automations/sql-private-reply-outbox.js';
export { createWebhookInboxStore, type WebhookInboxStore } from './webhook-inbox.js';
export { createSqlInstagramWebhookStores, webhookOrderingKey, SqlWebhookInbox, SqlInstagramEventLog, SqlInstagramAccountAliases, SqlInstagramDeletionRequests, type InstagramWebhookStores } from './webhook-inbox.js';
export { entities } from './schemas/entities.js';
export { migrations } from './migrations/index.js';
export * from '../privacy/index.js';
