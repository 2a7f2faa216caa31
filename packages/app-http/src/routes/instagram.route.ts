import { randomBytes } from 'node:crypto';
import type { Container } from 'inversify';
import type { Response } from 'express';
import { z } from 'zod';
import {
  ConnectInstagramAccount, DisconnectInstagramAccount, Ids, can, missingScopes, readAccountToken,
  type InstagramAccount, type JobQueue, type Repositories, type TokenCipher, type WorkspaceId,
} from '@palette/domain';
import {
  createInstagramServices, LazyKeyringCipher, loadInstagramSettings, sqlRowsOf, SqlOAuthStates, type InstagramServices,
} from '@palette/adapters/instagram';
import type { DatabaseOrm } from '@palette/adapters/persistence';
import { HttpProblem } from '../http/problem.js';
import { instagramStoresFor } from './instagram-webhooks.route.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';

/** A state lives long enough to log in to Instagram, not longer. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;
export const INSTAGRAM_CONNECTED_QUEUE = 'instagram.connected';
export const REVOCATION_DELETION_QUEUE = 'privacy.revocation-deletion';

/** What the Instagram routes need; bound once per process (TOKENS.Instagram). */
export interface InstagramHttpDeps {
  readonly services: InstagramServices;
  readonly cipher: TokenCipher;
}

/** From the environment: INSTAGRAM_* settings and the token keyring (PALETTE_ENCRYPTION_KEYS or the data folder's key). */
export function instagramHttpDepsFromEnv(env: Readonly<Record<string, string | undefined>>, input: { orm: DatabaseOrm; dataDir: string }): InstagramHttpDeps {
  const settings = loadInstagramSettings(env);
  if (!settings.ok) throw new Error(`Invalid Instagram settings: ${settings.problems.join('; ')}`);
  return {
    services: createInstagramServices({ settings: settings.value, sql: sqlRowsOf(input.orm.em.fork()) }),
    cipher: new LazyKeyringCipher({ envKeys: env['PALETTE_ENCRYPTION_KEYS'], dataDir: input.dataDir }),
  };
}

const InstagramAccountView = z.object({
  id: z.uuid(),
  igUserId: z.string(),
  username: z.string(),
  accountType: z.enum(['Business', 'Media_Creator']),
  status: z.enum(['connected', 'token_expired', 'revoked', 'disconnected']),
  /** Why the account is not connected (token expired, revoked, disconnected): shown to the owner. */
  statusReason: z.string().nullable(),
  grantedScopes: z.array(z.string()),
  tokenExpiresAt: z.iso.datetime().nullable(),
  /** When the current token was issued or last refreshed (null once detached). */
  tokenRefreshedAt: z.iso.datetime().nullable(),
  connectedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'InstagramAccount', description: 'A connected (or formerly connected) Instagram professional account. The token itself is never shown.' });

function view(a: InstagramAccount): z.input<typeof InstagramAccountView> {
  return {
    id: a.id, igUserId: a.igUserId, username: a.username, accountType: a.accountType, status: a.status, statusReason: a.statusReason, grantedScopes: [...a.grantedScopes],
    tokenExpiresAt: a.tokenExpiresAt?.toISOString() ?? null, tokenRefreshedAt: a.tokenIssuedAt?.toISOString() ?? null, connectedAt: a.createdAt.toISOString(), updatedAt: a.updatedAt.toISOString(),
  };
}

const ConnectionHealth = z.object({
  /** Newest customer message stored per account (each arrived by webhook, or by the delivery-gap backfill). */
  lastMessageReceived: z.array(z.object({ accountId: z.uuid(), at: z.iso.datetime() })),
  /** Deliveries Meta sent that could not be applied (unknown account, unparseable); each is a gap until replayed. */
  quarantinedDeliveries: z.number().int().nonnegative(),
  lastQuarantinedAt: z.iso.datetime().nullable(),
}).meta({ id: 'InstagramConnectionHealth', description: 'How messages are reaching the workspace: the last customer message per account and the webhook deliveries held in quarantine.' });

