import { ContainerModule } from 'inversify';
import { TOKENS } from '../tokens.js';

/** A job that exhausted its retries. Its payload is not exposed: it may hold a customer's data. */
export interface FailedJob {
  readonly id: string;
  readonly queue: string;
  readonly reason: string;
  readonly permanent: boolean;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly failedAt: Date;
}

/** Dead letters of one workspace; the queue adapter's DeadLetters satisfies it. */
export interface FailedJobs {
  list(workspaceId: string, options?: { limit?: number }): Promise<readonly FailedJob[]>;
  /** False when no such failed job belongs to the workspace. */
  retry(workspaceId: string, id: string): Promise<boolean>;
}

/** For tests and embedding without a queue. */
export class InMemoryFailedJobs implements FailedJobs {
  private readonly byWorkspace = new Map<string, FailedJob[]>();
  readonly retried: string[] = [];

  add(workspaceId: string, job: FailedJob): void {
    this.byWorkspace.set(workspaceId, [...(this.byWorkspace.get(workspaceId) ?? []), job]);
  }

  async list(workspaceId: string, options: { limit?: number } = {}): Promise<readonly FailedJob[]> {
    return (this.byWorkspace.get(workspaceId) ?? []).slice(0, options.limit ?? 50);
  }

  async retry(workspaceId: string, id: string): Promise<boolean> {
    const jobs = this.byWorkspace.get(workspaceId) ?? [];
    if (!jobs.some((j) => j.id === id)) return false;
    this.byWorkspace.set(workspaceId, jobs.filter((j) => j.id !== id));
    this.retried.push(id);
    return true;
  }
}

export function jobsModule(failedJobs: FailedJobs = new InMemoryFailedJobs()): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.FailedJobs).toConstantValue(failedJobs);
  });
}
