import { AsyncLocalStorage } from 'node:async_hooks';
import { Mutex, PGlite } from '@electric-sql/pglite';
import type { ParserOptions, QueryOptions, Results } from '@electric-sql/pglite';
import { AbstractSqlDriver, PostgreSqlPlatform } from '@mikro-orm/postgresql';
import type { Configuration, Knex, Transaction } from '@mikro-orm/postgresql';
import { PGliteConnection } from 'mikro-orm-pglite';
import type { PGliteConnectionConfig } from 'mikro-orm-pglite';
import { nodePgCompatibleParsers } from './pglite-type-parsers.js';

/** `driverOptions.connection` of {@link SafePGliteDriver}. */
export interface SafePGliteConnectionOptions {
  /**
   * Gives the instance the driver borrows: the caller closes it, and other code may use it too.
   * A function, not the instance, because MikroORM deep-copies plain option objects.
   */
  pglite?: () => PGlite | Promise<PGlite>;
  /** Where the driver opens, and on close closes, its own PGlite (`memory://` keeps it in memory). */
  dataDir?: string;
}

type SafePGliteSource = { pglite: PGlite } | { dataDir: string };

/** The MikroORM options that put {@link SafePGliteDriver} on an existing PGlite or a data directory. */
export function safePGliteOptions(source: SafePGliteSource) {
  return {
    driver: SafePGliteDriver,
    // mikro-orm-pglite looks this database up in pg_database; PGlite has only `postgres`.
    dbName: 'postgres',
    driverOptions: {
      connection: ('pglite' in source ? { pglite: () => source.pglite } : { dataDir: source.dataDir }) satisfies SafePGliteConnectionOptions,
    },
  };
}

/**
 * PGlite is one session: a statement sent by other code (pg-boss) while MikroORM has a transaction
 * open would run inside it, be rolled back with it, and its own COMMIT would commit MikroORM's half.
 * So a root ORM transaction holds this per-instance lock from BEGIN to COMMIT/ROLLBACK, and other
 * code goes through {@link runOutsideOrmTransactions}.
 */
const sessionLocks = new WeakMap<PGlite, Mutex>();
function sessionLock(pglite: PGlite): Mutex {
  let lock = sessionLocks.get(pglite);
  if (!lock) {
    lock = new Mutex();
    sessionLocks.set(pglite, lock);
  }
  return lock;
}

interface OrmTransactionScope {
  readonly pglite: PGlite;
  holdsLock: boolean;
}
const ormTransactionScope = new AsyncLocalStorage<OrmTransactionScope>();
const outsideWorkScope = new AsyncLocalStorage<PGlite>();

/**
 * Runs `work` (SQL on `pglite` from outside MikroORM, e.g. pg-boss' `executeSql`) while no MikroORM
 * transaction is open on that instance, and keeps new ones from starting until it settles.
 * `work` must not leave a transaction open between separate calls: use one multi-statement
 * `exec()` or `pglite.transaction()`, which PGlite itself keeps exclusive.
 * Either way round, nesting one in the other on the same instance throws instead of deadlocking.
 */
export async function runOutsideOrmTransactions<T>(pglite: PGlite, work: () => Promise<T>): Promise<T> {
  const scope = ormTransactionScope.getStore();
  if (scope?.pglite === pglite && scope.holdsLock) {
    throw new Error(
      'runOutsideOrmTransactions was called inside a MikroORM transaction on the same PGlite: it would wait for itself. ' +
        'Call it after the transaction commits.',
    );
  }
  return sessionLock(pglite).runExclusive(() => outsideWorkScope.run(pglite, work));
}

