import { z } from 'zod';
import type { Container } from 'inversify';
import type { Request } from 'express';
import { assertNever, MIN_PASSWORD_LENGTH, type RegisterAccountError, type User } from '@palette/domain';
import { clearSessionCookie, readSessionToken, setSessionCookie, syncPreferencesCookie } from '../auth/cookies.js';
import { assertSameOrigin } from '../auth/csrf.js';
import type { FieldError } from '../http/problem.js';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';
import { AccountUser, toAccountUser } from './me.route.js';

const email = z.string().trim().min(3).max(254);
// The upper bound keeps one request from buying minutes of KDF time.
const newPassword = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(1024);

const RegisteredAccount = z
  .object({
    user: AccountUser,
    workspace: z.object({ id: z.uuid(), name: z.string(), timezone: z.string(), defaultCurrency: z.string() }),
  })
  .meta({ id: 'RegisteredAccount' });

const SIGN_IN_FAILED = 'The email or password is wrong.';

function registerProblem(error: RegisterAccountError): HttpProblem {
  const field = (path: string, message: string, code: string): HttpProblem => HttpProblem.validation([{ path, message, code } satisfies FieldError]);
  switch (error.kind) {
    case 'EmailTaken': return HttpProblem.conflict('An account with this email exists. Sign in, or reset its password.', 'account.email_taken');
    case 'WeakPassword': return field('body.password', `must be at least ${error.minLength} characters`, 'too_small');
    case 'InvalidName': return field('body.name', 'must be 1 to 120 characters', 'invalid_name');
    case 'InvalidEmail': return field('body.email', 'must be an email address', 'invalid_email');
    case 'InvalidWorkspaceName': return field('body.workspaceName', 'must be 1 to 120 characters', 'invalid_name');
    case 'InvalidTimezone': return field('body.timezone', 'must be an IANA time zone such as Europe/Paris', 'invalid_timezone');
    case 'InvalidCurrency': return field('body.currency', 'must be an ISO 4217 code such as EUR', 'invalid_currency');
    default: return assertNever(error);
  }
}

