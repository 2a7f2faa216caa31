import { randomBytes } from 'node:crypto';
import type { Container } from 'inversify';
import { z } from 'zod';
import type { InstagramDeletionRequest } from '@palette/domain';
import { PALETTE_QUEUES } from '@palette/adapters/queue';
import { parseSignedRequest } from '@palette/adapters/crypto';
import { defineRoute, type RouteTable } from '../http/route.js';
import { HttpProblem } from '../http/problem.js';
import type { Logger } from '../logger.js';
import { TOKENS } from '../tokens.js';
import { instagramStoresFor, jobQueueOf } from './instagram-webhooks.route.js';

/** The job another feature works: deletes what Palette holds from a revoked account. */
export const REVOCATION_DELETION_QUEUE = PALETTE_QUEUES.revocationDeletion.name;

export interface RevocationDeletionJobData {
  readonly workspaceId: string;
  readonly accountId: string;
  /** The instagram_deletion_requests row; the job marks it complete (InstagramDeletionRequests.markComplete). */
  readonly requestId: string;
}

/** Alphanumeric, as Meta requires, and unguessable: the code alone opens the status page. */
const confirmationCode = () => randomBytes(12).toString('hex').toUpperCase();

const SignedRequestBody = z.object({ signed_request: z.string().min(1).max(8192) });
const CODE = z.string().regex(/^[A-Za-z0-9]{6,64}$/, 'must be the alphanumeric confirmation code');

/**
 * Meta's signed callbacks: verify, then revoke the account (sending stops because the status is no
 * longer connected), destroy its token and schedule the deletion, in one unit of work; the job is
 * enqueued after the commit. An id we do not know gets a request that is already complete: there is
 * nothing of theirs to delete.
 */
async function revokeFromCallback(container: Container, kind: InstagramDeletionRequest['kind'], platformUserId: string, log: Logger): Promise<InstagramDeletionRequest> {
  const repos = container.get(TOKENS.Repositories);
  const stores = instagramStoresFor(repos.uow);
  const clock = container.get(TOKENS.Clock);
  const ids = container.get(TOKENS.Ids);
  const request = await repos.uow.run(async () => {
    const now = clock.now();
    // Instagram Login names the user by app-scoped id (/me.id), remembered at connect; fall back to the IG account id.
    const alias = await stores.aliases.find(platformUserId);
    const account = (alias ? await repos.accounts.get(alias.workspaceId, alias.accountId) : null) ?? (await repos.accounts.findByIgUserId(platformUserId));
    if (account) {
      const token = account.revoke(kind === 'deauthorize' ? 'The app was removed in Instagram (deauthorize callback)' : 'Meta asked for the data to be deleted (data deletion callback)', now);
      if (token) await repos.secrets.destroy(account.workspaceId, token);
      await repos.accounts.save(account);
    }
    const saved: InstagramDeletionRequest = {
      id: ids.next(), confirmationCode: confirmationCode(), kind, workspaceId: account?.workspaceId ?? null, accountId: account?.id ?? null,
      status: account ? 'pending' : 'complete', requestedAt: now, completedAt: account ? null : now,
    };
    await stores.deletions.save(saved);
    return saved;
  });
  if (request.workspaceId && request.accountId) {
    const data: RevocationDeletionJobData = { workspaceId: request.workspaceId, accountId: request.accountId, requestId: request.id };
    const jobs = jobQueueOf(container);
    if (jobs) await jobs.enqueue({ name: REVOCATION_DELETION_QUEUE, data: { ...data }, dedupeKey: `revocation:${request.id}` });
    else log.warn({ requestId: request.id }, 'no job queue bound: the revocation deletion was not scheduled');
  }
  log.info({ kind, requestId: request.id, matched: request.accountId !== null }, 'Meta callback applied');
  return request;
}

