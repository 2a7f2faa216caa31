/** SQLSTATEs that mean "the database is not there right now", not "this query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set([
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
  '57P01', '57P02', '57P03', // admin shutdown, crash shutdown, cannot connect now
  '55000', // "database is not currently accepting connections"
  '53300', // too many connections
]);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);
const UNAVAILABLE_MESSAGES = /Connection terminated|Connection ended unexpectedly|not currently accepting connections|Knex: Timeout acquiring a connection|terminating connection due to administrator command/i;

/**
 * True when an error means the database is unreachable (restart, failover, network), so callers
 * answer 503 and let the client retry instead of reporting a bug. Looks through MikroORM's and
 * knex's wrappers (`cause`, `previous`) to the driver error.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; errno?: unknown; message?: unknown; cause?: unknown; previous?: unknown };
  if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATES.has(e.code) || UNAVAILABLE_ERRNOS.has(e.code))) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  return isDatabaseUnavailable(e.cause, depth + 1) || isDatabaseUnavailable(e.previous, depth + 1);
}
