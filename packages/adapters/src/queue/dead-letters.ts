import type { QueueEngine } from './engine.js';

/** A job that will not run again by itself: it failed permanently or ran out of retries. */
export interface DeadLetter {
  readonly id: string;
  readonly queue: string;
  readonly workspaceId: string | null;
  readonly data: Record<string, unknown>;
  readonly reason: string;
  /** True when the handler said retrying cannot help (PermanentJobError). */
  readonly permanent: boolean;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly failedAt: Date;
}

/** What a handler failure stores as the job's output in pg-boss: the dead letter's reason. */
export interface FailureOutput {
  readonly reason: string;
  readonly permanent: boolean;
  readonly workspaceId: string | null;
}

interface Row {
  id: string;
  name: string;
  data: Record<string, unknown> | null;
  output: Partial<FailureOutput> & { value?: { message?: string }; message?: string } | null;
  retry_count: number;
  created_on: Date;
  completed_on: Date;
}

/**
 * Dead letters are pg-boss jobs in state `failed`, kept in the live table for the engine's
 * `keepDeadLettersSeconds`. A job belongs to the workspace its failure named, else the one in its payload.
 */
export class DeadLetters {
  constructor(private readonly engine: QueueEngine) {}

  async list(workspaceId: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    const { rows } = await this.engine.sql<Row>(
      `select id, name, data, output, retry_count, created_on, completed_on from ${this.engine.schema}.job
        where state = 'failed' and coalesce(output->>'workspaceId', data->>'workspaceId') = $1
        order by completed_on desc, id limit $2`,
      [workspaceId, Math.min(Math.max(options.limit ?? 100, 1), 1000)],
    );
    return rows.map(toDeadLetter);
  }

  /**
   * Queues the dead letter again with a fresh retry budget. False when no failed job with that id
   * belongs to the workspace (already retried, archived, or someone else's).
   */
  async retry(workspaceId: string, id: string): Promise<boolean> {
    const { rows } = await this.engine.sql(
      `update ${this.engine.schema}.job j
          set state = 'retry', start_after = now(), completed_on = null, output = null,
              retry_limit = j.retry_count + coalesce(q.retry_limit, 2)
         from ${this.engine.schema}.queue q
        where q.name = j.name and j.id = $1::uuid and j.state = 'failed'
          and coalesce(j.output->>'workspaceId', j.data->>'workspaceId') = $2
        returning j.id`,
      [id, workspaceId],
    );
    return rows.length > 0;
  }
}

function toDeadLetter(row: Row): DeadLetter {
  const output = row.output ?? {};
  // Jobs pg-boss failed itself (expired on every attempt) carry { value: { message } }.
  const reason = output.reason ?? output.value?.message ?? output.message ?? 'unknown';
  const data = row.data ?? {};
  return {
    id: row.id,
    queue: row.name,
    workspaceId: output.workspaceId ?? (typeof data.workspaceId === 'string' ? data.workspaceId : null),
    data,
    reason,
    permanent: output.permanent === true,
    attempts: row.retry_count + 1,
    createdAt: new Date(row.created_on),
    failedAt: new Date(row.completed_on),
  };
}
