import type { UserId, WorkspaceId } from '../shared/ids.js';
import type { SessionPolicy } from './session.js';

/** A password reset link's token, stored as its SHA-256 only: a leaked table resets nobody's password. */
export interface PasswordResetToken {
  readonly tokenHash: string;
  readonly userId: UserId;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
}

export interface PasswordResetTokenRepository {
  save(token: PasswordResetToken): Promise<void>;
  /**
   * Marks the token used and returns it, only if it is unused and unexpired at `now`. One atomic
   * step, so two concurrent confirmations of one link cannot both succeed.
   */
  consume(tokenHash: string, now: Date): Promise<PasswordResetToken | null>;
  /** After a successful reset, older links of the same user stop working too. */
  invalidateAllForUser(userId: UserId, now: Date): Promise<number>;
  /** Retention: deletes tokens that expired or were used at or before `cutoff`. */
  deleteEndedBefore(cutoff: Date, limit: number): Promise<number>;
}

export type MailKind = 'invitation' | 'password_reset';

export interface OutboxMail {
  readonly id: string;
  readonly workspaceId: WorkspaceId | null;
  readonly kind: MailKind;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
}

/**
 * Mail kept in the database: what the default Mailer writes when no SMTP server is configured, so
 * an operator (or a test) can read a reset link without it ever reaching a log line.
 */
export interface MailOutbox {
  append(mail: OutboxMail): Promise<void>;
  /** Newest first. */
  listTo(address: string, limit?: number): Promise<OutboxMail[]>;
  deleteOlderThan(cutoff: Date, limit: number): Promise<number>;
}

export interface ThrottleState {
  readonly windowStart: Date;
  readonly failures: number;
}

/**
 * Failed-login counters in fixed windows, shared by every process (hence stored, not in memory).
 * `key` is opaque to the store: `email:<hash>` or `ip:<address>`.
 */
export interface LoginThrottleStore {
  /** Adds one failure atomically, starting a new window when the current one is older than `windowMs`. */
  recordFailure(key: string, now: Date, windowMs: number): Promise<ThrottleState>;
  get(key: string): Promise<ThrottleState | null>;
  clear(key: string): Promise<void>;
  /** Retention: counters whose window started at or before `cutoff`. */
  deleteStartedBefore(cutoff: Date, limit: number): Promise<number>;
}

/** The three record stores the sign-in flows need, over the same unit of work as the repositories. */
export interface AuthRecords {
  readonly resetTokens: PasswordResetTokenRepository;
  readonly outbox: MailOutbox;
  readonly throttle: LoginThrottleStore;
}

/** Unguessable tokens for cookies and links (an adapter: the core has no randomness source). */
export interface SecretTokenGenerator {
  next(): string;
}

export interface LoginThrottlePolicy {
  readonly windowMs: number;
  readonly maxFailuresPerEmail: number;
  readonly maxFailuresPerIp: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottlePolicy = { windowMs: 15 * 60_000, maxFailuresPerEmail: 10, maxFailuresPerIp: 50 };

export const PASSWORD_RESET_TTL_MS = 3600_000;

/** Sessions touch the database at most this often, so a busy dashboard is not a write per request. */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;

export interface AuthPolicy {
  readonly session: SessionPolicy;
  readonly throttle: LoginThrottlePolicy;
}
