import type { AuditLog } from '../audit/ports.js';
import { Ids, type UserId } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { err, ok, type Result } from '../shared/result.js';
import type { PasswordHasher, SessionRepository, UserRepository } from './ports.js';
import { MIN_PASSWORD_LENGTH } from './register-account.js';
import { normalizeEmail, type User, type UserError, type UserPreferences } from './user.js';

export type CorrectAccountError = UserError | NotFound | { readonly kind: 'EmailTaken' };
export type ChangePasswordError = NotFound | { readonly kind: 'WrongPassword' } | { readonly kind: 'WeakPassword'; readonly minLength: number };

export interface ManageAccountDeps {
  users: UserRepository;
  sessions: SessionRepository;
  audit: AuditLog;
  hasher: PasswordHasher;
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
}

/** What a signed-in user changes about themselves: their data (right of correction), preferences, password. */
export class ManageAccount {
  constructor(private readonly deps: ManageAccountDeps) {}

  /** The audit entry names the corrected fields, never their old or new values. */
  correct(cmd: { userId: UserId; name?: string; email?: string; requestId: string | null }): Promise<Result<User, CorrectAccountError>> {
    const { users, uow, clock } = this.deps;
    return uow.run(async () => {
      const user = await users.get(cmd.userId);
      if (!user || user.erasedAt !== null) return err(notFound('user', cmd.userId));
      if (cmd.email !== undefined && normalizeEmail(cmd.email) !== user.email) {
        const other = await users.findByEmail(normalizeEmail(cmd.email));
        if (other && other.id !== user.id) return err({ kind: 'EmailTaken' } as const);
      }
      const fields = [cmd.name === undefined ? null : 'name', cmd.email === undefined ? null : 'email'].filter((f) => f !== null);
      const now = clock.now();
      const corrected = user.correct({ ...(cmd.name === undefined ? {} : { name: cmd.name }), ...(cmd.email === undefined ? {} : { email: cmd.email }) }, now);
      if (!corrected.ok) return corrected;
      await users.save(user);
      await this.audit(user.id, 'account.corrected', cmd.requestId, { fields: fields.join(',') }, now);
      return ok(user);
    });
  }

  replacePreferences(cmd: { userId: UserId; preferences: UserPreferences }): Promise<Result<User, NotFound>> {
    const { users, uow, clock } = this.deps;
    return uow.run(async () => {
      const user = await users.get(cmd.userId);
      if (!user || user.erasedAt !== null) return err(notFound('user', cmd.userId));
      user.replacePreferences(cmd.preferences, clock.now());
      await users.save(user);
      return ok(user);
    });
  }

  /**
   * Needs the current password (a stolen, still-open session must not lock the owner out) and
   * ends every session; the caller starts a fresh one for the browser that made the change.
   */
  async changePassword(cmd: { userId: UserId; currentPassword: string; newPassword: string; requestId: string | null }): Promise<Result<{ sessionsEnded: number }, ChangePasswordError>> {
    const { users, sessions, hasher, uow, clock } = this.deps;
    if (cmd.newPassword.length < MIN_PASSWORD_LENGTH) return err({ kind: 'WeakPassword', minLength: MIN_PASSWORD_LENGTH });
    const before = await users.get(cmd.userId);
    if (!before || before.erasedAt !== null) return err(notFound('user', cmd.userId));
    if (!(await hasher.verify(cmd.currentPassword, before.passwordHash))) return err({ kind: 'WrongPassword' });
    const passwordHash = await hasher.hash(cmd.newPassword);
    return uow.run(async () => {
      const user = await users.get(cmd.userId);
      if (!user) return err(notFound('user', cmd.userId));
      const now = clock.now();
      user.changePassword(passwordHash, now);
      await users.save(user);
      const sessionsEnded = await sessions.revokeAllForUser(user.id, now);
      await this.audit(user.id, 'auth.password_changed', cmd.requestId, { sessions: sessionsEnded }, now);
      return ok({ sessionsEnded });
    });
  }

  private audit(userId: UserId, action: string, requestId: string | null, details: Record<string, string | number>, at: Date): Promise<void> {
    return this.deps.audit.append({
      id: Ids.auditEntry(this.deps.ids.next()), workspaceId: null, actor: { kind: 'user', id: userId }, action,
      target: { type: 'user', id: userId }, at, requestId, details,
    });
  }
}
