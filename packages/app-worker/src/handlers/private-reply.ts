import { z } from 'zod';
import { DeliverCommentPrivateReply, Ids, PRIVATE_REPLY_JOB, type Clock, type InstagramGateway, type JobQueue, type RateLimiter, type Repositories, type TokenCipher } from '@palette/domain';
import { createSqlPrivateReplyOutbox } from '@palette/adapters/persistence';
import { PALETTE_QUEUES, PermanentJobError, type JobHandler, type JobRegistry } from '@palette/adapters/queue';
import type { Logger } from '../logger.js';

/** What SendCommentPrivateReply enqueues once the comment is claimed. */
export const PrivateReplyPayload = z.object({
  workspaceId: z.uuid(),
  accountId: z.uuid(),
  commentId: z.string().min(1).max(200),
  text: z.string().min(1).max(1000),
  commentAt: z.iso.datetime({ offset: true }),
  fromId: z.string().max(100).nullable().optional(),
}).strip();

/**
 * `instagram.private_reply`: sends one claimed private reply, at most once. Rate-limit waits
 * longer than the use case holds a worker are re-enqueued to start later; everything else is
 * recorded on the claim row (sent with the platform id, refused or failed with the reason).
 */
export function privateReplyHandler(deps: { deliver: () => DeliverCommentPrivateReply; jobs: () => JobQueue; clock: Clock; log?: Logger; maxInlineWaitMs?: number }): JobHandler {
  return async (job) => {
    const parsed = PrivateReplyPayload.safeParse(job.data);
    if (!parsed.success) throw new PermanentJobError(`Invalid ${PRIVATE_REPLY_JOB} payload: ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`);
    const p = parsed.data;
    const outcome = await deps.deliver().execute({
      workspaceId: Ids.workspace(p.workspaceId), accountId: Ids.instagramAccount(p.accountId), commentId: p.commentId, text: p.text,
      commentAt: new Date(p.commentAt), fromId: p.fromId ?? null, signal: job.signal,
    });
    deps.log?.debug({ jobId: job.id, commentId: p.commentId, outcome: outcome.kind }, PRIVATE_REPLY_JOB);
    if (outcome.kind !== 'retry') return;
    if (outcome.afterMs <= (deps.maxInlineWaitMs ?? 2_000)) throw new Error(`Private reply will be retried: ${outcome.reason}`);
    const startAfter = new Date(deps.clock.now().getTime() + outcome.afterMs);
    await deps.jobs().enqueue({
      name: PRIVATE_REPLY_JOB, data: p, startAfter, ...(job.orderingKey ? { orderingKey: job.orderingKey } : {}),
      dedupeKey: `private-reply:${p.accountId}:${p.commentId}:after:${startAfter.getTime()}`,
    });
  };
}

/** Registers `instagram.private_reply` when the registry has the queue; resolved per job (one unit of work). */
export function registerPrivateReplyHandler(registry: JobRegistry, deps: {
  repositories: () => Repositories; clock: Clock; jobs: () => JobQueue; cipher: TokenCipher; gateway: InstagramGateway; limiter: RateLimiter; log?: Logger;
}): void {
  if (!registry.queue(PALETTE_QUEUES.instagramPrivateReply.name)) return;
  const deliver = () => {
    const repos = deps.repositories();
    return new DeliverCommentPrivateReply({
      accounts: repos.accounts, contacts: repos.contacts, secrets: repos.secrets, uow: repos.uow, outbox: createSqlPrivateReplyOutbox(repos.uow),
      cipher: deps.cipher, gateway: deps.gateway, limiter: deps.limiter, clock: deps.clock,
    });
  };
  registry.handle(PALETTE_QUEUES.instagramPrivateReply.name, privateReplyHandler({ deliver, jobs: deps.jobs, clock: deps.clock, ...(deps.log ? { log: deps.log } : {}) }));
}