/** Bounded reads: the newest 200 threads and 100 quarantined deliveries say enough for a health panel. */
async function connectionHealth(repos: Repositories, workspaceId: WorkspaceId): Promise<z.input<typeof ConnectionHealth>> {
  const last = new Map<string, Date>();
  for (const conversation of await repos.conversations.listInbox(workspaceId, { limit: 200 })) {
    const at = conversation.lastCustomerMessageAt;
    const seen = last.get(conversation.accountId);
    if (at && (!seen || at > seen)) last.set(conversation.accountId, at);
  }
  const quarantined = await instagramStoresFor(repos.uow).inbox.listQuarantined(workspaceId, 100);
  const newest = quarantined.reduce<Date | null>((m, d) => (m === null || d.receivedAt > m ? d.receivedAt : m), null);
  return {
    lastMessageReceived: [...last].map(([accountId, at]) => ({ accountId, at: at.toISOString() })),
    quarantinedDeliveries: quarantined.length, lastQuarantinedAt: newest?.toISOString() ?? null,
  };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The callback answers a browser, so it answers in HTML: a short page that says what happened and
 * what to do, with the problem type in a data attribute for scripts and tests. A client that does not
 * accept HTML (a script, a test) gets the same outcome as problem+json with the same type.
 */
function page(res: Response, status: number, input: { title: string; message: string; problem?: string; back: string }): void {
  const type = input.problem ? `https://palette.dev/problems/instagram.${input.problem}` : undefined;
  res.set('Cache-Control', 'no-store').status(status);
  if (res.req.accepts(['html', 'json']) === 'json' && type !== undefined) {
    res.type('application/problem+json').send(JSON.stringify({ type, title: input.title, status, detail: input.message }));
    return;
  }
  const problem = type ? ` data-problem-type="${escapeHtml(type)}"` : '';
  res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)} · Palette</title></head>