function verified(signedRequest: string, secret: string): string {
  const parsed = parseSignedRequest(signedRequest, secret);
  // The reason names the check that failed (signature, algorithm), never the payload.
  if (!parsed.ok) throw new HttpProblem('bad-request', { detail: `The signed_request is not valid: ${parsed.reason}.` });
  return parsed.payload.user_id;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function statusText(r: InstagramDeletionRequest): string {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  if (r.status === 'complete') {
    return r.accountId === null
      ? `We received this request on ${day(r.requestedAt)}. Palette held no data from this Instagram account, so there was nothing to delete.`
      : `We received this request on ${day(r.requestedAt)}. All data Palette held from this Instagram account was deleted on ${day(r.completedAt ?? r.requestedAt)}.`;
  }
  return `We received this request on ${day(r.requestedAt)}. The connection to this Instagram account has been removed and its access token destroyed; deleting the data Palette holds from it is in progress.`;
}

const DeletionStatus = z
  .object({
    confirmationCode: z.string(),
    status: z.enum(['pending', 'complete']),
    requestedAt: z.iso.datetime({ offset: true }),
    completedAt: z.iso.datetime({ offset: true }).nullable(),
    message: z.string().describe('The status in plain language; no personal data.'),
  })
  .meta({ id: 'InstagramDeletionStatus' });

export function instagramCallbackRoutes(container: Container): RouteTable {
  const config = () => container.get(TOKENS.Config);
  return [
    defineRoute(
      {
        method: 'post',
        path: '/webhooks/instagram/deauthorize',
        summary: "Meta's deauthorize callback",
        description: 'Form-encoded `signed_request`, verified with the Instagram app secret (400, nothing done, otherwise). The account is revoked, its token destroyed and its data deletion scheduled.',
        tags: ['instagram webhooks'],
        auth: 'public',
        bodyType: 'form',
        body: SignedRequestBody,
        responses: { 200: { description: 'Applied', body: z.object({ received: z.literal(true) }) } },
        problems: ['bad-request'],
      },
      async ({ body, log }) => {
        await revokeFromCallback(container, 'deauthorize', verified(body.signed_request, config().instagramAppSecret), log);
        return { status: 200, body: { received: true as const } };
      },
    ),
    defineRoute(
      {
        method: 'post',
        path: '/webhooks/instagram/data-deletion',
        summary: "Meta's data deletion callback",
        description: 'As deauthorize, and answers the status page URL and confirmation code Meta shows the person.',
        tags: ['instagram webhooks'],
        auth: 'public',
        bodyType: 'form',
        body: SignedRequestBody,
        responses: { 200: { description: 'Deletion scheduled', body: z.object({ url: z.string(), confirmation_code: z.string() }) } },
        problems: ['bad-request'],
      },
      async ({ body, log }) => {
        const request = await revokeFromCallback(container, 'data_deletion', verified(body.signed_request, config().instagramAppSecret), log);
        return { status: 200, body: { url: `${config().publicUrl}/privacy/deletion/${request.confirmationCode}`, confirmation_code: request.confirmationCode } };
      },
    ),
    defineRoute(
      {
        method: 'get',
        path: '/privacy/deletion/:code',
        summary: 'Status of a data deletion request',
        description: 'What Meta links the person to: pending or complete, in plain language, without personal data. HTML for browsers, JSON otherwise.',
        tags: ['instagram webhooks'],
        auth: 'public',
        params: z.object({ code: CODE }),
        responses: { 200: { description: 'The status', body: DeletionStatus } },
        problems: ['not-found'],
      },
      async ({ params, req, res }) => {
        const request = await instagramStoresFor(container.get(TOKENS.Repositories).uow).deletions.findByCode(params.code);
        if (!request) throw HttpProblem.notFound('No deletion request has this confirmation code.');
        const message = statusText(request);
        if (req.accepts(['json', 'html']) === 'html') {
          const title = request.status === 'complete' ? 'Deletion complete' : 'Deletion in progress';
          res.status(200).type('html').set('Cache-Control', 'no-store').send(
            `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>` +
            `<body><main><h1>${title}</h1><p>${escapeHtml(message)}</p><p>Confirmation code: <code>${escapeHtml(request.confirmationCode)}</code></p></main></body></html>`);
          return;
        }
        return {
          status: 200,
          headers: { 'Cache-Control': 'no-store' },
          body: { confirmationCode: request.confirmationCode, status: request.status, requestedAt: request.requestedAt.toISOString(), completedAt: request.completedAt?.toISOString() ?? null, message },
        };
      },
    ),
  ];
}
