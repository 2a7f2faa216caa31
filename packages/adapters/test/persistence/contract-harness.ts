import type { ContractHarness } from '@palette/domain/testing';
import { createScratchPostgresDatabase } from '../support/databases.js';
import { createMikroOrmRepositories, IN_MEMORY_DATA_DIR, openDatabase, persistenceModule, type Database } from '../../src/persistence/index.js';

const TABLES = ['invitations', 'sessions', 'daily_metrics', 'audit_entries', 'privacy_receipts', 'data_subject_requests', 'orders', 'stock_movements', 'stock_levels', 'variants', 'products',
  'messages', 'conversations', 'contacts', 'instagram_accounts', 'secrets', 'memberships', 'users', 'workspaces'];

async function harnessFor(db: Database, cleanup: () => Promise<void>): Promise<ContractHarness> {
  await db.migrate();
  return {
    session: () => createMikroOrmRepositories(db.orm),
    reset: async () => { await db.orm.em.fork().getConnection().execute(`truncate ${TABLES.join(', ')} cascade`); },
    teardown: async () => { await db.close(); await cleanup(); },
  };
}

export async function pgliteHarness(): Promise<ContractHarness> {
  const db = await openDatabase({ dataDir: IN_MEMORY_DATA_DIR, ...persistenceModule() });
  return harnessFor(db, async () => {});
}

/** A fresh database on the server in TEST_DATABASE_URL, dropped afterwards. */
export async function postgresHarness(adminUrl: string): Promise<ContractHarness> {
  const scratch = await createScratchPostgresDatabase(adminUrl);
  const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '', ...persistenceModule() });
  return harnessFor(db, () => scratch.drop());
}