<body><main${problem}>
<h1>${escapeHtml(input.title)}</h1>
<p>${escapeHtml(input.message)}</p>
<p><a href="${escapeHtml(input.back)}">Back to Palette</a></p>
</main></body></html>`);
}

const workspaceParams = z.object({ workspaceId: z.uuid() });
const STATE_REFUSALS: Record<'unknown' | 'used' | 'expired' | 'other_session', string> = {
  unknown: 'This sign-in link is not one Palette started. Start again from Palette.',
  used: 'This sign-in link was already used. Start again from Palette.',
  expired: 'This sign-in took too long and expired. Start again from Palette.',
  other_session: 'This sign-in was started in another browser session. Start again from this one.',
};

export const instagramRoutes = (c: Container) => {
  const deps = (): InstagramHttpDeps => {
    // A server state the caller cannot fix by retrying: 409 with a code, not a 5xx.
    if (!c.isBound(TOKENS.Instagram)) throw HttpProblem.conflict('Instagram is not set up on this server.', 'instagram.not_configured');
    return c.get(TOKENS.Instagram);
  };
  // Absent in an HTTP process without a queue: connecting still works; follow-up jobs are skipped (logged).
  const jobsOf = (): JobQueue | null => (c.isBound(TOKENS.JobQueue) ? c.get(TOKENS.JobQueue) : null);
  const redirectUri = () => `${c.get(TOKENS.Config).publicUrl}/api/instagram/callback`;
  const states = (repos: Repositories) => new SqlOAuthStates(sqlRowsOf(repos.uow as unknown as Parameters<typeof sqlRowsOf>[0]));

  return [
    defineRoute({
      method: 'get', path: '/api/workspaces/:workspaceId/instagram/connect', summary: 'Start connecting an Instagram professional account', tags: ['instagram'],
      description: 'Redirects (302) to Instagram\'s consent page with the configured scopes and a single-use `state`, valid 10 minutes, bound to this session and workspace.',
      auth: 'session', permission: 'instagram.manage', params: workspaceParams,
      responses: { 302: { description: 'To Instagram\'s authorize page' } },
      problems: ['conflict'],
    }, async ({ principal, res }) => {
      const { services } = deps();
      if (!services.settings.configured) throw HttpProblem.conflict('Set INSTAGRAM_APP_ID and INSTAGRAM_APP_SECRET to connect Instagram accounts.', 'instagram.not_configured');
      const state = randomBytes(32).toString('base64url');
      const repos = c.get(TOKENS.Repositories);
      await states(repos).create({ state, workspaceId: principal.workspaceId, userId: principal.userId, sessionHash: principal.sessionId, now: c.get(TOKENS.Clock).now(), ttlMs: OAUTH_STATE_TTL_MS });
      res.set('Cache-Control', 'no-store').redirect(302, services.client.authorizeUrl({ redirectUri: redirectUri(), scopes: services.settings.scopes, state }));
    }),

    defineRoute({
      method: 'get', path: '/api/instagram/callback', summary: 'Instagram\'s OAuth callback', tags: ['instagram'],
      description: 'Where Instagram sends the merchant back. Checks the state (same session, unused, unexpired), exchanges the code, checks the granted permissions, '
        + 'stores the long-lived token encrypted, subscribes the account to webhooks and queues the backfill of recent conversations. Answers with an HTML page.',
      auth: 'user',
      query: z.object({
        code: z.string().max(2048).optional(), state: z.string().max(256).optional(),
        error: z.string().max(200).optional(), error_reason: z.string().max(200).optional(), error_description: z.string().max(500).optional(),
      }),
      responses: { 200: { description: 'Connected (HTML page)', contentType: 'text/html' } },
    }, async ({ principal, query, res, log }) => {
      const config = c.get(TOKENS.Config);
      const back = `${config.publicUrl}/`;
      const clock = c.get(TOKENS.Clock);
      const repos = c.get(TOKENS.Repositories);
      if (!query.state) return page(res, 400, { title: 'Connection failed', message: STATE_REFUSALS.unknown, problem: 'state-invalid', back });
      const check = await states(repos).consume({ state: query.state, sessionHash: principal.sessionId, now: clock.now() });
      if (!check.ok) return page(res, 400, { title: 'Connection failed', message: STATE_REFUSALS[check.reason], problem: `state-${check.reason}`, back });
      const workspaceId = check.workspaceId;
      const membership = await repos.memberships.find(workspaceId, principal.userId);
      if (!membership || !can(membership.role, 'instagram.manage')) return page(res, 403, { title: 'Connection failed', message: 'You are no longer allowed to connect Instagram accounts in this workspace.', problem: 'forbidden', back });
      if (query.error) {
        return page(res, 400, { title: 'Instagram was not connected', message: query.error === 'access_denied' ? 'You cancelled on Instagram. Nothing was connected.' : `Instagram answered: ${query.error_description ?? query.error}`, problem: 'authorization-denied', back });
      }
      if (!query.code) return page(res, 400, { title: 'Connection failed', message: 'Instagram did not send an authorization code. Start again from Palette.', problem: 'code-missing', back });

      const { services, cipher } = deps();
      const jobs = jobsOf();
      const client = services.client;
      const short = await client.exchangeCode(query.code, redirectUri());
      if (!short.ok) {
        log.warn({ code: short.error.code, kind: short.error.kind }, 'instagram code exchange failed');
        return page(res, 502, { title: 'Connection failed', message: 'Instagram refused the sign-in code (it may have been used already). Start again from Palette.', problem: 'code-exchange-failed', back });
      }
      const missing = missingScopes(short.value.permissions);
      if (missing.length > 0) {
        return page(res, 400, {
          title: 'Permission needed',
          message: `Palette needs the Instagram permission${missing.length > 1 ? 's' : ''} ${missing.join(', ')} to read and answer your direct messages. Connect again and leave ${missing.length > 1 ? 'them' : 'it'} ticked.`,
          problem: 'missing-scopes', back,
        });
      }
      const long = await client.exchangeLongLived(short.value.accessToken);
      if (!long.ok) return page(res, 502, { title: 'Connection failed', message: 'Instagram did not issue a long-lived token. Try again in a moment.', problem: 'token-exchange-failed', back });
      const me = await client.me(long.value.accessToken);
      if (!me.ok) return page(res, 502, { title: 'Connection failed', message: 'Instagram did not tell us which account this is. Try again in a moment.', problem: 'profile-failed', back });

      const connected = await new ConnectInstagramAccount({ ...repos, cipher, clock, ids: c.get(TOKENS.Ids) }).execute({
        workspaceId, igUserId: me.value.userId, username: me.value.username, accountType: me.value.accountType, grantedScopes: short.value.permissions,
        accessToken: long.value.accessToken, tokenExpiresAt: long.value.expiresAt,
      });
      if (!connected.ok) {
        if (connected.error.kind === 'AccountLinkedElsewhere') return page(res, 409, { title: 'Already connected elsewhere', message: `@${me.value.username} is connected to another Palette workspace. Disconnect it there first.`, problem: 'account-linked-elsewhere', back });
        return page(res, 400, { title: 'Permission needed', message: 'Palette needs permission to read and answer your direct messages.', problem: 'missing-scopes', back });
      }
      const account = connected.value.account;
      // Meta's deauthorize and data-deletion callbacks name the account by its app-scoped id (/me `id`),
      // not by `user_id`: remember it now, or those callbacks could not find the account.
      if (me.value.id && me.value.id !== account.igUserId) {
        const aliases = instagramStoresFor(repos.uow).aliases;
        await repos.uow.run(() => aliases.remember(me.value.id!, { workspaceId, accountId: account.id }));
      }
      const subscribed = await client.subscribe(account.igUserId, long.value.accessToken, services.settings.webhookFields);
      if (jobs) {
        await jobs.enqueue({ name: INSTAGRAM_CONNECTED_QUEUE, data: { workspaceId, accountId: account.id }, dedupeKey: `connected:${account.id}:${clock.now().getTime()}` });
      } else {
        log.warn({ accountId: account.id }, 'no job queue in this process: held sends and the backfill wait for the delivery-gap check');
      }
      if (!subscribed.ok) {
        log.warn({ code: subscribed.error.code, kind: subscribed.error.kind }, 'instagram webhook subscription failed');
        return page(res, 502, { title: 'Connected, but not receiving messages yet', message: `@${account.username} is connected, but Instagram refused to send us its messages. Connect again to retry.`, problem: 'subscription-failed', back });
      }
      log.info({ accountId: account.id, reconnected: connected.value.reconnected }, 'instagram account connected');
      return page(res, 200, { title: connected.value.reconnected ? 'Instagram reconnected' : 'Instagram connected', message: `@${account.username} is connected. New direct messages will appear in your inbox.`, back });
    }),

    defineRoute({
      method: 'get', path: '/api/workspaces/:workspaceId/instagram', summary: 'Connected Instagram accounts and their status', tags: ['instagram'],
      auth: 'session', permission: 'instagram.read', params: workspaceParams,
      responses: { 200: { description: 'Accounts of this workspace', body: z.object({ accounts: z.array(InstagramAccountView), sandbox: z.boolean(), configured: z.boolean(), health: ConnectionHealth }) } },
    }, async ({ principal }) => {
      const repos = c.get(TOKENS.Repositories);
      const accounts = await repos.accounts.listByWorkspace(principal.workspaceId);
      const settings = c.isBound(TOKENS.Instagram) ? c.get(TOKENS.Instagram).services.settings : null;
      return { status: 200, body: { accounts: accounts.map(view), sandbox: settings?.sandbox ?? false, configured: settings?.configured ?? false, health: await connectionHealth(repos, principal.workspaceId) } };
    }),

    defineRoute({
      method: 'post', path: '/api/workspaces/:workspaceId/instagram/disconnect', summary: 'Disconnect an Instagram account', tags: ['instagram'],
      description: 'Unsubscribes the account from webhooks, destroys its token at once, marks it disconnected and queues the deletion of its message data.',
      auth: 'session', permission: 'instagram.manage', params: workspaceParams,
      body: z.object({ accountId: z.uuid() }).strict(),
      responses: { 200: { description: 'Disconnected', body: z.object({ account: InstagramAccountView }) } },
      problems: ['not-found'],
    }, async ({ principal, body, log }) => {
      const repos = c.get(TOKENS.Repositories);
      const accountId = Ids.instagramAccount(body.accountId);
      const account = await repos.accounts.get(principal.workspaceId, accountId);
      if (!account) throw HttpProblem.notFound('No such Instagram account in this workspace.');
      const bound = c.isBound(TOKENS.Instagram) ? c.get(TOKENS.Instagram) : null;
      if (bound) {
        // Best effort: a token Instagram already revoked cannot unsubscribe, and must not block the disconnect.
        const token = await readAccountToken({ secrets: repos.secrets, cipher: bound.cipher }, account).catch(() => null);
        if (token) {
          const r = await bound.services.client.unsubscribe(account.igUserId, token);
          if (!r.ok) log.warn({ kind: r.error.kind, code: r.error.code }, 'instagram unsubscribe failed');
        }
      }
      const result = await new DisconnectInstagramAccount({ ...repos, clock: c.get(TOKENS.Clock) }).execute({ workspaceId: principal.workspaceId, accountId });
      if (!result.ok) throw HttpProblem.notFound('No such Instagram account in this workspace.');
      const jobs = jobsOf();
      if (jobs) {
        await jobs.enqueue({ name: REVOCATION_DELETION_QUEUE, data: { workspaceId: principal.workspaceId, accountId }, dedupeKey: `disconnect:${accountId}:${result.value.updatedAt.getTime()}` });
      } else {
        log.warn({ accountId }, 'no job queue in this process: the disconnected account\'s data deletion was not queued');
      }
      return { status: 200, body: { account: view(result.value) } };
    }),
  ];
};
