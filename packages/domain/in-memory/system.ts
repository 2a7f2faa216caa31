import type { Clock, IdGenerator } from '../src/shared/ports.js';
import type { JobQueue, JobRequest } from '../src/shared/jobs.js';
import type { PasswordHasher } from '../src/accounts/ports.js';

/** A clock tests move by hand: retention, windows and expiries without sleeping. */
export class FakeClock implements Clock {
  private current: number;
  constructor(start: Date | string = '2026-01-15T10:00:00.000Z') {
    this.current = new Date(start).getTime();
  }
  now(): Date { return new Date(this.current); }
  set(at: Date | string): void { this.current = new Date(at).getTime(); }
  advance(ms: number): Date { this.current += ms; return this.now(); }
  advanceDays(days: number): Date { return this.advance(days * 24 * 3600_000); }
}

/**
 * Deterministic, sortable ids shaped like UUIDs (so they fit the same columns as the real
 * UUIDv7 generator): 00000000-0000-7000-8000-000000000001, …002, …
 */
export class SequentialIds implements IdGenerator {
  private n = 0;
  constructor(private readonly prefix = '00000000') {}
  next(): string {
    this.n += 1;
    return `${this.prefix}-0000-7000-8000-${this.n.toString(16).padStart(12, '0')}`;
  }
}

/** Records what use cases asked the worker to do. */
export class RecordingJobQueue implements JobQueue {
  readonly jobs: JobRequest[] = [];
  async enqueue(job: JobRequest): Promise<void> {
    if (job.dedupeKey && this.jobs.some((j) => j.dedupeKey === job.dedupeKey)) return;
    this.jobs.push(job);
  }
}

/** Fast and obviously fake: for tests of the core only, never wired into an app. */
export class InsecureTestPasswordHasher implements PasswordHasher {
  async hash(password: string): Promise<string> { return `test-hash:${[...password].reverse().join('')}`; }
  async verify(password: string, hash: string): Promise<boolean> { return hash === (await this.hash(password)); }
}
