import { z } from 'zod';
import {
  ReleaseHeldMessages, SendOutboundMessage,
  type Clock, type IdGenerator, type InstagramConversationsReader, type InstagramGateway, type JobQueue, type JobRequest, type MessageId, type RateLimiter, type Repositories,
  type SendOutboundOptions, type TokenCipher, type WorkspaceId,
} from '@palette/domain';
import { createInstagramServices, LazyKeyringCipher, loadInstagramSettings, sqlRowsOf, SqlContactDeliveryFlags, SqlOutboundMessageQueries, type InstagramServices } from '@palette/adapters/instagram';
import type { DatabaseOrm } from '@palette/adapters/persistence';
import { PALETTE_QUEUES, PermanentJobError, type JobHandler, type JobRegistry } from '@palette/adapters/queue';
import type { Logger } from '../logger.js';
import { backfillAccount, deliveryGapHandler } from './delivery-gap.js';
import { keyRotationHandler } from './key-rotation.js';
import { registerPrivateReplyHandler } from './private-reply.js';
import { tokenRefreshHandler } from './token-refresh.js';

export const OutboundSendPayload = z.object({
  workspaceId: z.uuid(),
  messageId: z.uuid(),
  // A hint from the producer; the gate decides the tag again at send time.
  tag: z.enum(['HUMAN_AGENT']).nullable().optional(),
}).strip();

/** How many attempts may find the message missing before the job gives up (producer rolled back). */
const MISSING_ATTEMPTS = 4;

/**
 * `outbound.send` (ordered per conversation): one recorded message, sent at most once. The use
 * case records `sending` before the call and `sent` after; a job that finds `sending` reconciles
 * against Instagram instead of resending. Outcomes map to the queue:
 * - retry soon (transient, reconciliation grace, short rate-limit waits) → throw: the queue's
 *   exponential backoff with jitter, bounded by the retry limit;
 * - retry after a known wait (Instagram asked us to pause) → the job is re-enqueued to start then;
 * - everything else is recorded on the message (sent, refused, held, failed, unknown) → done.
 */
export function outboundSendHandler(deps: { send: () => SendOutboundMessage; jobs: () => JobQueue; clock: Clock; log?: Logger }): JobHandler {
  return async (job) => {
    const parsed = OutboundSendPayload.safeParse(job.data);
    if (!parsed.success) throw new PermanentJobError(`Invalid outbound.send payload: ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`);
    const { workspaceId, messageId } = parsed.data;
    const outcome = await deps.send().execute({ workspaceId: workspaceId as WorkspaceId, messageId: messageId as MessageId, signal: job.signal });
    deps.log?.debug({ jobId: job.id, messageId, outcome: outcome.kind }, 'outbound.send');
    switch (outcome.kind) {
      case 'missing':
        if (job.attempt < MISSING_ATTEMPTS) throw new Error('The message is not visible yet (its transaction may still be open)');
        throw new PermanentJobError(`Outbound message ${messageId} does not exist`, { workspaceId });
      case 'retry': {
        if (!outcome.reschedule) throw new Error(`Send will be retried: ${outcome.reason}`);
        const startAfter = new Date(deps.clock.now().getTime() + outcome.afterMs);
        const again: JobRequest = {
          name: PALETTE_QUEUES.outboundSend.name, data: { workspaceId, messageId, tag: parsed.data.tag ?? null }, startAfter,
          ...(job.orderingKey ? { orderingKey: job.orderingKey } : {}), dedupeKey: `send:${messageId}:after:${startAfter.getTime()}`,
        };
        await deps.jobs().enqueue(again);
        return;
      }
      default:
        return;
    }
  };
}

export const InstagramConnectedPayload = z.object({ workspaceId: z.uuid(), accountId: z.uuid() }).strip();

export interface InstagramWorkerDeps {
  readonly orm: DatabaseOrm;
  readonly repositories: () => Repositories;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly jobs: () => JobQueue;
  readonly cipher: TokenCipher;
  readonly instagram: InstagramServices;
  /** Defaults to the Graph client; tests may substitute a gateway. */
  readonly gateway?: InstagramGateway;
  readonly reader?: InstagramConversationsReader;
  readonly limiter?: RateLimiter;
  readonly sendOptions?: SendOutboundOptions;
  readonly log: Logger;
}

