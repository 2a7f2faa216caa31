import { createHash } from 'node:crypto';
import type { Container } from 'inversify';
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import { z } from 'zod';
import type { Clock, IdGenerator, InstagramAccountAliases, InstagramDeletionRequests, InstagramEventLog, JobQueue, UnitOfWork, WebhookInbox } from '@palette/domain';
import { InMemoryDatabase, InMemoryInstagramAccountAliases, InMemoryInstagramDeletionRequests, InMemoryInstagramEventLog, InMemoryWebhookInbox } from '@palette/domain/in-memory';
import { PALETTE_QUEUES } from '@palette/adapters/queue';
import { createSqlInstagramWebhookStores, createWebhookInboxStore, MikroOrmSession, webhookOrderingKey, type WebhookInboxStore } from '@palette/adapters/persistence';
import { verifyHubSignature } from '@palette/adapters/crypto';
import { defineRoute, type RouteTable } from '../http/route.js';
import { HttpProblem } from '../http/problem.js';
import type { Logger } from '../logger.js';
import { TOKENS } from '../tokens.js';

export interface InstagramStores {
  readonly inbox: WebhookInbox;
  readonly events: InstagramEventLog;
  readonly aliases: InstagramAccountAliases;
  readonly deletions: InstagramDeletionRequests;
}

/** The Instagram stores over the same unit of work as a set of repositories (SQL or in memory). */
export function instagramStoresFor(uow: UnitOfWork): InstagramStores {
  if (uow instanceof MikroOrmSession) return createSqlInstagramWebhookStores(uow);
  if (uow instanceof InMemoryDatabase) {
    return { inbox: new InMemoryWebhookInbox(uow), events: new InMemoryInstagramEventLog(uow), aliases: new InMemoryInstagramAccountAliases(uow), deletions: new InMemoryInstagramDeletionRequests(uow) };
  }
  throw new TypeError('No Instagram stores for this kind of repositories');
}

/** The inbox insert alone, for the acknowledgement: the driver's pool on PostgreSQL, the shared store in memory. */
function webhookInboxStoreFor(uow: UnitOfWork): WebhookInboxStore {
  if (uow instanceof MikroOrmSession) return createWebhookInboxStore(uow);
  if (uow instanceof InMemoryDatabase) return new InMemoryWebhookInbox(uow);
  throw new TypeError('No Instagram webhook inbox for this kind of repositories');
}

export const INSTAGRAM_WEBHOOK_QUEUE = PALETTE_QUEUES.instagramWebhook.name;

/** The optional producer; without one, deliveries wait for the worker's sweep (every minute). */
export const jobQueueOf = (container: Container): JobQueue | undefined => (container.isBound(TOKENS.JobQueue) ? container.get(TOKENS.JobQueue) : undefined);

/**
 * Enqueues a stored delivery after the acknowledgement has gone out: the answer to Meta never
 * waits for (or fails with) the queue. A lost enqueue is repaired by the sweep.
 */
function enqueueLater(jobs: JobQueue | undefined, deliveryId: string, body: unknown, log: Logger): void {
  if (!jobs) return;
  setImmediate(() => {
    jobs.enqueue({ name: INSTAGRAM_WEBHOOK_QUEUE, data: { deliveryId }, orderingKey: webhookOrderingKey(body), dedupeKey: `delivery:${deliveryId}` })
      .catch((error: unknown) => log.warn({ err: error, deliveryId }, 'webhook delivery stored but not enqueued; the sweep will pick it up'));
  });
}

const Quarantined = z
  .object({
    id: z.uuid(),
    reason: z.string().nullable().describe('Why it could not be applied: parse error paths or an unknown account; never message content.'),
    attempts: z.number().int(),
    receivedAt: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'QuarantinedWebhookDelivery', description: 'A signed webhook delivery Palette could not apply, kept for a replay.' });

/**
 * Meta's webhook endpoint (public, authenticated by the app-secret signature over the raw bytes)
 * and the workspace's view of quarantined deliveries. Replay is workspace-scoped: a delivery is
 * attributed to a workspace once one of its entries matched a connected account. Deliveries for
 * no known account stay unattributed (visible only in the database and on /metrics).
 */
