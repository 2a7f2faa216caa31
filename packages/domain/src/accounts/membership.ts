import type { MembershipId, UserId, WorkspaceId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';
import type { Role } from './permissions.js';

export type MembershipError =
  | { readonly kind: 'LastOwner' }
  | { readonly kind: 'NotAMember' };

/** A user's role in one workspace; a user may belong to several workspaces. */
export class Membership {
  private constructor(
    readonly id: MembershipId,
    readonly workspaceId: WorkspaceId,
    readonly userId: UserId,
    private _role: Role,
    readonly createdAt: Date,
    private _updatedAt: Date,
    readonly version: number = 1,
  ) {}

  static create(input: { id: MembershipId; workspaceId: WorkspaceId; userId: UserId; role: Role; now: Date }): Membership {
    return new Membership(input.id, input.workspaceId, input.userId, input.role, input.now, input.now);
  }

  get role(): Role { return this._role; }
  get updatedAt(): Date { return this._updatedAt; }

  /** Callers pass every membership of the workspace so the last-owner rule sees the whole team. */
  changeRole(role: Role, team: readonly Membership[], now: Date): Result<void, MembershipError> {
    if (this._role === 'owner' && role !== 'owner' && countOwners(team) <= 1) return err({ kind: 'LastOwner' });
    this._role = role;
    this._updatedAt = now;
    return ok(undefined);
  }
}

export function countOwners(team: readonly Membership[]): number {
  return team.filter((m) => m.role === 'owner').length;
}

/** Whether `leaving` may leave or be removed without leaving the workspace ownerless. */
export function canLeave(leaving: Membership, team: readonly Membership[]): Result<void, MembershipError> {
  if (leaving.role === 'owner' && countOwners(team) <= 1) return err({ kind: 'LastOwner' });
  return ok(undefined);
}
