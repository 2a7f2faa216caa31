import { z } from 'zod';
import type { Container } from 'inversify';
import { assertNever, MIN_PASSWORD_LENGTH, ROLES, type User, type UserPreferences } from '@palette/domain';
import { clearSessionCookie, setSessionCookie, syncPreferencesCookie } from '../auth/cookies.js';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';

export const AccountUser = z
  .object({ id: z.uuid(), name: z.string(), email: z.string(), createdAt: z.iso.datetime() })
  .meta({ id: 'AccountUser', description: 'The signed-in person.' });

export const toAccountUser = (user: User): z.input<typeof AccountUser> => ({ id: user.id, name: user.name, email: user.email, createdAt: user.createdAt.toISOString() });

const AccountMembership = z
  .object({ workspaceId: z.uuid(), workspaceName: z.string(), role: z.enum(ROLES) })
  .meta({ id: 'AccountMembership', description: 'A workspace the user belongs to, and their role in it.' });

const knownZones = new Set(Intl.supportedValuesOf('timeZone'));

const Preferences = z
  .object({
    timezone: z.string().refine((tz) => tz === 'UTC' || knownZones.has(tz), 'must be an IANA time zone such as Europe/Paris').optional(),
    language: z.string().regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as en or pt-BR').optional(),
    theme: z.enum(['light', 'dark', 'system']).optional(),
    dashboard: z
      .record(z.string().min(1).max(64), z.union([z.string().max(200), z.number(), z.boolean()]))
      .refine((d) => Object.keys(d).length <= 50, 'at most 50 settings')
      .optional(),
    cookieConsent: z.boolean().optional().describe('Consent to the non-essential `palette_prefs` cookie (theme and language for the UI). Without it, only the session cookie is set.'),
  })
  .strict()
  .meta({ id: 'AccountPreferences', description: 'Stored on the server: the source of truth, with or without the preferences cookie.' });

const toPreferences = (p: UserPreferences): z.input<typeof Preferences> => ({
  ...(p.timezone === undefined ? {} : { timezone: p.timezone }),
  ...(p.language === undefined ? {} : { language: p.language }),
  ...(p.theme === undefined ? {} : { theme: p.theme }),
  ...(p.dashboard === undefined ? {} : { dashboard: { ...p.dashboard } }),
  ...(p.cookieConsent === undefined ? {} : { cookieConsent: p.cookieConsent }),
});

const Me = z.object({ user: AccountUser, memberships: z.array(AccountMembership) }).meta({ id: 'Me' });

const password = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(1024);

export const meRoutes = (c: Container) => [
  defineRoute(
    { method: 'get', path: '/api/me', summary: 'Who am I: the user and their workspaces', tags: ['account'], auth: 'user', responses: { 200: { description: 'The user and every membership', body: Me } } },
    async ({ principal }) => {
      const repos = c.get(TOKENS.Repositories);
      const user = await repos.users.get(principal.userId);
      if (!user) throw HttpProblem.unauthenticated();
      const memberships = await repos.memberships.listByUser(user.id);
      const workspaces = await Promise.all(memberships.map((m) => repos.workspaces.get(m.workspaceId)));
      return {
        status: 200,
        body: {
          user: toAccountUser(user),
          memberships: memberships.flatMap((m, i) => {
            const ws = workspaces[i];
            return ws ? [{ workspaceId: m.workspaceId, workspaceName: ws.name, role: m.role }] : [];
          }),
        },
      };
    },
  ),
  defineRoute(
    {
      method: 'patch',
      path: '/api/me',
      summary: 'Correct my name or email',
      description: 'The right of correction. The change is audited by field name, without the old or new values.',
      tags: ['account'],
      auth: 'user',
      body: z
        .object({ name: z.string().max(200).optional(), email: z.string().max(254).optional() })
        .strict()
        .refine((b) => b.name !== undefined || b.email !== undefined, 'give name, email or both'),
      responses: { 200: { description: 'The corrected user', body: AccountUser } },
      problems: ['conflict'],
    },
    async ({ body, principal, requestId }) => {
      const result = await c.get(TOKENS.ManageAccount).correct({ userId: principal.userId, ...body, requestId });
      if (!result.ok) {
        switch (result.error.kind) {
          case 'InvalidName': throw HttpProblem.validation([{ path: 'body.name', message: 'must be 1 to 120 characters', code: 'invalid_name' }]);
          case 'InvalidEmail': throw HttpProblem.validation([{ path: 'body.email', message: 'must be an email address', code: 'invalid_email' }]);
          case 'EmailTaken': throw HttpProblem.conflict('Another account uses this email.', 'account.email_taken');
          case 'NotFound': throw HttpProblem.unauthenticated();
          default: return assertNever(result.error);
        }
      }
      return { status: 200, body: toAccountUser(result.value) };
    },
  ),
  defineRoute(
    { method: 'get', path: '/api/me/preferences', summary: 'My preferences', tags: ['account'], auth: 'user', responses: { 200: { description: 'The stored preferences', body: Preferences } } },
    async ({ principal }) => {
      const user = await c.get(TOKENS.Repositories).users.get(principal.userId);
      if (!user) throw HttpProblem.unauthenticated();
      return { status: 200, body: toPreferences(user.preferences) };
    },
  ),
  defineRoute(
    {
      method: 'put',
      path: '/api/me/preferences',
      summary: 'Replace my preferences',
      description: 'Sets the `palette_prefs` cookie when `cookieConsent` is true, and clears it otherwise.',
      tags: ['account'],
      auth: 'user',
      body: Preferences,
      responses: { 200: { description: 'The stored preferences', body: Preferences } },
    },
    async ({ body, principal, req, res }) => {
      const result = await c.get(TOKENS.ManageAccount).replacePreferences({ userId: principal.userId, preferences: body });
      if (!result.ok) throw HttpProblem.unauthenticated();
      syncPreferencesCookie(req, res, result.value.preferences);
      return { status: 200, body: toPreferences(result.value.preferences) };
    },
  ),
  defineRoute(
    {
      method: 'put',
      path: '/api/me/password',
      summary: 'Change my password',
      description: 'Needs the current password. Ends every session of the account; this browser gets a new one.',
      tags: ['account'],
      auth: 'user',
      body: z.object({ currentPassword: z.string().max(1024), newPassword: password }).strict(),
      responses: { 204: { description: 'Changed; a new session cookie is set' } },
      problems: ['unprocessable'],
    },
    async ({ body, principal, requestId, req, res }) => {
      const result = await c.get(TOKENS.ManageAccount).changePassword({ userId: principal.userId, currentPassword: body.currentPassword, newPassword: body.newPassword, requestId });
      if (!result.ok) {
        switch (result.error.kind) {
          case 'WrongPassword': throw HttpProblem.unprocessable('The current password is wrong.', 'account.wrong_password');
          case 'WeakPassword': throw HttpProblem.validation([{ path: 'body.newPassword', message: `must be at least ${result.error.minLength} characters`, code: 'too_small' }]);
          case 'NotFound':
            clearSessionCookie(req, res);
            throw HttpProblem.unauthenticated();
          default: return assertNever(result.error);
        }
      }
      const started = await c.get(TOKENS.ManageSessions).start(principal.userId, null);
      setSessionCookie(req, res, started.token, started.session.absoluteExpiresAt);
      return { status: 204 };
    },
  ),
];
