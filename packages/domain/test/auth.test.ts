import { describe, expect, it } from 'vitest';
import {
  ConfirmPasswordReset, ConcurrencyConflictError, LogIn, ManageAccount, ManageSessions, RegisterAccount, RequestPasswordReset, SESSION_TOUCH_INTERVAL_MS,
  type Digest, type Mailer,
} from '../src/index.js';
import { createInMemoryAuthRecords, createInMemoryRepositories, FakeClock, InsecureTestPasswordHasher, SequentialIds } from '../in-memory/index.js';
import { knownTimezones, unwrap } from '../testing/index.js';

const MINUTE = 60_000;
// Not SHA-256, but one-to-one and visibly derived, which is all the core relies on.
const digest: Digest = { sha256Hex: (text) => `h(${text})` };

function harness() {
  const repos = createInMemoryRepositories();
  const records = createInMemoryAuthRecords(repos.db);
  const clock = new FakeClock('2026-03-01T10:00:00Z');
  const ids = new SequentialIds();
  let n = 0;
  const tokens = { next: () => `token-${(n += 1)}` };
  const hasher = new InsecureTestPasswordHasher();
  const verified: string[] = [];
  const spyHasher = { hash: (p: string) => hasher.hash(p), verify: (p: string, h: string) => { verified.push(h); return hasher.verify(p, h); } };
  const mails: Array<Parameters<Mailer['send']>[0]> = [];
  const mailer: Mailer = { send: async (m) => { mails.push(m); } };
  const sessionPolicy = { idleMs: 2 * 3600_000, absoluteMs: 24 * 3600_000 };
  const sessions = new ManageSessions({ ...repos, clock, ids, digest, tokens, sessionPolicy });
  return {
    repos, records, clock, mails, verified,
    sessions,
    register: new RegisterAccount({ ...repos, hasher, clock, ids, workspaceOptions: knownTimezones }),
    login: new LogIn({
      ...repos, throttle: records.throttle, hasher: spyHasher, clock, ids, digest, sessions,
      throttlePolicy: { windowMs: 15 * MINUTE, maxFailuresPerEmail: 3, maxFailuresPerIp: 5 }, dummyHash: async () => 'dummy-hash',
    }),
    requestReset: new RequestPasswordReset({ ...repos, resetTokens: records.resetTokens, mailer, clock, ids, digest, tokens, resetLink: (t) => `https://shop.example/reset#token=${t}` }),
    confirmReset: new ConfirmPasswordReset({ ...repos, resetTokens: records.resetTokens, hasher, clock, ids, digest }),
    account: new ManageAccount({ ...repos, hasher, clock, ids }),
  };
}
type H = ReturnType<typeof harness>;

async function ana(h: H) {
  return unwrap(await h.register.execute({ name: 'Ana', email: 'ana@example.com', password: 'a long passphrase' })).user;
}
const attempt = (h: H, password: string, extra: { email?: string; ip?: string; replacing?: string | null } = {}) =>
  h.login.execute({ email: extra.email ?? 'ANA@example.com', password, ip: extra.ip ?? '198.51.100.1', replacing: extra.replacing ?? null, requestId: 'req-1' });

