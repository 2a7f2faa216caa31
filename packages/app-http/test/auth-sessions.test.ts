import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { AuditEntry } from '@palette/domain';
import { InMemoryDatabase } from '@palette/domain/in-memory';
import { openDatabase, persistenceModule, type Database, type DatabaseOrm, type MikroOrmSession } from '@palette/adapters/persistence';
import { createScratchPostgresDatabase, describeOnPostgres, type ScratchPostgresDatabase } from '../../adapters/test/support/databases.js';
import { TOKENS } from '../src/tokens.js';
import { buildSessionApp, sessionCookieOf, setCookieHeader, signUp, type SessionApp, type SessionAppOptions } from './support/session-app.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const PROBLEM = 'https://palette.dev/problems/';

/** Every audit entry, whatever the workspace (sign-in entries have none), straight from the store. */
async function auditEntries(s: SessionApp): Promise<AuditEntry[]> {
  const repos = s.container.get(TOKENS.Repositories);
  if (repos.uow instanceof InMemoryDatabase) return repos.uow.scan<AuditEntry>('audit_entries');
  const rows = await (repos.uow as MikroOrmSession).execute<Array<Record<string, unknown>>>('select * from audit_entries order by at, id');
  return rows.map((r) => ({ ...r, actor: r['actor'], action: r['action'], requestId: r['request_id'], details: r['details'], workspaceId: r['workspace_id'] }) as unknown as AuditEntry);
}