export const authRoutes = (c: Container) => {
  // Sign-in routes are public, so the authenticator's origin check does not run: a forged
  // cross-site login would sign the victim into the attacker's account.
  const sameOrigin = (req: Request) => {
    const config = c.get(TOKENS.Config);
    assertSameOrigin(req, { publicUrl: config.publicUrl, corsOrigins: config.corsOrigins });
  };
  const currentSessionHash = (req: Request): string | null => {
    const token = readSessionToken(req);
    return token === null ? null : c.get(TOKENS.Digest).sha256Hex(token);
  };
  const startSession = async (req: Request, res: Parameters<typeof setSessionCookie>[1], user: User) => {
    const started = await c.get(TOKENS.ManageSessions).start(user.id, currentSessionHash(req));
    setSessionCookie(req, res, started.token, started.session.absoluteExpiresAt);
  };

  return [
    defineRoute(
      {
        method: 'post',
        path: '/api/auth/register',
        summary: 'Create an account and its first workspace',
        description: 'Signs the new user in: the response sets the session cookie.',
        tags: ['auth'],
        auth: 'public',
        body: z
          .object({
            name: z.string().max(200),
            email,
            password: newPassword,
            workspaceName: z.string().max(200).optional(),
            timezone: z.string().max(64).optional(),
            currency: z.string().max(3).optional(),
          })
          .strict(),
        responses: { 201: { description: 'The user and their workspace; the session cookie is set', body: RegisteredAccount } },
        problems: ['conflict', 'csrf'],
      },
      async ({ body, req, res }) => {
        sameOrigin(req);
        const result = await c.get(TOKENS.RegisterAccount).execute(body);
        if (!result.ok) throw registerProblem(result.error);
        const { user, workspace } = result.value;
        await startSession(req, res, user);
        return {
          status: 201,
          body: { user: toAccountUser(user), workspace: { id: workspace.id, name: workspace.name, timezone: workspace.timezone, defaultCurrency: workspace.defaultCurrency } },
        };
      },
    ),
    defineRoute(
      {
        method: 'post',
        path: '/api/auth/login',
        summary: 'Sign in',
        description:
          'Sets a new session cookie (any previous one is revoked). Every failure is the same 401. After repeated failures ' +
          'for one email or from one address, sign-in answers 429 with Retry-After until the window ends, even for the right password.',
        tags: ['auth'],
        auth: 'public',
        body: z.object({ email: z.string().max(254), password: z.string().max(1024) }).strict(),
        responses: { 200: { description: 'Signed in; the session cookie is set', body: z.object({ user: AccountUser }) } },
        problems: ['unauthenticated', 'csrf'],
      },
      async ({ body, req, res, requestId }) => {
        sameOrigin(req);
        const result = await c.get(TOKENS.LogIn).execute({ email: body.email, password: body.password, ip: req.ip ?? 'unknown', replacing: currentSessionHash(req), requestId });
        if (!result.ok) {
          switch (result.error.kind) {
            case 'InvalidCredentials': throw HttpProblem.unauthenticated(SIGN_IN_FAILED);
            case 'Throttled': {
              const seconds = result.error.retryAfterSeconds;
              throw new HttpProblem('rate-limited', {
                detail: `Too many failed sign-ins. Try again in ${seconds} seconds.`,
                headers: { 'Retry-After': String(seconds) },
                extensions: { retryAfterSeconds: seconds },
              });
            }
            default: return assertNever(result.error);
          }
        }
        setSessionCookie(req, res, result.value.token, result.value.session.absoluteExpiresAt);
        syncPreferencesCookie(req, res, result.value.user.preferences);
        return { status: 200, body: { user: toAccountUser(result.value.user) } };
      },
    ),
    defineRoute(
      { method: 'post', path: '/api/auth/logout', summary: 'Sign out this browser', tags: ['auth'], auth: 'user', responses: { 204: { description: 'Signed out; the cookie is cleared' } } },
      async ({ principal, requestId, req, res }) => {
        await c.get(TOKENS.ManageSessions).end(principal.sessionId, requestId);
        clearSessionCookie(req, res);
        return { status: 204 };
      },
    ),
    defineRoute(
      {
        method: 'post',
        path: '/api/auth/logout-all',
        summary: 'Sign out everywhere',
        description: 'Ends every session of the account, this one included.',
        tags: ['auth'],
        auth: 'user',
        responses: { 200: { description: 'How many sessions were ended', body: z.object({ sessionsEnded: z.number().int() }) } },
      },
      async ({ principal, requestId, req, res }) => {
        const sessionsEnded = await c.get(TOKENS.ManageSessions).endAll(principal.userId, requestId);
        clearSessionCookie(req, res);
        return { status: 200, body: { sessionsEnded } };
      },
    ),
    defineRoute(
      {
        method: 'post',
        path: '/api/auth/password-reset',
        summary: 'Ask for a password reset link',
        description: 'Always 202, whether or not the email has an account. If it has, a mail with a single-use link valid for one hour is sent.',
        tags: ['auth'],
        auth: 'public',
        body: z.object({ email: z.string().max(254) }).strict(),
        responses: { 202: { description: 'Accepted' } },
      },
      async ({ body, requestId }) => {
        await c.get(TOKENS.RequestPasswordReset).execute({ email: body.email, requestId });
        return { status: 202 };
      },
    ),
    defineRoute(
      {
        method: 'post',
        path: '/api/auth/password-reset/confirm',
        summary: 'Choose a new password with a reset link',
        description: 'Spends the link and ends every session of the account; sign in again with the new password.',
        tags: ['auth'],
        auth: 'public',
        body: z.object({ token: z.string().min(1).max(256), password: newPassword }).strict(),
        responses: { 204: { description: 'The password is changed' } },
        problems: ['unprocessable'],
      },
      async ({ body, requestId, req, res }) => {
        const result = await c.get(TOKENS.ConfirmPasswordReset).execute({ token: body.token, password: body.password, requestId });
        if (!result.ok) {
          switch (result.error.kind) {
            case 'InvalidResetToken': throw HttpProblem.unprocessable('This reset link is invalid, used or expired. Ask for a new one.', 'auth.reset_token_invalid');
            case 'WeakPassword': throw HttpProblem.validation([{ path: 'body.password', message: `must be at least ${result.error.minLength} characters`, code: 'too_small' }]);
            default: return assertNever(result.error);
          }
        }
        clearSessionCookie(req, res);
        return { status: 204 };
      },
    ),
  ];
};
