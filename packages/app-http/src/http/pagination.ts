import { z } from 'zod';
import { HttpProblem } from './problem.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/** Spread into a list route's query schema: `query: z.object({ ...pageQuery, status: … })`. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE).describe(`Page size, 1 to ${MAX_PAGE_SIZE}.`),
  cursor: z.string().min(1).max(512).regex(/^[A-Za-z0-9_-]+$/, 'must be a nextCursor value').optional().describe('The `nextCursor` of the previous page; absent for the first page.'),
};

/** The envelope of every list: `nextCursor` is null on the last page. */
export const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` to get the next page; null when there is none.'),
  }).meta({ id });

export type SortKey = string | number;

/** Where a page ends: the sort key and id of its last item (the id breaks ties, so no row is skipped or repeated). */
export interface Cursor {
  readonly sortKey: SortKey;
  readonly id: string;
}

/** Opaque to clients: base64url JSON, so its shape can change without a new API version. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sortKey, cursor.id]), 'utf8').toString('base64url');
}

/** A cursor we did not issue is a 400 on `query.cursor`, never a 500 or an empty page. */
export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && (typeof value[0] === 'string' || Number.isFinite(value[0])) && typeof value[1] === 'string') {
      return { sortKey: value[0] as SortKey, id: value[1] };
    }
  } catch {
    // fall through to the 400
  }
  throw HttpProblem.validation([{ path: 'query.cursor', message: 'is not a cursor this API issued', code: 'invalid_cursor' }]);
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/**
 * Builds a page from rows fetched with `limit + 1` (the extra row only says whether there is more).
 * Use it after a keyset query, or with `pageInMemory` for small, bounded lists.
 */
export function pageFrom<T>(rows: readonly T[], limit: number, keyOf: (row: T) => Cursor): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

const compare = (a: Cursor, b: Cursor): number =>
  a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * Pages a list already loaded whole and sorted ascending by `keyOf` (a workspace's team and its
 * pending invitations are bounded by what a shop can have); same cursors as a keyset query.
 */
export function pageInMemory<T>(sorted: readonly T[], query: { limit: number; cursor?: string | undefined }, keyOf: (row: T) => Cursor): Page<T> {
  const after = decodeCursor(query.cursor);
  const rest = after === undefined ? sorted : sorted.filter((row) => compare(keyOf(row), after) > 0);
  return pageFrom(rest.slice(0, query.limit + 1), query.limit, keyOf);
}