/** A view of `pglite` whose query results are parsed like node-pg's under @mikro-orm/postgresql. */
function withParsers(pglite: PGlite, parsers: ParserOptions): PGlite {
  const merge = (options?: QueryOptions): QueryOptions => ({
    ...options,
    parsers: options?.parsers ? { ...parsers, ...options.parsers } : parsers,
  });
  return new Proxy(pglite, {
    get(target, property) {
      if (property === 'query') {
        return (sql: string, params?: unknown[], options?: QueryOptions) => target.query(sql, params, merge(options));
      }
      if (property === 'exec') {
        return (sql: string, options?: QueryOptions) => target.exec(sql, merge(options));
      }
      const value: unknown = Reflect.get(target, property, target);
      // PGlite keeps its state in #private fields, which only the real instance can reach.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

type BeginOptions = NonNullable<Parameters<PGliteConnection['begin']>[0]>;
type TransactionalOptions = NonNullable<Parameters<PGliteConnection['transactional']>[1]>;

export class SafePGliteConnection extends PGliteConnection {
  #pglite: Promise<PGlite> | undefined;
  #view: Promise<PGlite> | undefined;
  #owned: PGlite | undefined;

  /** The PGlite this connection runs on (opened from `dataDir` on first use if none was given). */
  getPGlite(): Promise<PGlite> {
    this.#pglite ??= this.#resolvePGlite();
    return this.#pglite;
  }

  async #resolvePGlite(): Promise<PGlite> {
    const { pglite, dataDir } = this.#settings();
    if (pglite) {
      const instance = await pglite();
      await instance.waitReady;
      return instance;
    }
    const owned = new PGlite(dataDir ?? 'memory://');
    this.#owned = owned;
    await owned.waitReady;
    return owned;
  }

  #settings(): SafePGliteConnectionOptions {
    const driverOptions = this.config.get('driverOptions') as { connection?: SafePGliteConnectionOptions } | undefined;
    return driverOptions?.connection ?? {};
  }

  async #resolveView(): Promise<PGlite> {
    const pglite = await this.getPGlite();
    return withParsers(pglite, await nodePgCompatibleParsers(pglite));
  }

  protected override getKnexOptions(type: string): Knex.Config {
    const options = super.getKnexOptions(type);
    // Always hand knex-pglite a provider, so it treats the instance as borrowed and this class
    // decides when an owned one closes.
    const connection: PGliteConnectionConfig = { pglite: () => (this.#view ??= this.#resolveView()) };
    return { ...options, connection: connection as Knex.StaticConnectionConfig };
  }

  /**
   * knex-pglite sends raw SQL down PGlite's multi-statement `exec()` whenever its text splits into
   * two non-empty pieces on `;`, and MikroORM inlines parameter values into that text: a value like
   * 'ok; thanks' turns a single statement's result into a one-element array of results, which the
   * upstream transformation maps element-wise, losing returned ids and rows. Unwrap it here.
   */
  protected override transformRawResult<T>(response: Results | Results[], method: 'all' | 'get' | 'run'): T {
    if (Array.isArray(response) && response.length === 1) {
      return super.transformRawResult<T>(response[0]!, method);
    }
    return super.transformRawResult<T>(response, method);
  }

  override async transactional<T>(
    cb: (trx: Transaction<Knex.Transaction>) => Promise<T>,
    options: TransactionalOptions = {},
  ): Promise<T> {
    if (options.ctx) return super.transactional(cb, options);
    const scope: OrmTransactionScope = { pglite: await this.getPGlite(), holdsLock: false };
    return ormTransactionScope.run(scope, () => super.transactional(cb, options));
  }

  override async begin(options: BeginOptions = {}): Promise<Knex.Transaction> {
    // Nested transactions are savepoints inside a root that already holds the lock.
    if (options.ctx) return super.begin(options);
    const pglite = await this.getPGlite();
    if (outsideWorkScope.getStore() === pglite) {
      throw new Error(
        'A MikroORM transaction was started inside runOutsideOrmTransactions on the same PGlite: it would wait for itself. ' +
          'Keep that work to SQL on the PGlite instance.',
      );
    }
    const release = await sessionLock(pglite).acquire();
    const scope = ormTransactionScope.getStore();
    const held = scope?.pglite === pglite ? scope : undefined;
    if (held) held.holdsLock = true;
    let released = false;
    const releaseOnce = (): void => {
      if (released) return;
      released = true;
      if (held) held.holdsLock = false;
      release();
    };
    try {
      const trx = await super.begin(options);
      // Settles right after COMMIT/ROLLBACK, before MikroORM's after-commit events run.
      trx.executionPromise.then(releaseOnce, releaseOnce);
      return trx;
    } catch (error) {
      releaseOnce();
      throw error;
    }
  }

  override async close(force?: boolean): Promise<void> {
    try {
      await super.close(force);
    } finally {
      const owned = this.#owned;
      this.#owned = undefined;
      this.#pglite = undefined;
      this.#view = undefined;
      if (owned && !owned.closed) await owned.close();
    }
  }
}

/**
 * mikro-orm-pglite's driver on {@link SafePGliteConnection}: same platform and dialect, plus the
 * `;` fix, node-pg-compatible result parsing, and safe sharing of the PGlite instance.
 */
export class SafePGliteDriver extends AbstractSqlDriver<SafePGliteConnection, PostgreSqlPlatform> {
  constructor(config: Configuration) {
    super(config, new PostgreSqlPlatform(), SafePGliteConnection, ['knex', '@electric-sql/pglite', '@harryplusplus/knex-pglite']);
  }
}
