import type { PGlite } from '@electric-sql/pglite';
import { runOutsideOrmTransactions } from '../persistence/pglite-driver.js';

/** The one thing pg-boss needs from a database when it is not given a connection string. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * pg-boss on the PGlite instance MikroORM already uses. Every statement waits until no ORM
 * transaction is open, or it would run inside one (PGlite is a single session; see
 * pglite-driver.ts). pg-boss sends its transactional work (schema install, expiry, archive) as one
 * value-less multi-statement text, which only `exec` accepts and which PGlite runs exclusively.
 */
export function pgliteExecutor(pglite: PGlite): SqlExecutor {
  return {
    executeSql: (text, values) =>
      runOutsideOrmTransactions(pglite, async () => {
        if (!values || values.length === 0) {
          const results = await pglite.exec(text);
          return { rows: results.at(-1)?.rows ?? [] };
        }
        const result = await pglite.query(text, values);
        return { rows: result.rows };
      }),
  };
}
