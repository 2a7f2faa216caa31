import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntitySchema, MigrationObject } from '@mikro-orm/core';
import { knex } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe } from 'vitest';
import { IN_MEMORY_DATA_DIR, openDatabase } from '@palette/adapters/persistence';
import type { Database } from '@palette/adapters/persistence';

/** An admin URL on a PostgreSQL server where tests may create and drop databases. */
export const testDatabaseUrl: string | undefined = process.env.TEST_DATABASE_URL || undefined;

/**
 * `describe` that runs on PostgreSQL only when TEST_DATABASE_URL is set. Otherwise the suite is
 * still registered, as skipped, so the run reports it by name instead of passing without it.
 */
export function describeOnPostgres(name: string, fn: () => void): void {
  describe.skipIf(testDatabaseUrl === undefined)(`${name} [PostgreSQL]`, fn);
}

export interface ScratchPostgresDatabase {
  readonly name: string;
  readonly url: string;
  /** Terminates the database's sessions, then drops it. */
  drop(): Promise<void>;
}

/** Creates a fresh, uniquely named database on the TEST_DATABASE_URL server. */
export async function createScratchPostgresDatabase(adminUrl = requireTestDatabaseUrl()): Promise<ScratchPostgresDatabase> {
  const name = `palette_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await withAdmin(adminUrl, (admin) => admin.raw('create database ??', [name]));
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: url.toString(),
    drop: () =>
      (dropped ??= withAdmin(adminUrl, async (admin) => {
        await admin.raw('select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()', [name]);
        await admin.raw('drop database if exists ??', [name]);
      })),
  };
}

function requireTestDatabaseUrl(): string {
  if (!testDatabaseUrl) throw new Error('TEST_DATABASE_URL is not set: wrap PostgreSQL suites in describeOnPostgres');
  return testDatabaseUrl;
}

async function withAdmin(adminUrl: string, work: (admin: ReturnType<typeof knex>) => Promise<unknown>): Promise<void> {
  const admin = knex({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
  try {
    await work(admin);
  } finally {
    await admin.destroy();
  }
}

export type TestDatabaseKind = Database['kind'];

export interface TestDatabaseOptions {
  entities: readonly EntitySchema[];
  migrations: readonly MigrationObject[];
  /** Applies the migrations once opened (default true). */
  migrate?: boolean;
  /**
   * PGlite only: a temporary data directory on disk instead of `memory://`, to exercise the
   * production path (files under `<dataDir>/pgdata`).
   */
  onDisk?: boolean;
}

export interface TestDatabase {
  readonly database: Database;
  /** Names the migrations applied while opening ([] when `migrate: false`). */
  readonly migrated: readonly string[];
  /** Empties every entity table: cheaper than a new database between tests. */
  reset(): Promise<void>;
  /** Closes the database and removes what it created (PostgreSQL database, temporary directory). */
  teardown(): Promise<void>;
}

/** Opens a `Database` of that kind on fresh storage; PostgreSQL needs TEST_DATABASE_URL. */
export async function openTestDatabase(kind: TestDatabaseKind, options: TestDatabaseOptions): Promise<TestDatabase> {
  const cleanups: Array<() => Promise<void>> = [];
  const teardown = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    let databaseUrl: string | undefined;
    let dataDir = IN_MEMORY_DATA_DIR;
    if (kind === 'postgresql') {
      const scratch = await createScratchPostgresDatabase();
      cleanups.push(() => scratch.drop());
      databaseUrl = scratch.url;
    } else if (options.onDisk) {
      const dir = await mkdtemp(join(tmpdir(), 'palette-pglite-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      dataDir = dir;
    }
    const database = await openDatabase({ databaseUrl, dataDir, entities: options.entities, migrations: options.migrations });
    cleanups.push(() => database.close());
    const migrated = options.migrate === false ? [] : await database.migrate();
    return {
      database,
      migrated,
      reset: () => database.orm.schema.clearDatabase(),
      teardown,
    };
  } catch (error) {
    await teardown();
    throw error;
  }
}

/**
 * Opens one test database for the enclosing `describe` (beforeAll/afterAll) and returns a getter:
 * one PGlite per file keeps the 1–3 s start-up from being paid per test.
 */
export function useTestDatabase(kind: TestDatabaseKind, options: TestDatabaseOptions): () => TestDatabase {
  let opened: TestDatabase | undefined;
  beforeAll(async () => {
    opened = await openTestDatabase(kind, options);
  });
  afterAll(async () => {
    await opened?.teardown();
  });
  return () => {
    if (!opened) throw new Error('The test database is opened in beforeAll: use it inside a test or hook');
    return opened;
  };
}
