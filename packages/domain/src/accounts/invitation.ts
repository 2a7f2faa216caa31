import type { UserId, WorkspaceId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';
import type { Role } from './permissions.js';
import { normalizeEmail } from './user.js';

export const INVITATION_TTL_MS = 7 * 24 * 3600_000;

export type InvitationError =
  | { readonly kind: 'InvitationExpired' }
  | { readonly kind: 'InvitationUsed' }
  | { readonly kind: 'InvitationRevoked' }
  | { readonly kind: 'InvitationEmailMismatch' };

/** A single-use, expiring invitation to join a workspace with a role. Only the token's hash is stored. */
export class Invitation {
  private constructor(
    readonly id: string,
    readonly workspaceId: WorkspaceId,
    readonly email: string,
    readonly role: Role,
    readonly tokenHash: string,
    readonly invitedBy: UserId,
    readonly createdAt: Date,
    readonly expiresAt: Date,
    private _acceptedAt: Date | null,
    private _revokedAt: Date | null,
    readonly version: number = 1,
  ) {}

  static issue(input: { id: string; workspaceId: WorkspaceId; email: string; role: Role; tokenHash: string; invitedBy: UserId; now: Date; ttlMs?: number }): Invitation {
    return new Invitation(input.id, input.workspaceId, normalizeEmail(input.email), input.role, input.tokenHash, input.invitedBy, input.now,
      new Date(input.now.getTime() + (input.ttlMs ?? INVITATION_TTL_MS)), null, null);
  }

  get acceptedAt(): Date | null { return this._acceptedAt; }
  get revokedAt(): Date | null { return this._revokedAt; }

  accept(email: string, now: Date): Result<void, InvitationError> {
    if (this._revokedAt) return err({ kind: 'InvitationRevoked' });
    if (this._acceptedAt) return err({ kind: 'InvitationUsed' });
    if (now >= this.expiresAt) return err({ kind: 'InvitationExpired' });
    if (normalizeEmail(email) !== this.email) return err({ kind: 'InvitationEmailMismatch' });
    this._acceptedAt = now;
    return ok(undefined);
  }

  revoke(now: Date): void {
    if (!this._acceptedAt && !this._revokedAt) this._revokedAt = now;
  }
}
