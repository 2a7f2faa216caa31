/**
 * Thrown by a handler when running the job again cannot succeed (a malformed payload, an account
 * that no longer exists): the job skips its remaining retries and becomes a dead letter at once,
 * with `message` as the reason an operator reads.
 */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
  /** The workspace whose dead-letter list shows the job, when the payload alone does not say. */
  readonly workspaceId: string | undefined;

  constructor(message: string, options: { workspaceId?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.workspaceId = options.workspaceId;
  }
}
