// Type-only re-exports so the in-memory adapters read like the ports they implement.
export type * from '../src/index.js';