describe('LogIn', () => {
  it('starts a session whose id is the token hash, and audits the sign-in', async () => {
    const h = harness();
    const user = await ana(h);
    const result = unwrap(await attempt(h, 'a long passphrase'));
    expect(result.session.id).toBe(digest.sha256Hex(result.token));
    expect(await h.repos.sessions.get(result.session.id)).not.toBeNull();
    expect(h.repos.db.scan<{ action: string; actor: { id?: string }; requestId: string }>('audit_entries')).toContainEqual(
      expect.objectContaining({ action: 'auth.login', actor: { kind: 'user', id: user.id }, requestId: 'req-1' }),
    );
  });

  it('answers the same for an unknown email and a wrong password, verifying against a dummy hash', async () => {
    const h = harness();
    await ana(h);
    expect(await attempt(h, 'wrong')).toEqual({ ok: false, error: { kind: 'InvalidCredentials' } });
    expect(await attempt(h, 'wrong', { email: 'nobody@example.com' })).toEqual({ ok: false, error: { kind: 'InvalidCredentials' } });
    expect(h.verified.at(-1)).toBe('dummy-hash');
  });

  it('throttles an email after N failures, even for the right password, until the window ends', async () => {
    const h = harness();
    await ana(h);
    for (let i = 0; i < 3; i += 1) expect(unwrapErr(await attempt(h, 'wrong', { ip: `10.0.0.${i}` })).kind).toBe('InvalidCredentials');
    const throttled = unwrapErr(await attempt(h, 'a long passphrase', { ip: '10.0.0.9' }));
    expect(throttled).toEqual({ kind: 'Throttled', retryAfterSeconds: 15 * 60 });
    h.clock.advance(10 * MINUTE);
    expect(unwrapErr(await attempt(h, 'a long passphrase'))).toEqual({ kind: 'Throttled', retryAfterSeconds: 5 * 60 });
    h.clock.advance(5 * MINUTE);
    expect((await attempt(h, 'a long passphrase')).ok).toBe(true);
    // Success clears the email's counter: the next typo starts from zero.
    expect(await h.records.throttle.get(`email:${digest.sha256Hex('ana@example.com')}`)).toBeNull();
  });

  it('throttles an address spraying many emails, and keeps its counter after a success', async () => {
    const h = harness();
    await ana(h);
    for (let i = 0; i < 4; i += 1) await attempt(h, 'x', { email: `spray${i}@example.com` });
    expect((await attempt(h, 'a long passphrase')).ok).toBe(true);
    await attempt(h, 'x', { email: 'spray9@example.com' });
    expect(unwrapErr(await attempt(h, 'a long passphrase')).kind).toBe('Throttled');
    expect((await attempt(h, 'a long passphrase', { ip: '192.0.2.1' })).ok).toBe(true);
  });

  it('revokes the session it replaces (no fixation)', async () => {
    const h = harness();
    await ana(h);
    const first = unwrap(await attempt(h, 'a long passphrase'));
    const second = unwrap(await attempt(h, 'a long passphrase', { replacing: first.session.id }));
    expect(await h.sessions.resume(first.token)).toBeNull();
    expect(await h.sessions.resume(second.token)).not.toBeNull();
  });
});

describe('ManageSessions', () => {
  it('touches at most once a minute and stops at idle and absolute expiry', async () => {
    const h = harness();
    const user = await ana(h);
    const { token, session } = await h.sessions.start(user.id, null);
    h.clock.advance(SESSION_TOUCH_INTERVAL_MS - 1);
    expect((await h.sessions.resume(token))!.lastSeenAt).toEqual(session.createdAt);
    expect((await h.repos.sessions.get(session.id))!.version).toBe(session.version);
    h.clock.advance(1);
    expect((await h.repos.sessions.get(session.id))!.lastSeenAt).toEqual(session.createdAt);
    await h.sessions.resume(token);
    expect((await h.repos.sessions.get(session.id))!.lastSeenAt).toEqual(h.clock.now());
    h.clock.advance(2 * 3600_000);
    expect(await h.sessions.resume(token)).toBeNull();

    const kept = await h.sessions.start(user.id, null);
    for (let i = 0; i < 23; i += 1) {
      h.clock.advance(3600_000);
      expect(await h.sessions.resume(kept.token)).not.toBeNull();
    }
    h.clock.advance(3600_000);
    expect(await h.sessions.resume(kept.token)).toBeNull();
  });

  it('ignores a lost touch race instead of failing the request', async () => {
    const h = harness();
    const user = await ana(h);
    const { token } = await h.sessions.start(user.id, null);
    h.clock.advance(2 * MINUTE);
    const racing = new ManageSessions({
      ...h.repos,
      sessions: {
        get: (hash) => h.repos.sessions.get(hash),
        save: async () => { throw new ConcurrencyConflictError('Session', 'x'); },
        revokeAllForUser: (userId, now) => h.repos.sessions.revokeAllForUser(userId, now),
        deleteEndedBefore: (cutoff, limit) => h.repos.sessions.deleteEndedBefore(cutoff, limit),
      },
      clock: h.clock, ids: new SequentialIds('ffffffff'), digest, tokens: { next: () => 'unused' },
    });
    expect(await racing.resume(token)).not.toBeNull();
  });

  it('ends one session or all of them, idempotently', async () => {
    const h = harness();
    const user = await ana(h);
    const a = await h.sessions.start(user.id, null);
    const b = await h.sessions.start(user.id, null);
    await h.sessions.end(a.session.id, null);
    await h.sessions.end(a.session.id, null);
    await h.sessions.end('unknown', null);
    expect(await h.sessions.resume(a.token)).toBeNull();
    expect(await h.sessions.endAll(user.id, null)).toBe(1);
    expect(await h.sessions.resume(b.token)).toBeNull();
    const actions = h.repos.db.scan<{ action: string }>('audit_entries').map((e) => e.action);
    expect(actions.filter((x) => x === 'auth.logout')).toHaveLength(1);
    expect(actions).toContain('auth.logout_all');
  });
});

