import type { AuditActor } from '../audit/audit-entry.js';
import type { AuditLog } from '../audit/ports.js';
import { ConcurrencyConflictError } from '../shared/errors.js';
import { Ids, type UserId } from '../shared/ids.js';
import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import type { Digest } from '../privacy/ports.js';
import { SESSION_TOUCH_INTERVAL_MS, type SecretTokenGenerator } from './auth-ports.js';
import type { SessionRepository } from './ports.js';
import { DEFAULT_SESSION_POLICY, Session, type SessionPolicy } from './session.js';

export interface ManageSessionsDeps {
  sessions: SessionRepository;
  audit: AuditLog;
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
  digest: Digest;
  tokens: SecretTokenGenerator;
  sessionPolicy?: SessionPolicy;
}

/** A started session: the token goes into the cookie and nowhere else; the session row keeps its hash. */
export interface StartedSession {
  readonly token: string;
  readonly session: Session;
}

/**
 * The life of a signed-in browser: start (rotating any session the browser already had), resume
 * from a cookie, sign out here or everywhere. Tokens are hashed before any lookup or write.
 */
export class ManageSessions {
  constructor(private readonly deps: ManageSessionsDeps) {}

  private get policy(): SessionPolicy { return this.deps.sessionPolicy ?? DEFAULT_SESSION_POLICY; }

  hashToken(token: string): string {
    return this.deps.digest.sha256Hex(token);
  }

  /**
   * Joins the caller's unit of work when there is one. `replacing` is the hash of the cookie the
   * browser sent: it is revoked, so a token planted before sign-in (session fixation) dies with it.
   */
  async start(userId: UserId, replacing: string | null): Promise<StartedSession> {
    const { sessions, uow, clock, tokens } = this.deps;
    return uow.run(async () => {
      const now = clock.now();
      if (replacing !== null) {
        const old = await sessions.get(replacing);
        if (old && old.revokedAt === null) {
          old.revoke(now);
          await sessions.save(old);
        }
      }
      const token = tokens.next();
      const session = Session.start({ tokenHash: this.hashToken(token), userId, now, policy: this.policy });
      await sessions.save(session);
      return { token, session };
    });
  }

  /** The active session behind a cookie token, or null. Extends the idle expiry at most once a minute. */
  async resume(token: string): Promise<Session | null> {
    const { sessions, uow, clock } = this.deps;
    const now = clock.now();
    const session = await sessions.get(this.hashToken(token));
    if (!session || !session.isActive(now)) return null;
    if (now.getTime() - session.lastSeenAt.getTime() < SESSION_TOUCH_INTERVAL_MS) return session;
    session.touch(now, this.policy);
    try {
      await uow.run(async () => sessions.save(session));
    } catch (e) {
      // Another request of the same browser touched it first: that extension is as good as ours.
      if (!(e instanceof ConcurrencyConflictError)) throw e;
    }
    return session;
  }

  /** Idempotent: an unknown or already-ended session is simply not there any more. */
  async end(tokenHash: string, requestId: string | null): Promise<void> {
    const { sessions, uow, clock } = this.deps;
    await retryOnConflict(() => uow.run(async () => {
      const session = await sessions.get(tokenHash);
      if (!session || session.revokedAt !== null) return;
      const now = clock.now();
      session.revoke(now);
      await sessions.save(session);
      await this.audit({ kind: 'user', id: session.userId }, 'auth.logout', requestId, {});
    }));
  }

  /** "Log out everywhere", this browser included. Returns how many sessions were ended. */
  async endAll(userId: UserId, requestId: string | null, action = 'auth.logout_all'): Promise<number> {
    const { sessions, uow, clock } = this.deps;
    return uow.run(async () => {
      const count = await sessions.revokeAllForUser(userId, clock.now());
      await this.audit({ kind: 'user', id: userId }, action, requestId, { sessions: count });
      return count;
    });
  }

  private audit(actor: AuditActor, action: string, requestId: string | null, details: Record<string, number>): Promise<void> {
    const { audit, clock, ids } = this.deps;
    return audit.append({ id: Ids.auditEntry(ids.next()), workspaceId: null, actor, action, target: null, at: clock.now(), requestId, details });
  }
}

/** A touch from a parallel request of the same browser can bump the version under us; once more is enough. */
async function retryOnConflict<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!(e instanceof ConcurrencyConflictError)) throw e;
    return work();
  }
}
