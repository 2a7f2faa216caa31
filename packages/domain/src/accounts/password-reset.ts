import type { AuditLog } from '../audit/ports.js';
import { Ids, type UserId } from '../shared/ids.js';
import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import type { Digest } from '../privacy/ports.js';
import { err, ok, type Result } from '../shared/result.js';
import { PASSWORD_RESET_TTL_MS, type PasswordResetTokenRepository, type SecretTokenGenerator } from './auth-ports.js';
import type { Mailer, PasswordHasher, SessionRepository, UserRepository } from './ports.js';
import { MIN_PASSWORD_LENGTH } from './register-account.js';
import { normalizeEmail } from './user.js';

export interface RequestPasswordResetDeps {
  users: UserRepository;
  resetTokens: PasswordResetTokenRepository;
  audit: AuditLog;
  mailer: Mailer;
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
  digest: Digest;
  tokens: SecretTokenGenerator;
  /** Where the link points: the dashboard page that asks for the new password. */
  resetLink: (token: string) => string;
}

/**
 * "Forgot my password". The caller always hears the same thing, whether or not the email has an
 * account; only an existing, not erased account gets a mail with a one-hour, single-use link.
 */
export class RequestPasswordReset {
  constructor(private readonly deps: RequestPasswordResetDeps) {}

  async execute(cmd: { email: string; requestId: string | null }): Promise<void> {
    const { users, resetTokens, audit, mailer, uow, clock, ids, digest, tokens } = this.deps;
    const email = normalizeEmail(cmd.email);
    const user = await users.findByEmail(email);
    if (!user || user.erasedAt !== null) return;
    const token = tokens.next();
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + PASSWORD_RESET_TTL_MS);
    await uow.run(async () => {
      await resetTokens.save({ tokenHash: digest.sha256Hex(token), userId: user.id, expiresAt, usedAt: null });
      await audit.append({
        id: Ids.auditEntry(ids.next()), workspaceId: null, actor: { kind: 'anonymous', id: digest.sha256Hex(email) },
        action: 'auth.password_reset_requested', target: { type: 'user', id: user.id }, at: now, requestId: cmd.requestId, details: {},
      });
    });
    // After the commit: a mail must never point at a token that a rollback took back.
    await mailer.send({
      to: user.email,
      subject: 'Reset your Palette password',
      text: [
        `Hello ${user.name},`,
        '',
        'Someone (hopefully you) asked to reset the password of your Palette account.',
        `Open this link within an hour to choose a new one: ${this.deps.resetLink(token)}`,
        '',
        'If it was not you, ignore this mail: your password stays as it is.',
      ].join('\n'),
      workspaceId: null,
      kind: 'password_reset',
    });
  }
}

export type ConfirmPasswordResetError =
  | { readonly kind: 'InvalidResetToken' }
  | { readonly kind: 'WeakPassword'; readonly minLength: number };

export interface ConfirmPasswordResetDeps {
  users: UserRepository;
  sessions: SessionRepository;
  resetTokens: PasswordResetTokenRepository;
  audit: AuditLog;
  hasher: PasswordHasher;
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
  digest: Digest;
}

/** Sets the new password from a reset link, spends the link, and signs the account out everywhere. */
export class ConfirmPasswordReset {
  constructor(private readonly deps: ConfirmPasswordResetDeps) {}

  async execute(cmd: { token: string; password: string; requestId: string | null }): Promise<Result<{ userId: UserId; sessionsEnded: number }, ConfirmPasswordResetError>> {
    const { users, sessions, resetTokens, audit, hasher, uow, clock, ids, digest } = this.deps;
    if (cmd.password.length < MIN_PASSWORD_LENGTH) return err({ kind: 'WeakPassword', minLength: MIN_PASSWORD_LENGTH });
    // Hash outside the transaction: the KDF is deliberately slow and must not hold locks.
    const passwordHash = await hasher.hash(cmd.password);
    return uow.run(async () => {
      const now = clock.now();
      const token = await resetTokens.consume(digest.sha256Hex(cmd.token), now);
      if (!token) return err({ kind: 'InvalidResetToken' } as const);
      const user = await users.get(token.userId);
      if (!user || user.erasedAt !== null) return err({ kind: 'InvalidResetToken' } as const);
      user.changePassword(passwordHash, now);
      await users.save(user);
      await resetTokens.invalidateAllForUser(user.id, now);
      const sessionsEnded = await sessions.revokeAllForUser(user.id, now);
      await audit.append({
        id: Ids.auditEntry(ids.next()), workspaceId: null, actor: { kind: 'user', id: user.id },
        action: 'auth.password_reset', target: { type: 'user', id: user.id }, at: now, requestId: cmd.requestId, details: { sessions: sessionsEnded },
      });
      return ok({ userId: user.id, sessionsEnded });
    });
  }
}
