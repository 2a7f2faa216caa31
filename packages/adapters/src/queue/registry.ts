import type { QueueDefinition } from './catalogue.js';

/** What a handler is given for one attempt of one job. */
export interface JobContext<T = unknown> {
  readonly id: string;
  readonly queue: string;
  /** The payload as stored (JSON): validate it before use. */
  readonly data: T;
  /** 1 on the first run; higher after failures or a worker crash. */
  readonly attempt: number;
  readonly orderingKey: string | null;
  readonly createdAt: Date;
  /** Aborted when a shutdown gives up waiting for this job; it will run again elsewhere. */
  readonly signal: AbortSignal;
}

/**
 * Handlers run at least once per job, so each must be idempotent: a second run on the same payload
 * changes nothing. Throw PermanentJobError when a retry cannot help; anything else is retried.
 */
export type JobHandler = (job: JobContext) => Promise<void>;

/** The queues a process knows and the handlers it runs, by queue name. */
export class JobRegistry {
  readonly #queues = new Map<string, QueueDefinition>();
  readonly #handlers = new Map<string, JobHandler>();

  constructor(queues: readonly QueueDefinition[] = []) {
    for (const queue of queues) this.define(queue);
  }

  define(queue: QueueDefinition): this {
    if (this.#queues.has(queue.name)) throw new Error(`Queue ${queue.name} is defined twice`);
    if (!Number.isInteger(queue.concurrency) || queue.concurrency < 1) throw new Error(`Queue ${queue.name}: concurrency must be a positive integer`);
    this.#queues.set(queue.name, queue);
    return this;
  }

  handle(name: string, handler: JobHandler): this {
    if (!this.#queues.has(name)) throw new Error(`No queue named ${name}: define it before registering its handler`);
    if (this.#handlers.has(name)) throw new Error(`Queue ${name} already has a handler`);
    this.#handlers.set(name, handler);
    return this;
  }

  queue(name: string): QueueDefinition | undefined {
    return this.#queues.get(name);
  }

  queues(): QueueDefinition[] {
    return [...this.#queues.values()];
  }

  handler(name: string): JobHandler | undefined {
    return this.#handlers.get(name);
  }

  /** Queues this process works on: the ones with a handler. */
  handled(): Array<{ queue: QueueDefinition; handler: JobHandler }> {
    return [...this.#handlers].map(([name, handler]) => ({ queue: this.#queues.get(name)!, handler }));
  }
}
