import type { AuditActor } from '../audit/audit-entry.js';
import type { AuditLog } from '../audit/ports.js';
import { Ids } from '../shared/ids.js';
import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import type { Digest } from '../privacy/ports.js';
import { err, ok, type Result } from '../shared/result.js';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottlePolicy, type LoginThrottleStore } from './auth-ports.js';
import type { ManageSessions, StartedSession } from './manage-sessions.js';
import type { PasswordHasher, UserRepository } from './ports.js';
import { normalizeEmail, type User } from './user.js';

export interface LogInCommand {
  readonly email: string;
  readonly password: string;
  /** The client address as the edge sees it (after TRUST_PROXY); throttled separately from the email. */
  readonly ip: string;
  /** Hash of the session cookie the browser already holds, revoked on success (rotation). */
  readonly replacing: string | null;
  readonly requestId: string | null;
}

export type LogInError =
  | { readonly kind: 'InvalidCredentials' }
  | { readonly kind: 'Throttled'; readonly retryAfterSeconds: number };

export interface LogInDeps {
  users: UserRepository;
  throttle: LoginThrottleStore;
  audit: AuditLog;
  uow: UnitOfWork;
  hasher: PasswordHasher;
  clock: Clock;
  ids: IdGenerator;
  digest: Digest;
  sessions: ManageSessions;
  throttlePolicy?: LoginThrottlePolicy;
  /**
   * A real hash of a password nobody has. Verifying against it when the email is unknown makes a
   * miss cost what a hit costs, so response time does not tell which emails have accounts.
   */
  dummyHash: () => Promise<string>;
}

/**
 * Sign-in with email and password. Every failure looks the same to the caller; after too many
 * failures for one email (or from one address) within the window, even the right password is
 * refused until the window ends, so guessing cannot continue in the background.
 */
export class LogIn {
  constructor(private readonly deps: LogInDeps) {}

  private get policy(): LoginThrottlePolicy { return this.deps.throttlePolicy ?? DEFAULT_LOGIN_THROTTLE; }

  async execute(cmd: LogInCommand): Promise<Result<{ user: User } & StartedSession, LogInError>> {
    const { users, hasher, clock, digest } = this.deps;
    const email = normalizeEmail(cmd.email);
    const emailHash = digest.sha256Hex(email);
    const keys = { email: `email:${emailHash}`, ip: `ip:${cmd.ip}` };

    const retryAfter = await this.blockedFor(keys, clock.now());
    if (retryAfter !== null) {
      await this.record({ kind: 'anonymous', id: emailHash }, 'auth.login_failed', cmd.requestId, { reason: 'throttled' });
      return err({ kind: 'Throttled', retryAfterSeconds: retryAfter });
    }

    const user = await users.findByEmail(email);
    const usable = user !== null && user.erasedAt === null && user.passwordHash !== '';
    const matches = await hasher.verify(cmd.password, usable ? user.passwordHash : await this.deps.dummyHash());
    if (!usable || !matches) {
      await this.fail(keys, emailHash, cmd.requestId);
      return err({ kind: 'InvalidCredentials' });
    }

    const started = await this.deps.sessions.start(user.id, cmd.replacing);
    // Only the email's counter: clearing the address's would let one valid account launder a spray.
    await this.deps.uow.run(async () => {
      await this.deps.throttle.clear(keys.email);
      await this.record({ kind: 'user', id: user.id }, 'auth.login', cmd.requestId, {});
    });
    return ok({ user, ...started });
  }

  private async blockedFor(keys: { email: string; ip: string }, now: Date): Promise<number | null> {
    const { throttle } = this.deps;
    const limits: Array<[string, number]> = [[keys.email, this.policy.maxFailuresPerEmail], [keys.ip, this.policy.maxFailuresPerIp]];
    let longest: number | null = null;
    for (const [key, limit] of limits) {
      const state = await throttle.get(key);
      if (!state || state.failures < limit) continue;
      const endsAt = state.windowStart.getTime() + this.policy.windowMs;
      if (endsAt <= now.getTime()) continue;
      const seconds = Math.max(1, Math.ceil((endsAt - now.getTime()) / 1000));
      longest = Math.max(longest ?? 0, seconds);
    }
    return longest;
  }

  private async fail(keys: { email: string; ip: string }, emailHash: string, requestId: string | null): Promise<void> {
    const { throttle, uow, clock } = this.deps;
    await uow.run(async () => {
      const now = clock.now();
      await throttle.recordFailure(keys.email, now, this.policy.windowMs);
      await throttle.recordFailure(keys.ip, now, this.policy.windowMs);
      // The email's hash, never the address or the password: enough to spot a targeted account.
      await this.record({ kind: 'anonymous', id: emailHash }, 'auth.login_failed', requestId, { reason: 'credentials' });
    });
  }

  private record(actor: AuditActor, action: string, requestId: string | null, details: Record<string, string>): Promise<void> {
    const { audit, clock, ids } = this.deps;
    return audit.append({ id: Ids.auditEntry(ids.next()), workspaceId: null, actor, action, target: null, at: clock.now(), requestId, details });
  }
}
