import { randomBytes } from 'node:crypto';
import type { ContractHarness } from '@palette/domain/testing';
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
export async function postgresHarness(baseUrl: string): Promise<ContractHarness> {
  const name = `palette_test_${randomBytes(6).toString('hex')}`;
  const admin = await openDatabase({ databaseUrl: baseUrl, dataDir: '', entities: persistenceModule().entities, migrations: [] });
  const conn = admin.orm.em.fork().getConnection();
  await conn.execute(`create database ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), dataDir: '', ...persistenceModule() });
  return harnessFor(db, async () => {
    await conn.execute(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`);
    await conn.execute(`drop database if exists ${name}`);
    await admin.close();
  });
}