/**
 * The Instagram send side of the worker: outbound.send, the connected-account follow-up (release
 * held sends, backfill), token refresh, key rotation and the delivery-gap check. Repositories are
 * resolved per job (one unit of work each); `jobs` lazily, as the queue starts after registration.
 */
export function registerInstagramSendHandlers(registry: JobRegistry, deps: InstagramWorkerDeps): void {
  const jobs: JobQueue = { enqueue: (job) => deps.jobs().enqueue(job) };
  const sql = sqlRowsOf(deps.orm.em.fork());
  const flags = new SqlContactDeliveryFlags(sql);
  const queries = new SqlOutboundMessageQueries(sql);
  const limiter = deps.limiter ?? deps.instagram.limiter;
  const send = () => new SendOutboundMessage({
    ...deps.repositories(), clock: deps.clock, cipher: deps.cipher, gateway: deps.gateway ?? deps.instagram.client, reader: deps.reader ?? deps.instagram.reader,
    limiter, flags, ...(deps.sendOptions ? { options: deps.sendOptions } : {}),
  });
  const handle = (name: string, handler: JobHandler) => {
    if (registry.queue(name)) registry.handle(name, handler);
  };
  handle(PALETTE_QUEUES.outboundSend.name, outboundSendHandler({ send, jobs: () => jobs, clock: deps.clock, log: deps.log }));
  handle(PALETTE_QUEUES.instagramConnected.name, async (job) => {
    const parsed = InstagramConnectedPayload.safeParse(job.data);
    if (!parsed.success) throw new PermanentJobError('Invalid instagram.connected payload');
    const ws = parsed.data.workspaceId as WorkspaceId;
    const released = await new ReleaseHeldMessages({ ...deps.repositories(), queries, jobs, clock: deps.clock }).execute({ workspaceId: ws, accountId: parsed.data.accountId as never });
    const backfill = await backfillAccount(deps, { workspaceId: ws, accountId: parsed.data.accountId });
    deps.log.info({ accountId: parsed.data.accountId, ...released, ...backfill }, 'instagram account connected: held sends released, recent conversations backfilled');
  });
  handle(PALETTE_QUEUES.tokenRefresh.name, tokenRefreshHandler(deps));
  handle(PALETTE_QUEUES.keyRotation.name, keyRotationHandler(deps));
  handle(PALETTE_QUEUES.deliveryGapCheck.name, deliveryGapHandler({ ...deps, jobs: () => jobs, queries }));
  registerPrivateReplyHandler(registry, {
    repositories: deps.repositories, clock: deps.clock, jobs: () => jobs, cipher: deps.cipher, gateway: deps.gateway ?? deps.instagram.client, limiter, log: deps.log,
  });
}

/** What a worker needs beyond its database to send on Instagram; tests pass fakes or a simulator-bound set. */
export type InstagramWorkerOptions = Pick<InstagramWorkerDeps, 'cipher' | 'instagram' | 'gateway' | 'reader' | 'limiter' | 'sendOptions'>;

/**
 * From the environment: INSTAGRAM_* (graph URL, version, app id and secret, scopes) and the token
 * keyring (PALETTE_ENCRYPTION_KEYS, or the key generated once into PALETTE_DATA_DIR).
 */
export function instagramWorkerOptionsFromEnv(env: Readonly<Record<string, string | undefined>>, orm: DatabaseOrm): InstagramWorkerOptions {
  const settings = loadInstagramSettings(env);
  if (!settings.ok) throw new Error(`Invalid Instagram settings: ${settings.problems.join('; ')}`);
  const cipher = new LazyKeyringCipher({ envKeys: env['PALETTE_ENCRYPTION_KEYS'], dataDir: env['PALETTE_DATA_DIR'] || './.palette' });
  return { cipher, instagram: createInstagramServices({ settings: settings.value, sql: sqlRowsOf(orm.em.fork()) }) };
}