export function instagramWebhookRoutes(container: Container): RouteTable {
  const config = () => container.get(TOKENS.Config);
  const stores = () => instagramStoresFor(container.get(TOKENS.Repositories).uow);
  // Resolved on the first delivery, then kept: the ack path does no container resolution and no
  // ORM fork per request (request-scoped Repositories build ~20 repositories over a new fork).
  let ack: { readonly inbox: WebhookInboxStore; readonly ids: IdGenerator; readonly clock: Clock; readonly secret: string; readonly jobs: JobQueue | undefined } | undefined;
  const ackDeps = () => (ack ??= {
    inbox: webhookInboxStoreFor(container.get(TOKENS.Repositories).uow), ids: container.get(TOKENS.Ids), clock: container.get(TOKENS.Clock),
    secret: config().instagramAppSecret, jobs: jobQueueOf(container),
  });
  return [
    defineRoute(
      {
        method: 'get',
        path: '/webhooks/instagram',
        summary: 'Webhook verification handshake',
        description: 'Meta calls this when the callback URL is saved: answers `hub.challenge` as text/plain when `hub.verify_token` is INSTAGRAM_VERIFY_TOKEN.',
        tags: ['instagram webhooks'],
        auth: 'public',
        query: z.object({ 'hub.mode': z.string().max(32).optional(), 'hub.verify_token': z.string().max(512).optional(), 'hub.challenge': z.string().max(512).optional() }),
        responses: { 200: { description: 'The challenge, echoed', contentType: 'text/plain' } },
        problems: ['forbidden'],
      },
      ({ query, res }) => {
        const token = query['hub.verify_token'];
        const expected = config().instagramVerifyToken;
        const matches = token !== undefined && token.length === expected.length && createHash('sha256').update(token).digest().equals(createHash('sha256').update(expected).digest());
        if (query['hub.mode'] !== 'subscribe' || !matches || query['hub.challenge'] === undefined) throw HttpProblem.forbidden('The verify token does not match.');
        res.status(200).type('text/plain').send(query['hub.challenge']);
      },
    ),
    defineRoute(
      {
        method: 'post',
        path: '/webhooks/instagram',
        summary: 'Receive a webhook delivery',
        description: 'Checks X-Hub-Signature-256 over the raw body with the Instagram app secret (401 and nothing stored otherwise), stores the delivery as received and answers 200 at once; a job applies it.',
        tags: ['instagram webhooks'],
        auth: 'public',
        bodyType: 'raw',
        responses: { 200: { description: 'Stored; it will be processed asynchronously', contentType: 'text/plain' } },
        problems: ['unauthenticated'],
      },
      async ({ rawBody, req, res, log }) => {
        const deps = ackDeps();
        if (!rawBody || rawBody.length === 0 || !verifyHubSignature(rawBody, req.get('x-hub-signature-256'), deps.secret)) {
          throw HttpProblem.unauthenticated('The X-Hub-Signature-256 header is missing or does not match the body.');
        }
        const text = rawBody.toString('utf8');
        // Resolves once the row is committed (autocommit): only then may Meta hear 200.
        const stored = await deps.inbox.store({ id: deps.ids.next(), payloadSha256: createHash('sha256').update(rawBody).digest('hex'), rawBody: text, receivedAt: deps.clock.now() });
        if (!stored.duplicate) {
          let body: unknown = null;
          try { body = JSON.parse(text); } catch { body = null; }
          enqueueLater(deps.jobs, stored.id, body, log);
        }
        res.status(200).type('text/plain').send('EVENT_RECEIVED');
      },
    ),
    defineRoute(
      {
        method: 'get',
        path: '/api/workspaces/:workspaceId/instagram/webhooks/quarantined',
        summary: 'List quarantined webhook deliveries',
        tags: ['instagram webhooks'],
        auth: 'session',
        permission: 'instagram.manage',
        params: z.object({ workspaceId: z.uuid() }),
        responses: { 200: { description: 'Oldest first, at most 100', body: z.object({ items: z.array(Quarantined) }) } },
      },
      async ({ principal }) => {
        const items = await stores().inbox.listQuarantined(principal.workspaceId, 100);
        return { status: 200, body: { items: items.map((d) => ({ id: d.id, reason: d.reason, attempts: d.attempts, receivedAt: d.receivedAt.toISOString() })) } };
      },
    ),
    defineRoute(
      {
        method: 'post',
        path: '/api/workspaces/:workspaceId/instagram/webhooks/quarantined/replay',
        summary: 'Replay quarantined webhook deliveries',
        description: 'After a fix (a newer release, a reconnected account), puts the given quarantined deliveries (all of them when `ids` is absent) back to received and enqueues them. Events already applied are skipped by their dedupe keys.',
        tags: ['instagram webhooks'],
        auth: 'session',
        permission: 'instagram.manage',
        params: z.object({ workspaceId: z.uuid() }),
        body: z.object({ ids: z.array(z.uuid()).min(1).max(100).optional() }).strict(),
        responses: { 200: { description: 'How many were put back for processing', body: z.object({ replayed: z.number().int() }) } },
      },
      async ({ principal, body, log }) => {
        const { inbox } = stores();
        const ids = body.ids ?? (await inbox.listQuarantined(principal.workspaceId, 100)).map((d) => d.id);
        const jobs = jobQueueOf(container);
        let replayed = 0;
        for (const id of ids) {
          if (!(await inbox.requeue(id, principal.workspaceId))) continue;
          replayed += 1;
          const delivery = await inbox.get(id);
          let payload: unknown = null;
          try { payload = JSON.parse(delivery?.rawBody ?? 'null'); } catch { payload = null; }
          // A fresh dedupe key: the first job for this delivery may still be in the queue's table.
          await jobs?.enqueue({ name: INSTAGRAM_WEBHOOK_QUEUE, data: { deliveryId: id }, orderingKey: webhookOrderingKey(payload), dedupeKey: `replay:${id}:${delivery?.attempts ?? 0}` });
        }
        log.info({ replayed }, 'quarantined webhook deliveries replayed');
        return { status: 200, body: { replayed } };
      },
    ),
  ];
}

/** `palette_instagram_webhook_deliveries{state}` on /metrics, read from the inbox at scrape time. */
export function registerInstagramWebhookMetrics(container: Container): (registry: Registry) => void {
  return (registry) => {
    new Gauge({
      name: 'palette_instagram_webhook_deliveries',
      help: 'Stored Instagram webhook deliveries by state (received = waiting for the worker; quarantined = could not be applied, replayable).',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        const counts = await instagramStoresFor(container.get(TOKENS.Repositories).uow).inbox.countByState();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  };
}
