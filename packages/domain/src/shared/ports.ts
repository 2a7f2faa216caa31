import type { Result } from './result.js';

/** Time is a dependency: tests advance a fake clock instead of sleeping. */
export interface Clock {
  now(): Date;
}

/** Randomness is a dependency too; adapters return UUIDv7 (time-ordered, index-friendly). */
export interface IdGenerator {
  next(): string;
}

/**
 * The transaction boundary of a use case. Changes saved through repositories inside `run` are
 * written atomically when `work` returns a non-error value; nothing is written when it throws or
 * returns an error Result, so a use case may mutate loaded aggregates before it knows it will fail.
 * Implementations serialise conflicting writers (row locks, optimistic versions) and throw
 * ConcurrencyConflictError when a write lost a race.
 */
export interface UnitOfWork {
  run<T>(work: () => Promise<T>): Promise<T>;
}

export type { Result };
