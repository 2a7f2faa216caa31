import type { UserId } from '../shared/ids.js';

export interface SessionPolicy {
  readonly idleMs: number;
  readonly absoluteMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 12 * 3600_000, absoluteMs: 14 * 24 * 3600_000 };

/**
 * A signed-in browser. The cookie carries a random token; only its SHA-256 is stored (`id`), so a
 * leaked database cannot be replayed as cookies.
 */
export class Session {
  private constructor(
    readonly id: string,
    readonly userId: UserId,
    readonly createdAt: Date,
    private _lastSeenAt: Date,
    private _idleExpiresAt: Date,
    readonly absoluteExpiresAt: Date,
    private _revokedAt: Date | null,
    readonly version: number = 1,
  ) {}

  static start(input: { tokenHash: string; userId: UserId; now: Date; policy?: SessionPolicy }): Session {
    const policy = input.policy ?? DEFAULT_SESSION_POLICY;
    const absolute = new Date(input.now.getTime() + policy.absoluteMs);
    const idle = new Date(Math.min(input.now.getTime() + policy.idleMs, absolute.getTime()));
    return new Session(input.tokenHash, input.userId, input.now, input.now, idle, absolute, null);
  }

  get lastSeenAt(): Date { return this._lastSeenAt; }
  get idleExpiresAt(): Date { return this._idleExpiresAt; }
  get revokedAt(): Date | null { return this._revokedAt; }

  isActive(now: Date): boolean {
    return this._revokedAt === null && now < this._idleExpiresAt && now < this.absoluteExpiresAt;
  }

  /** Activity pushes the idle expiry forward, never past the absolute one. */
  touch(now: Date, policy: SessionPolicy = DEFAULT_SESSION_POLICY): void {
    if (!this.isActive(now)) return;
    this._lastSeenAt = now;
    this._idleExpiresAt = new Date(Math.min(now.getTime() + policy.idleMs, this.absoluteExpiresAt.getTime()));
  }

  revoke(now: Date): void {
    if (this._revokedAt === null) this._revokedAt = now;
  }
}
