import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import type { UserId, WorkspaceId } from '../shared/ids.js';
import { Ids } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { Digest } from '../privacy/ports.js';
import type { SecretTokenGenerator } from './auth-ports.js';
import type { InvitationRepository, Mailer, MembershipRepository, UserRepository, WorkspaceRepository } from './ports.js';
import { Invitation, type InvitationError } from './invitation.js';
import { Membership } from './membership.js';
import { can, type Role } from './permissions.js';
import { normalizeEmail } from './user.js';

export interface ManageInvitationsDeps {
  readonly workspaces: WorkspaceRepository;
  readonly users: UserRepository;
  readonly memberships: MembershipRepository;
  readonly invitations: InvitationRepository;
  readonly uow: UnitOfWork;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly digest: Digest;
  readonly tokens: SecretTokenGenerator;
  readonly mailer: Mailer;
  /** Where the emailed link points; the token belongs in a fragment, which browsers never send to servers. */
  readonly acceptLink: (token: string) => string;
}

export type InviteError =
  | NotFound
  | { readonly kind: 'Forbidden'; readonly reason: string }
  | { readonly kind: 'AlreadyMember' }
  | { readonly kind: 'InvitationPending' };
export type RevokeInvitationError = NotFound | { readonly kind: 'InvitationAlreadyAccepted' };
export type AcceptInvitationError = NotFound | InvitationError | { readonly kind: 'AlreadyMember' };

/** Runs inside the use case's transaction, after the change is staged (audit entries commit with it). */
type Hook<T> = (value: T) => Promise<void>;

/**
 * Invitations to join a workspace: single use, expiring, and only the SHA-256 of the emailed token
 * is stored, so a database dump holds nothing that lets anyone join.
 */
export class ManageInvitations {
  constructor(private readonly deps: ManageInvitationsDeps) {}

  invite(input: { workspaceId: WorkspaceId; actorUserId: UserId; actorRole: Role; email: string; role: Role; inTransaction?: Hook<Invitation> }): Promise<Result<Invitation, InviteError>> {
    const d = this.deps;
    if (!can(input.actorRole, 'team.manage')) return Promise.resolve(err({ kind: 'Forbidden', reason: 'Inviting needs the team.manage permission' } as const));
    if (input.role === 'owner' && !can(input.actorRole, 'team.manage_owners')) return Promise.resolve(err({ kind: 'Forbidden', reason: 'Only an owner can invite an owner' } as const));
    const email = normalizeEmail(input.email);
    return d.uow.run(async (): Promise<Result<Invitation, InviteError>> => {
      const workspace = await d.workspaces.get(input.workspaceId);
      if (!workspace) return err(notFound('workspace', input.workspaceId));
      const now = d.clock.now();
      const user = await d.users.findByEmail(email);
      if (user && (await d.memberships.find(input.workspaceId, user.id))) return err({ kind: 'AlreadyMember' });
      const pending = await d.invitations.listPending(input.workspaceId, now);
      if (pending.some((i) => i.email === email)) return err({ kind: 'InvitationPending' });

      const token = d.tokens.next();
      const invitation = Invitation.issue({
        id: d.ids.next(), workspaceId: input.workspaceId, email, role: input.role, tokenHash: d.digest.sha256Hex(token), invitedBy: input.actorUserId, now,
      });
      await d.invitations.save(invitation);
      await d.mailer.send({
        to: email,
        subject: `You are invited to ${workspace.name} on Palette`,
        text: `You have been invited to join ${workspace.name} as ${input.role}.\n\nAccept within 7 days: ${d.acceptLink(token)}\n\nIf you did not expect this, ignore this email.`,
        workspaceId: input.workspaceId,
        kind: 'invitation',
      });
      await input.inTransaction?.(invitation);
      return ok(invitation);
    });
  }

  /** Revoking twice is fine; revoking an accepted invitation is not (remove the member instead). */
  revoke(input: { workspaceId: WorkspaceId; invitationId: string; inTransaction?: Hook<Invitation> }): Promise<Result<Invitation, RevokeInvitationError>> {
    const d = this.deps;
    return d.uow.run(async (): Promise<Result<Invitation, RevokeInvitationError>> => {
      const invitation = await d.invitations.get(input.workspaceId, input.invitationId);
      if (!invitation) return err(notFound('invitation', input.invitationId));
      if (invitation.acceptedAt) return err({ kind: 'InvitationAlreadyAccepted' });
      if (invitation.revokedAt) return ok(invitation);
      invitation.revoke(d.clock.now());
      await d.invitations.save(invitation);
      await input.inTransaction?.(invitation);
      return ok(invitation);
    });
  }

  /** The signed-in user whose email the invitation names becomes a member; the token is then spent. */
  accept(input: { token: string; userId: UserId; inTransaction?: Hook<{ invitation: Invitation; membership: Membership }> }): Promise<Result<{ invitation: Invitation; membership: Membership }, AcceptInvitationError>> {
    const d = this.deps;
    return d.uow.run(async (): Promise<Result<{ invitation: Invitation; membership: Membership }, AcceptInvitationError>> => {
      const invitation = await d.invitations.findByTokenHash(d.digest.sha256Hex(input.token));
      if (!invitation) return err(notFound('invitation', 'token'));
      const user = await d.users.get(input.userId);
      if (!user) return err(notFound('user', input.userId));
      const now = d.clock.now();
      const accepted = invitation.accept(user.email, now);
      if (!accepted.ok) return accepted;
      if (await d.memberships.find(invitation.workspaceId, user.id)) return err({ kind: 'AlreadyMember' });
      const membership = Membership.create({ id: Ids.membership(d.ids.next()), workspaceId: invitation.workspaceId, userId: user.id, role: invitation.role, now });
      await d.invitations.save(invitation);
      await d.memberships.save(membership);
      await input.inTransaction?.({ invitation, membership });
      return ok({ invitation, membership });
    });
  }
}
