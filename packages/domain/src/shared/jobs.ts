/** Background work requested by a use case; the worker's queue adapter runs it at least once. */
export interface JobRequest {
  readonly name: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** Jobs sharing a key never run concurrently (per-conversation ordering). */
  readonly orderingKey?: string;
  readonly startAfter?: Date;
  /** A second request with the same key while the first is queued is dropped. */
  readonly dedupeKey?: string;
}

export interface JobQueue {
  enqueue(job: JobRequest): Promise<void>;
}
