import { ConcurrencyConflictError } from '../src/shared/errors.js';
import type { UnitOfWork } from '../src/shared/ports.js';

const DELETED = Symbol('deleted');

/**
 * Copies an aggregate with its prototype, so what a repository hands out is never the stored
 * object: a change is invisible to others until it is saved and committed, as with a real database.
 */
export function cloneEntity<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  // Bytes (an export's zip) stay bytes: copied key by key they would become a plain object.
  if (ArrayBuffer.isView(value)) return (value as unknown as Uint8Array).slice() as T;
  if (Array.isArray(value)) return value.map((v) => cloneEntity(v)) as T;
  const out = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
  for (const key of Object.keys(value)) out[key] = cloneEntity((value as Record<string, unknown>)[key]);
  return out as T;
}

type Row = Record<string, unknown> & { version?: number };

/**
 * Tables of cloned aggregates with serialised transactions: one writer at a time, staged writes,
 * read-your-writes inside a transaction, rollback on throw or error Result, optimistic versions.
 */
export class InMemoryDatabase implements UnitOfWork {
  private readonly tables = new Map<string, Map<string, Row>>();
  private pending: Map<string, Map<string, Row | typeof DELETED>> | null = null;
  private tail: Promise<void> = Promise.resolve();
  private savedObjects = new Map<object, Row>();

  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await previous;
    this.pending = new Map();
    this.savedObjects = new Map();
    try {
      const result = await work();
      const failed = typeof result === 'object' && result !== null && 'ok' in result && (result as { ok: unknown }).ok === false;
      if (!failed) this.commit();
      return result;
    } finally {
      this.pending = null;
      release();
    }
  }

  private commit(): void {
    const staged = this.pending;
    if (!staged) return;
    // Check every version before writing anything, so a conflict leaves no partial commit.
    for (const [table, rows] of staged) {
      for (const [key, row] of rows) {
        if (row === DELETED) continue;
        const stored = this.tables.get(table)?.get(key);
        if (stored && row.version !== undefined && stored.version !== row.version) throw new ConcurrencyConflictError(table, key);
      }
    }
    for (const [table, rows] of staged) {
      const t = this.table(table);
      for (const [key, row] of rows) {
        if (row === DELETED) t.delete(key);
        else t.set(key, this.stamp(t.has(key), row));
      }
    }
    for (const [entity, row] of this.savedObjects) syncVersion(entity, row);
  }

  /** Inserts keep their version (1); each update increments it, as MikroORM's `version` does. */
  private stamp(exists: boolean, row: Row): Row {
    if (exists && row.version !== undefined) row.version += 1;
    return row;
  }

  private table(name: string): Map<string, Row> {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = new Map()));
    return t;
  }

  read<T>(table: string, key: string): T | null {
    const staged = this.pending?.get(table)?.get(key);
    if (staged === DELETED) return null;
    const row = staged ?? this.tables.get(table)?.get(key);
    return row ? cloneEntity(row as T) : null;
  }

  scan<T>(table: string, predicate: (row: T) => boolean = () => true): T[] {
    const merged = new Map<string, Row | typeof DELETED>(this.tables.get(table) ?? []);
    for (const [k, v] of this.pending?.get(table) ?? []) merged.set(k, v);
    const out: T[] = [];
    for (const row of merged.values()) {
      if (row !== DELETED && predicate(row as T)) out.push(cloneEntity(row as T));
    }
    return out;
  }

  write<T extends object>(table: string, key: string, entity: T): void {
    const copy = cloneEntity(entity) as unknown as Row;
    if (this.pending) {
      let t = this.pending.get(table);
      if (!t) this.pending.set(table, (t = new Map()));
      t.set(key, copy);
      this.savedObjects.set(entity, copy);
    } else {
      const t = this.table(table);
      const stored = t.get(key);
      if (stored && copy.version !== undefined && stored.version !== copy.version) throw new ConcurrencyConflictError(table, key);
      t.set(key, this.stamp(Boolean(stored), copy));
      syncVersion(entity, copy);
    }
  }

  remove(table: string, key: string): void {
    if (this.pending) {
      let t = this.pending.get(table);
      if (!t) this.pending.set(table, (t = new Map()));
      t.set(key, DELETED);
    } else {
      this.tables.get(table)?.delete(key);
    }
  }

  /** Number of committed rows; for tests that check what is really stored. */
  count(table: string): number {
    return this.tables.get(table)?.size ?? 0;
  }
}

/** The caller's object moves to the stored version, as an ORM flush updates a managed entity. */
function syncVersion(entity: object, stored: Row): void {
  if (stored.version !== undefined) (entity as { version: number }).version = stored.version;
}