describe('password reset', () => {
  it('mails nothing for an unknown email, and a one-hour single-use link otherwise', async () => {
    const h = harness();
    const user = await ana(h);
    await h.requestReset.execute({ email: 'nobody@example.com', requestId: null });
    expect(h.mails).toEqual([]);
    const session = await h.sessions.start(user.id, null);
    await h.requestReset.execute({ email: ' Ana@Example.com ', requestId: 'r' });
    expect(h.mails).toHaveLength(1);
    const token = /#token=(\S+)/.exec(h.mails[0]!.text)![1]!;
    expect(h.mails[0]).toMatchObject({ to: 'ana@example.com', kind: 'password_reset', workspaceId: null });
    // The stored row is keyed by the hash; the token itself is nowhere in the database.
    expect(JSON.stringify(h.repos.db.scan('password_reset_tokens'))).not.toContain(`"${token}"`);

    expect(unwrapErr(await h.confirmReset.execute({ token, password: 'short', requestId: null })).kind).toBe('WeakPassword');
    const done = unwrap(await h.confirmReset.execute({ token, password: 'a new long passphrase', requestId: null }));
    expect(done).toEqual({ userId: user.id, sessionsEnded: 1 });
    expect(await h.sessions.resume(session.token)).toBeNull();
    expect(unwrapErr(await h.confirmReset.execute({ token, password: 'another passphrase', requestId: null })).kind).toBe('InvalidResetToken');
    expect((await attempt(h, 'a new long passphrase')).ok).toBe(true);
  });

  it('refuses an expired link, and a reset spends the other open links', async () => {
    const h = harness();
    await ana(h);
    await h.requestReset.execute({ email: 'ana@example.com', requestId: null });
    await h.requestReset.execute({ email: 'ana@example.com', requestId: null });
    const [first, second] = h.mails.map((m) => /#token=(\S+)/.exec(m.text)![1]!);
    unwrap(await h.confirmReset.execute({ token: second!, password: 'a new long passphrase', requestId: null }));
    expect(unwrapErr(await h.confirmReset.execute({ token: first!, password: 'a new long passphrase', requestId: null })).kind).toBe('InvalidResetToken');

    await h.requestReset.execute({ email: 'ana@example.com', requestId: null });
    const late = /#token=(\S+)/.exec(h.mails.at(-1)!.text)![1]!;
    h.clock.advance(3600_000);
    expect(unwrapErr(await h.confirmReset.execute({ token: late, password: 'a new long passphrase', requestId: null })).kind).toBe('InvalidResetToken');
  });
});

describe('ManageAccount', () => {
  it('corrects fields, refuses a taken email, and audits field names only', async () => {
    const h = harness();
    const user = await ana(h);
    await h.register.execute({ name: 'Bo', email: 'bo@example.com', password: 'a long passphrase' });
    expect(unwrapErr(await h.account.correct({ userId: user.id, email: 'BO@example.com', requestId: null })).kind).toBe('EmailTaken');
    expect(unwrapErr(await h.account.correct({ userId: user.id, name: ' ', requestId: null })).kind).toBe('InvalidName');
    const corrected = unwrap(await h.account.correct({ userId: user.id, email: 'ana.new@example.com', requestId: 'r' }));
    expect(corrected.email).toBe('ana.new@example.com');
    const entry = h.repos.db.scan<{ action: string; details: object }>('audit_entries').find((e) => e.action === 'account.corrected');
    expect(entry?.details).toEqual({ fields: 'email' });
  });

  it('changes the password only with the current one, ending every session', async () => {
    const h = harness();
    const user = await ana(h);
    const s = await h.sessions.start(user.id, null);
    expect(unwrapErr(await h.account.changePassword({ userId: user.id, currentPassword: 'nope', newPassword: 'a new long passphrase', requestId: null })).kind).toBe('WrongPassword');
    expect(unwrap(await h.account.changePassword({ userId: user.id, currentPassword: 'a long passphrase', newPassword: 'a new long passphrase', requestId: null }))).toEqual({ sessionsEnded: 1 });
    expect(await h.sessions.resume(s.token)).toBeNull();
  });

  it('replaces preferences (PUT semantics)', async () => {
    const h = harness();
    const user = await ana(h);
    unwrap(await h.account.replacePreferences({ userId: user.id, preferences: { theme: 'dark', timezone: 'Europe/Paris' } }));
    const after = unwrap(await h.account.replacePreferences({ userId: user.id, preferences: { cookieConsent: true } }));
    expect(after.preferences).toEqual({ cookieConsent: true });
    expect((await h.repos.users.get(user.id))!.preferences).toEqual({ cookieConsent: true });
  });
});

function unwrapErr<E>(r: { ok: true } | { ok: false; error: E }): E {
  if (r.ok) throw new Error('expected an error result');
  return r.error;
}
