import { z } from 'zod';
import { ProcessInstagramEvent, type SendCommentPrivateReply, type Clock, type IdGenerator, type JobQueue, type Repositories, type WebhookInbox, type WorkspaceId } from '@palette/domain';
import { parseWebhookDelivery } from '@palette/adapters/instagram';
import { createSqlInstagramWebhookStores, webhookOrderingKey } from '@palette/adapters/persistence';
import { PALETTE_QUEUES, PermanentJobError, type JobHandler, type JobRegistry } from '@palette/adapters/queue';
import { commentPrivateReplyFactory } from './assistant-reply.js';

export const INSTAGRAM_WEBHOOK_QUEUE = PALETTE_QUEUES.instagramWebhook.name;

/** The `instagram.webhook` payload: the id of a stored delivery, never its content. */
export const InstagramWebhookPayload = z.object({ deliveryId: z.uuid() }).strip();

/** What a producer enqueues for a stored delivery (HTTP route, sweep, replay). */
export function instagramWebhookJob(deliveryId: string, body: unknown, dedupe = `delivery:${deliveryId}`) {
  return { name: INSTAGRAM_WEBHOOK_QUEUE, data: { deliveryId }, orderingKey: webhookOrderingKey(body), dedupeKey: dedupe };
}

export interface InstagramWebhookHandlerDeps {
  readonly inbox: () => WebhookInbox;
  /** Resolved per event: each event is its own unit of work. */
  readonly process: () => ProcessInstagramEvent;
  /**
   * Comment-to-DM, run after a comment event is applied, outside its transaction. Also on a
   * redelivered comment: the claim makes it once-only, and a retry after a failure here would
   * otherwise find the event applied and never get to the rules.
   */
  readonly commentPrivateReply?: () => SendCommentPrivateReply;
  readonly clock: Clock;
  /**
   * After this many attempts an event that still throws is quarantined with the error instead of
   * failing the job again, so one poisonous event cannot hold the delivery's other events back forever.
   */
  readonly maxAttempts?: number;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 300);

/**
 * Applies one stored delivery: parse (typed events, dedupe keys, quarantined items), apply each
 * event through ProcessInstagramEvent, then mark the delivery processed or quarantined with the
 * reasons. A transient failure throws and the job retries; events already applied are skipped by
 * their keys. Unknown and malformed items never throw: they quarantine the delivery for a replay.
 */
export function instagramWebhookHandler(deps: InstagramWebhookHandlerDeps): JobHandler {
  const maxAttempts = deps.maxAttempts ?? 5;
  return async (job) => {
    const parsed = InstagramWebhookPayload.safeParse(job.data);
    if (!parsed.success) throw new PermanentJobError('Invalid instagram.webhook payload: deliveryId must be a uuid');
    const inbox = deps.inbox();
    const id = parsed.data.deliveryId;
    const delivery = await inbox.get(id);
    if (!delivery) throw new PermanentJobError(`No webhook delivery ${id}`);
    // Processed or quarantined already (a duplicate job); a replay puts it back to received first.
    if (delivery.state !== 'received') return;
    const attempts = await inbox.recordAttempt(id);

    let body: unknown;
    try {
      body = JSON.parse(delivery.rawBody);
    } catch {
      await inbox.markQuarantined(id, 'the body is not JSON', deps.clock.now(), null);
      return;
    }
    const { events, quarantined } = parseWebhookDelivery(body);
    const reasons = quarantined.map((q) => `${q.path || '(delivery)'}: ${q.reason}`);
    let workspaceId: WorkspaceId | null = null;
    for (const { event, dedupeKey } of events) {
      try {
        const result = await deps.process().execute({ event, dedupeKey });
        if (result.ok) workspaceId ??= result.value.workspaceId;
        if (result.ok && event.kind === 'comment' && deps.commentPrivateReply) await deps.commentPrivateReply().execute(event);
        if (!result.ok) reasons.push(`${event.kind}: no connected account ${result.error.igUserId}`);
      } catch (error) {
        if (attempts < maxAttempts) throw error;
        reasons.push(`${event.kind}: failed ${attempts} times (${messageOf(error)})`);
      }
    }
    if (reasons.length > 0) await inbox.markQuarantined(id, reasons.join('; '), deps.clock.now(), workspaceId);
    else await inbox.markProcessed(id, deps.clock.now(), workspaceId);
  };
}

/**
 * The scheduled safety net: the HTTP route enqueues after acknowledging, so a crash in between
 * leaves a `received` row without a job. Anything still received after `graceMs` is enqueued again
 * (same dedupe key: a job still queued is not doubled).
 */
export function instagramWebhookSweepHandler(deps: { inbox: () => WebhookInbox; jobs: () => JobQueue; clock: Clock; graceMs?: number; batch?: number; keepProcessedMs?: number }): JobHandler {
  return async () => {
    const inbox = deps.inbox();
    // Applied deliveries are kept a day (to investigate), then their raw bodies, which repeat DM content, go.
    await inbox.deleteProcessedBefore(new Date(deps.clock.now().getTime() - (deps.keepProcessedMs ?? 24 * 3600_000)), deps.batch ?? 500);
    const cutoff = new Date(deps.clock.now().getTime() - (deps.graceMs ?? 60_000));
    const stale = await inbox.listReceivedBefore(cutoff, deps.batch ?? 500);
    for (const d of stale) {
      let body: unknown = null;
      try { body = JSON.parse(d.rawBody); } catch { body = null; }
      await deps.jobs().enqueue(instagramWebhookJob(d.id, body));
    }
  };
}

/**
 * Registers `instagram.webhook` and its sweep on a registry. `repositories` must give a fresh unit
 * of work per call; `jobs` is read lazily because the worker's queue exists only after start.
 */
export function registerInstagramWebhookHandlers(
  registry: JobRegistry,
  deps: { repositories: () => Repositories; clock: Clock; ids: IdGenerator; jobs: () => JobQueue; maxAttempts?: number },
): void {
  const jobs: JobQueue = { enqueue: (job) => deps.jobs().enqueue(job) };
  const inbox = () => createSqlInstagramWebhookStores(deps.repositories().uow).inbox;
  const process = () => {
    const repos = deps.repositories();
    return new ProcessInstagramEvent({ ...repos, clock: deps.clock, ids: deps.ids, events: createSqlInstagramWebhookStores(repos.uow).events, jobs });
  };
  const commentPrivateReply = commentPrivateReplyFactory({ repositories: deps.repositories, clock: deps.clock, ids: deps.ids, jobs: () => jobs });
  if (registry.queue(INSTAGRAM_WEBHOOK_QUEUE)) {
    registry.handle(INSTAGRAM_WEBHOOK_QUEUE, instagramWebhookHandler({ inbox, process, commentPrivateReply, clock: deps.clock, ...(deps.maxAttempts ? { maxAttempts: deps.maxAttempts } : {}) }));
  }
  if (registry.queue(PALETTE_QUEUES.instagramWebhookSweep.name)) {
    registry.handle(PALETTE_QUEUES.instagramWebhookSweep.name, instagramWebhookSweepHandler({ inbox, jobs: () => jobs, clock: deps.clock }));
  }
}
