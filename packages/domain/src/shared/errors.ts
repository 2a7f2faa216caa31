/**
 * Thrown (not returned) when a save lost an optimistic-locking race: the caller retries the whole
 * use case with fresh state, which the domain cannot do by itself.
 */
export class ConcurrencyConflictError extends Error {
  constructor(readonly entity: string, readonly id: string) {
    super(`${entity} ${id} was changed by someone else`);
    this.name = 'ConcurrencyConflictError';
  }
}

/** Generic not-found outcome shared by use cases (tenant-scoped: a foreign id is simply not found). */
export type NotFound = { readonly kind: 'NotFound'; readonly entity: string; readonly id: string };
export const notFound = (entity: string, id: string): NotFound => ({ kind: 'NotFound', entity, id });
