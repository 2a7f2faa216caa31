import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { MikroORM } from '@mikro-orm/core';
import type { EntitySchema, MigrationObject, Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { AbstractSqlDriver } from '@mikro-orm/postgresql';
import { safePGliteOptions } from './pglite-driver.js';

export interface DatabaseConfig {
  /** PostgreSQL when set; otherwise the embedded PGlite under `dataDir`. */
  databaseUrl?: string | undefined;
  /** PGlite keeps its files in `<dataDir>/pgdata`; `memory://` keeps them in memory (tests). */
  dataDir: string;
  entities: readonly EntitySchema[];
  /** Committed migration classes, in order: no filesystem glob, so it runs from source under tsx and vitest. */
  migrations: readonly MigrationObject[];
  debug?: boolean;
}

/** Both drivers are MikroORM's SQL driver on the PostgreSQL platform, so `orm.em` is a SqlEntityManager. */
export type DatabaseOrm = MikroORM<AbstractSqlDriver>;

export interface Database {
  readonly kind: 'postgresql' | 'pglite';
  /** `allowGlobalContext: false`: work in `orm.em.fork()`, one fork per use case. */
  readonly orm: DatabaseOrm;
  /** The embedded instance, for other code that shares it (see `runOutsideOrmTransactions`). */
  readonly pglite?: PGlite;
  /**
   * Applies the pending committed migrations in one transaction; returns the names applied.
   * On PostgreSQL, MikroORM's migrator first creates the database if it is missing and the role may.
   */
  migrate(): Promise<string[]>;
  /** `select 1` within `timeoutMs`; false, never a rejection, when the database is down or closed. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export const IN_MEMORY_DATA_DIR = 'memory://';
const DEFAULT_PING_TIMEOUT_MS = 2_000;

/**
 * Opens the ORM on PostgreSQL when `databaseUrl` is set, else on PGlite. On PostgreSQL nothing
 * touches the network until the first query, so a process can start while the database is down
 * and report it through `ping()`.
 */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  const common = {
    entities: [...config.entities],
    extensions: [Migrator],
    migrations: {
      migrationsList: [...config.migrations],
      transactional: true,
      allOrNothing: true,
      // A snapshot is a file written next to the migrations after each run: nothing reads it here.
      snapshot: false,
      // migrate() returns the names applied; the caller decides whether to log them.
      silent: true,
      // `session_replication_role` needs a superuser, which a production role is not.
      disableForeignKeys: false,
    },
    allowGlobalContext: false,
    // Entities are given as a list; no folder scanning, reflection or metadata cache files.
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    // The schema comes from migrations only: never create or update it while connecting.
    ensureDatabase: false,
    connect: false,
    debug: config.debug ?? false,
  } satisfies Options;

  if (config.databaseUrl) {
    const orm = await MikroORM.init<PostgreSqlDriver>({ ...common, driver: PostgreSqlDriver, clientUrl: config.databaseUrl });
    return new OrmDatabase('postgresql', orm);
  }

  const pglite = await openPGlite(config.dataDir);
  try {
    const orm = await MikroORM.init({ ...common, ...safePGliteOptions({ pglite }) });
    return new OrmDatabase('pglite', orm, pglite);
  } catch (error) {
    await pglite.close();
    throw error;
  }
}

async function openPGlite(dataDir: string): Promise<PGlite> {
  if (dataDir === IN_MEMORY_DATA_DIR) return PGlite.create(IN_MEMORY_DATA_DIR);
  const pgdata = join(dataDir, 'pgdata');
  await mkdir(pgdata, { recursive: true });
  return PGlite.create(pgdata);
}

const names = (migrations: ReadonlyArray<{ name: string }>): string[] => migrations.map((migration) => migration.name);

class OrmDatabase implements Database {
  #closing: Promise<void> | undefined;

  constructor(
    readonly kind: Database['kind'],
    readonly orm: DatabaseOrm,
    readonly pglite?: PGlite,
  ) {}

  async migrate(): Promise<string[]> {
    const migrator = this.orm.getMigrator();
    // PGlite belongs to one process; its single pooled connection would also deadlock on the
    // migrator's queries outside the locking transaction.
    if (this.kind === 'pglite') return names(await migrator.up());
    // The HTTP app and the worker both migrate on start: the second waits here, then finds
    // nothing pending instead of failing on tables the first one just created.
    const connection = this.orm.em.getConnection();
    const applied = await connection.transactional(async (trx) => {
      await connection.execute(`select pg_advisory_xact_lock(hashtext('palette.migrations'))`, [], 'all', trx);
      return migrator.up({ transaction: trx });
    });
    return names(applied);
  }

  async ping(timeoutMs = DEFAULT_PING_TIMEOUT_MS): Promise<boolean> {
    if (this.#closing) return false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    // checkConnection resolves { ok: false } on errors; the catch covers anything thrown before it.
    const answered = this.orm.checkConnection().then(
      (check) => check.ok,
      () => false,
    );
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      await this.orm.close(true);
    } finally {
      if (this.pglite && !this.pglite.closed) await this.pglite.close();
    }
  }
}