/** Check 32: nothing a log line carries may be a credential we handed out or received. */
function expectNoSecrets(s: SessionApp, secrets: readonly string[]): void {
  const text = s.logs.lines.join('\n');
  expect(s.logs.lines.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

const flags = (header: string | undefined) => (header ?? '').split(';').map((p) => p.trim().toLowerCase());

function authSuite(name: string, orm: () => DatabaseOrm | undefined): void {
  // Emails and addresses differ per backend: the PostgreSQL-backed suites share one database per file.
  const backend = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const build = (options: Omit<SessionAppOptions, 'orm'> = {}) => {
    const db = orm();
    return buildSessionApp({ ...options, ...(db ? { orm: db } : {}) });
  };

  describe(`sessions over HTTP (${name})`, () => {
    it('register sets an HttpOnly, SameSite=Lax session cookie and GET /api/me answers with the workspaces', async () => {
      const s = build();
      const password = 'a long enough passphrase';
      const res = await request(s.app).post('/api/auth/register').send({ name: 'Ana', email: `Ana.${backend}@Example.com`, password, workspaceName: 'Ana Tees' });
      expect(res.status).toBe(201);
      expect(res.body.user).toMatchObject({ name: 'Ana', email: `ana.${backend}@example.com` });
      const header = setCookieHeader(res.headers['set-cookie'], 'palette_session');
      expect(flags(header)).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'path=/']));
      expect(flags(header)).not.toContain('secure');
      const cookie = sessionCookieOf(res.headers['set-cookie'])!;

      const me = await request(s.app).get('/api/me').set('Cookie', cookie);
      expect(me.status).toBe(200);
      expect(me.body.memberships).toEqual([{ workspaceId: res.body.workspace.id, workspaceName: 'Ana Tees', role: 'owner' }]);

      // Only the hash is stored: the cookie value is not a session id.
      const repos = s.container.get(TOKENS.Repositories);
      const token = cookie.split('=')[1]!;
      expect(await repos.sessions.get(token)).toBeNull();
      expect(await repos.sessions.get(sha256(token))).not.toBeNull();
      expectNoSecrets(s, [password, token]);
    });

    it('uses a Secure __Host- cookie only behind TLS with TRUST_PROXY, and ignores the plain name there', async () => {
      const proxied = build({ env: { TRUST_PROXY: '1' } });
      const res = await request(proxied.app).post('/api/auth/register').set('X-Forwarded-Proto', 'https')
        .send({ name: 'Bo', email: `bo.${backend}@example.com`, password: 'a long enough passphrase' });
      expect(res.status).toBe(201);
      const header = setCookieHeader(res.headers['set-cookie'], '__Host-palette_session');
      expect(flags(header)).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'path=/', 'secure']));
      expect(header).not.toMatch(/domain=/i);
      const token = sessionCookieOf(res.headers['set-cookie'])!.split('=')[1]!;
      expect((await request(proxied.app).get('/api/me').set('X-Forwarded-Proto', 'https').set('Cookie', `__Host-palette_session=${token}`)).status).toBe(200);
      expect((await request(proxied.app).get('/api/me').set('X-Forwarded-Proto', 'https').set('Cookie', `palette_session=${token}`)).status).toBe(401);

      // Without TRUST_PROXY anyone could send the header, so it does not make the request secure.
      const direct = build();
      const plain = await request(direct.app).post('/api/auth/register').set('X-Forwarded-Proto', 'https')
        .send({ name: 'Cy', email: `cy.${backend}@example.com`, password: 'a long enough passphrase' });
      expect(setCookieHeader(plain.headers['set-cookie'], 'palette_session')).toBeDefined();
      expect(flags(setCookieHeader(plain.headers['set-cookie'], 'palette_session'))).not.toContain('secure');
    });

    it('gives a new session on login, revokes the one it replaces, and is dead after logout', async () => {
      const s = build();
      const account = await signUp(s.app);
      const login = await request(s.app).post('/api/auth/login').set('Cookie', account.cookie).send({ email: account.email, password: account.password });
      expect(login.status).toBe(200);
      const fresh = sessionCookieOf(login.headers['set-cookie'])!;
      expect(fresh).not.toBe(account.cookie);
      expect((await request(s.app).get('/api/me').set('Cookie', account.cookie)).status).toBe(401);
      expect((await request(s.app).get('/api/me').set('Cookie', fresh)).status).toBe(200);

      const logout = await request(s.app).post('/api/auth/logout').set('Cookie', fresh);
      expect(logout.status).toBe(204);
      expect(flags(setCookieHeader(logout.headers['set-cookie'], 'palette_session'))).toEqual(expect.arrayContaining([expect.stringMatching(/^expires=thu, 01 jan 1970/)]));
      const after = await request(s.app).get('/api/me').set('Cookie', fresh);
      expect(after.status).toBe(401);
      expect(after.body.type).toBe(`${PROBLEM}unauthenticated`);

      const actions = (await auditEntries(s)).filter((e) => e.actor.id === account.userId).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['auth.login', 'auth.logout']));
      expectNoSecrets(s, [account.password, account.token, fresh.split('=')[1]!]);
    });

    it('expires after idle time and at the absolute limit (fake clock), touching at most once a minute', async () => {
      const s = build({ env: { SESSION_IDLE_HOURS: '2', SESSION_ABSOLUTE_DAYS: '1' } });
      const account = await signUp(s.app);
      const sessions = () => s.container.get(TOKENS.Repositories).sessions;
      const lastSeen = async () => (await sessions().get(sha256(account.token)))!.lastSeenAt.toISOString();
      const started = await lastSeen();

      s.clock.advance(30_000);
      expect((await request(s.app).get('/api/me').set('Cookie', account.cookie)).status).toBe(200);
      expect(await lastSeen()).toBe(started);
      s.clock.advance(31_000);
      expect((await request(s.app).get('/api/me').set('Cookie', account.cookie)).status).toBe(200);
      expect(await lastSeen()).not.toBe(started);

      // Activity every 90 minutes keeps it alive past the 2 h idle limit, until the 24 h absolute one.
      for (let elapsed = 1.5; elapsed < 24; elapsed += 1.5) {
        s.clock.advance(90 * 60_000);
        expect((await request(s.app).get('/api/me').set('Cookie', account.cookie)).status, `after ${elapsed} h`).toBe(200);
      }
      s.clock.advance(90 * 60_000);
      expect((await request(s.app).get('/api/me').set('Cookie', account.cookie)).status).toBe(401);

      const idle = await signUp(s.app);
      s.clock.advance(2 * 3600_000);
      expect((await request(s.app).get('/api/me').set('Cookie', idle.cookie)).status).toBe(401);
    });

    it('logs out everywhere', async () => {
      const s = build();
      const account = await signUp(s.app);
      const other = await request(s.app).post('/api/auth/login').send({ email: account.email, password: account.password });
      const otherCookie = sessionCookieOf(other.headers['set-cookie'])!;
      const res = await request(s.app).post('/api/auth/logout-all').set('Cookie', account.cookie);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ sessionsEnded: 2 });
      expect((await request(s.app).get('/api/me').set('Cookie', otherCookie)).status).toBe(401);
      expect((await request(s.app).get('/api/me').set('Cookie', account.cookie)).status).toBe(401);
    });

    it('throttles 20 failed logins with 429 and Retry-After; the right password works after the window', async () => {
      const s = build({ env: { TRUST_PROXY: '1' } });
      const account = await signUp(s.app);
      const ip = `198.51.100.${backend.length}`;
      const attempt = (password: string, email = account.email) =>
        request(s.app).post('/api/auth/login').set('X-Forwarded-For', ip).send({ email, password });

      const unknown = await attempt('whatever it is', `nobody.${backend}@example.com`);
      const statuses: number[] = [];
      let limited: request.Response | undefined;
      for (let i = 0; i < 20; i += 1) {
        const res = await attempt(`wrong guess ${i}`);
        statuses.push(res.status);
        if (res.status === 429) limited = res;
        else expect(res.body).toMatchObject({ type: unknown.body.type, title: unknown.body.title, detail: unknown.body.detail });
      }
      expect(unknown.status).toBe(401);
      expect(unknown.body.detail).toBe('The email or password is wrong.');
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual(Array(10).fill(429));
      expect(limited!.body.type).toBe(`${PROBLEM}rate-limited`);
      const retryAfter = Number(limited!.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);

      expect((await attempt(account.password)).status).toBe(429);
      s.clock.advance(retryAfter * 1000);
      expect((await attempt(account.password)).status).toBe(200);

      const failed = (await auditEntries(s)).filter((e) => e.action === 'auth.login_failed' && e.actor.id === sha256(account.email));
      // Ten wrong passwords, then eleven refusals (the right password among them) while throttled.
      expect(failed.map((e) => e.details['reason'])).toEqual([...Array(10).fill('credentials'), ...Array(11).fill('throttled')]);
      expect(failed.every((e) => e.actor.kind === 'anonymous' && e.workspaceId === null && typeof e.requestId === 'string')).toBe(true);
      expect(JSON.stringify(failed)).not.toContain('wrong guess');
      expectNoSecrets(s, ['wrong guess', account.password]);
    });

    it('throttles one address trying many emails', async () => {
      const s = build({ env: { TRUST_PROXY: '1' }, throttle: { windowMs: 15 * 60_000, maxFailuresPerEmail: 10, maxFailuresPerIp: 5 } });
      const account = await signUp(s.app);
      const ip = `203.0.113.${backend.length}`;
      for (let i = 0; i < 5; i += 1) {
        expect((await request(s.app).post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: `spray${i}@example.com`, password: 'x' })).status).toBe(401);
      }
      expect((await request(s.app).post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: account.email, password: account.password })).status).toBe(429);
      expect((await request(s.app).post('/api/auth/login').set('X-Forwarded-For', '192.0.2.77').send({ email: account.email, password: account.password })).status).toBe(200);
    });

    it('refuses cookie-authenticated writes from another origin (CSRF), allows same origin and non-browser clients', async () => {
      const s = build({ env: { CORS_ORIGINS: 'https://dashboard.example' } });
      const account = await signUp(s.app);
      const patch = () => request(s.app).patch('/api/me').set('Cookie', account.cookie);

      const foreign = await patch().set('Origin', 'https://evil.example').send({ name: 'Mallory' });
      expect(foreign.status).toBe(403);
      expect(foreign.body.type).toBe(`${PROBLEM}csrf`);
      expect((await patch().set('Sec-Fetch-Site', 'cross-site').send({ name: 'Mallory' })).status).toBe(403);
      expect((await patch().set('Origin', 'null').send({ name: 'Mallory' })).status).toBe(403);
      expect((await request(s.app).post('/api/auth/logout').set('Cookie', account.cookie).set('Origin', 'https://evil.example')).status).toBe(403);
      expect((await request(s.app).post('/api/auth/login').set('Origin', 'https://evil.example').send({ email: account.email, password: account.password })).status).toBe(403);

      expect((await patch().set('Origin', 'http://localhost:3000').set('Sec-Fetch-Site', 'same-origin').send({ name: 'Ana' })).status).toBe(200);
      expect((await patch().set('Origin', 'https://dashboard.example').send({ name: 'Ana B' })).status).toBe(200);
      const curl = await patch().send({ name: 'Ana C' });
      expect(curl.status).toBe(200);
      expect(curl.body.name).toBe('Ana C');
      // Reads are not state-changing: a cross-site GET is left to SameSite and CORS.
      expect((await request(s.app).get('/api/me').set('Cookie', account.cookie).set('Origin', 'https://evil.example')).status).toBe(200);
    });

    it('sets the preferences cookie only with consent and clears it when consent is withdrawn', async () => {
      const s = build();
      const account = await signUp(s.app);
      const put = (body: object, extraCookie = '') => request(s.app).put('/api/me/preferences').set('Cookie', `${account.cookie}${extraCookie}`).send(body);

      const without = await put({ theme: 'dark', language: 'pt-BR', timezone: 'Europe/Lisbon', dashboard: { range: '7d' } });
      expect(without.status).toBe(200);
      expect(setCookieHeader(without.headers['set-cookie'], 'palette_prefs')).toBeUndefined();
      expect((await request(s.app).get('/api/me/preferences').set('Cookie', account.cookie)).body).toEqual({ theme: 'dark', language: 'pt-BR', timezone: 'Europe/Lisbon', dashboard: { range: '7d' } });

      const consented = await put({ theme: 'dark', language: 'pt-BR', cookieConsent: true });
      const prefs = setCookieHeader(consented.headers['set-cookie'], 'palette_prefs');
      expect(prefs).toMatch(/^palette_prefs=theme%3Ddark%26lang%3Dpt-BR;/);
      expect(flags(prefs)).not.toContain('httponly');
      expect(flags(prefs)).toContain('samesite=lax');
      // PUT replaces: the timezone and dashboard not sent are gone.
      expect(consented.body).toEqual({ theme: 'dark', language: 'pt-BR', cookieConsent: true });

      const login = await request(s.app).post('/api/auth/login').send({ email: account.email, password: account.password });
      expect(setCookieHeader(login.headers['set-cookie'], 'palette_prefs')).toBeDefined();

      const withdrawn = await put({ theme: 'dark', cookieConsent: false }, '; palette_prefs=theme%3Ddark');
      expect(setCookieHeader(withdrawn.headers['set-cookie'], 'palette_prefs')).toMatch(/Expires=Thu, 01 Jan 1970/);
      expect((await request(s.app).get('/api/me/preferences').set('Cookie', account.cookie)).body).toEqual({ theme: 'dark', cookieConsent: false });
      const loginAgain = await request(s.app).post('/api/auth/login').send({ email: account.email, password: account.password });
      expect(setCookieHeader(loginAgain.headers['set-cookie'], 'palette_prefs')).toMatch(/Expires=Thu, 01 Jan 1970/);

      expect((await put({ theme: 'neon' })).status).toBe(400);
    });

    it('resets a password end to end through the outbox: single use, one hour, every session ended', async () => {
      const s = build();
      const account = await signUp(s.app);
      const outbox = () => s.container.get(TOKENS.AuthRecords).outbox;

      const unknown = await request(s.app).post('/api/auth/password-reset').send({ email: `nobody-${backend}@example.com` });
      expect(unknown.status).toBe(202);
      expect(await outbox().listTo(`nobody-${backend}@example.com`)).toEqual([]);

      expect((await request(s.app).post('/api/auth/password-reset').send({ email: account.email.toUpperCase() })).status).toBe(202);
      const [mail] = await outbox().listTo(account.email);
      expect(mail).toMatchObject({ kind: 'password_reset', workspaceId: null, sentAt: null });
      const token = /#token=([A-Za-z0-9_-]+)/.exec(mail!.body)?.[1];
      expect(mail!.body).toContain('http://localhost:3000/reset-password#token=');
      expect(token).toBeDefined();

      const newPassword = 'a brand new passphrase';
      const confirm = (password: string, t = token!) => request(s.app).post('/api/auth/password-reset/confirm').send({ token: t, password });
      expect((await confirm('short')).status).toBe(400);
      expect((await confirm(newPassword, 'not-a-real-token')).body.code).toBe('auth.reset_token_invalid');
      expect((await confirm(newPassword)).status).toBe(204);
      expect((await confirm('yet another passphrase')).status).toBe(422);

      expect((await request(s.app).get('/api/me').set('Cookie', account.cookie)).status).toBe(401);
      expect((await request(s.app).post('/api/auth/login').send({ email: account.email, password: account.password })).status).toBe(401);
      expect((await request(s.app).post('/api/auth/login').send({ email: account.email, password: newPassword })).status).toBe(200);

      // A link older than an hour is refused.
      await request(s.app).post('/api/auth/password-reset').send({ email: account.email });
      const [late] = await outbox().listTo(account.email);
      const lateToken = /#token=([A-Za-z0-9_-]+)/.exec(late!.body)![1]!;
      expect(lateToken).not.toBe(token);
      s.clock.advance(3600_000 + 1);
      expect((await confirm('too late a passphrase', lateToken)).status).toBe(422);

      const actions = (await auditEntries(s)).filter((e) => e.actor.id === account.userId || e.actor.id === sha256(account.email)).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['auth.password_reset_requested', 'auth.password_reset']));
      expectNoSecrets(s, [token!, lateToken, newPassword, account.password, account.token]);
    });

    it('corrects name and email (audited by field, not value) and changes the password', async () => {
      const s = build();
      const account = await signUp(s.app);
      const taken = await signUp(s.app);
      const newEmail = `corrected-${backend}-${Date.now()}@example.com`;
      const res = await request(s.app).patch('/api/me').set('Cookie', account.cookie).send({ name: 'Ana Corrected', email: newEmail });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'Ana Corrected', email: newEmail });
      expect((await request(s.app).patch('/api/me').set('Cookie', account.cookie).send({ email: taken.email })).body.code).toBe('account.email_taken');
      expect((await request(s.app).patch('/api/me').set('Cookie', account.cookie).send({})).status).toBe(400);
      const corrected = (await auditEntries(s)).find((e) => e.action === 'account.corrected' && e.actor.id === account.userId);
      expect(corrected?.details).toEqual({ fields: 'name,email' });
      expect(corrected?.requestId).toEqual(expect.any(String));
      expect(JSON.stringify(corrected)).not.toContain(newEmail);

      const change = (currentPassword: string) => request(s.app).put('/api/me/password').set('Cookie', account.cookie).send({ currentPassword, newPassword: 'the next passphrase' });
      expect((await change('not the password')).body.code).toBe('account.wrong_password');
      const changed = await change(account.password);
      expect(changed.status).toBe(204);
      const next = sessionCookieOf(changed.headers['set-cookie'])!;
      expect((await request(s.app).get('/api/me').set('Cookie', account.cookie)).status).toBe(401);
      expect((await request(s.app).get('/api/me').set('Cookie', next)).status).toBe(200);
      expectNoSecrets(s, ['the next passphrase', account.password, account.token, next.split('=')[1]!]);
    });
  });
}

authSuite('in memory', () => undefined);

describe('PGlite', () => {
  let database: Database | undefined;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://', ...persistenceModule() });
    await database.migrate();
  });
  afterAll(async () => {
    await database?.close();
  });
  authSuite('PGlite', () => database!.orm);
});

describeOnPostgres('sessions over HTTP', () => {
  let scratch: ScratchPostgresDatabase | undefined;
  let database: Database | undefined;
  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase();
    database = await openDatabase({ databaseUrl: scratch.url, dataDir: 'memory://', ...persistenceModule() });
    await database.migrate();
  });
  afterAll(async () => {
    await database?.close();
    await scratch?.drop();
  });
  authSuite('PostgreSQL', () => database!.orm);
});
