import type { Clock, UnitOfWork } from '../shared/ports.js';
import type { MembershipId, WorkspaceId } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { MembershipRepository } from './ports.js';
import { canLeave, type Membership, type MembershipError } from './membership.js';
import { can, type Role } from './permissions.js';

export type TeamError = MembershipError | NotFound | { readonly kind: 'Forbidden'; readonly reason: string };

/**
 * Runs inside the use case's transaction once the change is staged, so what it writes (an audit
 * entry) commits or rolls back with the change itself.
 */
export type TeamChangeHook = (change: { readonly membership: Membership; readonly previousRole: Role }) => Promise<void>;

/** Role changes and removals, with the last-owner rule and owner-only promotion to owner. */
export class ManageTeam {
  constructor(private readonly deps: { memberships: MembershipRepository; uow: UnitOfWork; clock: Clock }) {}

  changeRole(input: { workspaceId: WorkspaceId; actorRole: Role; membershipId: MembershipId; role: Role; inTransaction?: TeamChangeHook }): Promise<Result<Membership, TeamError>> {
    const { memberships, uow, clock } = this.deps;
    if (!can(input.actorRole, 'team.manage')) return Promise.resolve(err({ kind: 'Forbidden', reason: 'Managing the team needs the team.manage permission' } as const));
    return uow.run(async () => {
      const team = await memberships.listByWorkspace(input.workspaceId);
      const target = team.find((m) => m.id === input.membershipId);
      if (!target) return err(notFound('membership', input.membershipId));
      const touchesOwner = target.role === 'owner' || input.role === 'owner';
      if (touchesOwner && !can(input.actorRole, 'team.manage_owners')) return err({ kind: 'Forbidden', reason: 'Only an owner can grant or remove the owner role' } as const);
      const previousRole = target.role;
      const changed = target.changeRole(input.role, team, clock.now());
      if (!changed.ok) return changed;
      await memberships.save(target);
      await input.inTransaction?.({ membership: target, previousRole });
      return ok(target);
    });
  }

  remove(input: { workspaceId: WorkspaceId; actorRole: Role; membershipId: MembershipId; inTransaction?: TeamChangeHook }): Promise<Result<Membership, TeamError>> {
    const { memberships, uow } = this.deps;
    if (!can(input.actorRole, 'team.manage')) return Promise.resolve(err({ kind: 'Forbidden', reason: 'Managing the team needs the team.manage permission' } as const));
    return uow.run(async () => {
      const team = await memberships.listByWorkspace(input.workspaceId);
      const target = team.find((m) => m.id === input.membershipId);
      if (!target) return err(notFound('membership', input.membershipId));
      if (target.role === 'owner' && !can(input.actorRole, 'team.manage_owners')) return err({ kind: 'Forbidden', reason: 'Only an owner can remove an owner' } as const);
      const allowed = canLeave(target, team);
      if (!allowed.ok) return allowed;
      await memberships.remove(target);
      await input.inTransaction?.({ membership: target, previousRole: target.role });
      return ok(target);
    });
  }
}
