import { z } from 'zod';
import type { Container } from 'inversify';
import { assertNever, Ids, ROLES, type AcceptInvitationError, type Invitation, type InviteError, type Membership, type RevokeInvitationError, type TeamError, type User } from '@palette/domain';
import { AUDIT_ACTIONS } from '../audit/auditor.js';
import { IDEMPOTENCY_DESCRIPTION, idempotent } from '../http/idempotency.js';
import { pageInMemory, pageOf, pageQuery } from '../http/pagination.js';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';

const Member = z
  .object({
    id: z.uuid().describe('The membership id: what the member routes take as :memberId.'),
    userId: z.uuid(),
    name: z.string(),
    email: z.string(),
    role: z.enum(ROLES),
    joinedAt: z.iso.datetime(),
  })
  .meta({ id: 'Member' });

const InvitationDto = z
  .object({ id: z.uuid(), email: z.string(), role: z.enum(ROLES), invitedBy: z.uuid(), createdAt: z.iso.datetime(), expiresAt: z.iso.datetime() })
  .meta({ id: 'Invitation', description: 'A pending invitation. The token is only ever in the email.' });

const Accepted = z.object({ workspaceId: z.uuid(), memberId: z.uuid(), role: z.enum(ROLES) }).meta({ id: 'AcceptedInvitation' });

const toMember = (m: Membership, user: User | null): z.input<typeof Member> => ({
  id: m.id, userId: m.userId, name: user?.name ?? 'Unknown user', email: user?.email ?? '', role: m.role, joinedAt: m.createdAt.toISOString(),
});
const toInvitation = (i: Invitation): z.input<typeof InvitationDto> => ({
  id: i.id, email: i.email, role: i.role, invitedBy: i.invitedBy, createdAt: i.createdAt.toISOString(), expiresAt: i.expiresAt.toISOString(),
});

const byCreation = (x: { createdAt: Date; id: string }) => ({ sortKey: x.createdAt.getTime(), id: x.id });

const wsParams = z.object({ workspaceId: z.uuid() });
const memberParams = z.object({ workspaceId: z.uuid(), memberId: z.uuid() });
const invitationParams = z.object({ workspaceId: z.uuid(), invitationId: z.uuid() });

function teamProblem(e: TeamError): HttpProblem {
  switch (e.kind) {
    case 'LastOwner': return HttpProblem.conflict('The workspace must keep at least one owner; make someone else owner first.', 'team.last_owner');
    case 'NotAMember':
    case 'NotFound': return HttpProblem.notFound();
    case 'Forbidden': return HttpProblem.forbidden(`${e.reason}.`);
    default: return assertNever(e);
  }
}

function inviteProblem(e: InviteError): HttpProblem {
  switch (e.kind) {
    case 'NotFound': return HttpProblem.notFound();
    case 'Forbidden': return HttpProblem.forbidden(`${e.reason}.`);
    case 'AlreadyMember': return HttpProblem.conflict('This person is already a member of the workspace.', 'invitation.already_member');
    case 'InvitationPending': return HttpProblem.conflict('An invitation to this email is already pending; revoke it to send a new one.', 'invitation.pending_exists');
    default: return assertNever(e);
  }
}

function revokeProblem(e: RevokeInvitationError): HttpProblem {
  switch (e.kind) {
    case 'NotFound': return HttpProblem.notFound();
    case 'InvitationAlreadyAccepted': return HttpProblem.conflict('The invitation was accepted; remove the member instead.', 'invitation.already_accepted');
    default: return assertNever(e);
  }
}

function acceptProblem(e: AcceptInvitationError): HttpProblem {
  switch (e.kind) {
    case 'NotFound': return HttpProblem.notFound('This invitation does not exist.');
    case 'InvitationExpired': return HttpProblem.conflict('This invitation has expired; ask for a new one.', 'invitation.expired');
    case 'InvitationUsed': return HttpProblem.conflict('This invitation was already used.', 'invitation.used');
    case 'InvitationRevoked': return HttpProblem.conflict('This invitation was revoked.', 'invitation.revoked');
    case 'InvitationEmailMismatch': return new HttpProblem('forbidden', { detail: 'This invitation is for another email address; sign in with that one.', code: 'invitation.email_mismatch' });
    case 'AlreadyMember': return HttpProblem.conflict('You are already a member of this workspace.', 'invitation.already_member');
    default: return assertNever(e);
  }
}

const INVITE_ROUTE = 'POST /api/workspaces/:workspaceId/invitations';

export const teamRoutes = (c: Container) => [
  defineRoute(
    {
      method: 'get',
      path: '/api/workspaces/:workspaceId/members',
      summary: 'The team, oldest member first',
      tags: ['team'],
      auth: 'session',
      permission: 'team.read',
      params: wsParams,
      query: z.object(pageQuery),
      responses: { 200: { description: 'One page of members', body: pageOf(Member, 'MemberPage') } },
    },
    async ({ principal, query }) => {
      const { repos } = c.get(TOKENS.WorkspaceServices);
      const page = pageInMemory(await repos.memberships.listByWorkspace(principal.workspaceId), query, byCreation);
      const items = await Promise.all(page.items.map(async (m) => toMember(m, await repos.users.get(m.userId))));
      return { status: 200, body: { items, nextCursor: page.nextCursor } };
    },
  ),
  defineRoute(
    {
      method: 'patch',
      path: '/api/workspaces/:workspaceId/members/:memberId',
      summary: "Change a member's role",
      description: 'Only owners grant or take away the owner role; the last owner cannot be demoted (409 `team.last_owner`).',
      tags: ['team'],
      auth: 'session',
      permission: 'team.manage',
      params: memberParams,
      body: z.object({ role: z.enum(ROLES) }).strict(),
      responses: { 200: { description: 'The member with the new role', body: Member } },
      problems: ['conflict'],
    },
    async ({ principal, params, body, requestId }) => {
      const s = c.get(TOKENS.WorkspaceServices);
      const result = await s.team.changeRole({
        workspaceId: principal.workspaceId, actorRole: principal.role, membershipId: Ids.membership(params.memberId), role: body.role,
        inTransaction: ({ membership, previousRole }) => s.auditor.record({
          workspaceId: principal.workspaceId, actor: { kind: 'user', id: principal.userId }, action: AUDIT_ACTIONS.memberRoleChanged,
          target: { type: 'member', id: membership.id }, details: { from: previousRole, to: membership.role },
        }, requestId),
      });
      if (!result.ok) throw teamProblem(result.error);
      return { status: 200, body: toMember(result.value, await s.repos.users.get(result.value.userId)) };
    },
  ),
  defineRoute(
    {
      method: 'delete',
      path: '/api/workspaces/:workspaceId/members/:memberId',
      summary: 'Remove a member from the workspace',
      description: 'Only owners remove owners; the last owner cannot be removed (409 `team.last_owner`).',
      tags: ['team'],
      auth: 'session',
      permission: 'team.manage',
      params: memberParams,
      responses: { 204: { description: 'Removed' } },
      problems: ['conflict'],
    },
    async ({ principal, params, requestId }) => {
      const s = c.get(TOKENS.WorkspaceServices);
      const result = await s.team.remove({
        workspaceId: principal.workspaceId, actorRole: principal.role, membershipId: Ids.membership(params.memberId),
        inTransaction: ({ membership }) => s.auditor.record({
          workspaceId: principal.workspaceId, actor: { kind: 'user', id: principal.userId }, action: AUDIT_ACTIONS.memberRemoved,
          target: { type: 'member', id: membership.id }, details: { role: membership.role, self: membership.userId === principal.userId },
        }, requestId),
      });
      if (!result.ok) throw teamProblem(result.error);
      return { status: 204 };
    },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/api/workspaces/:workspaceId/invitations',
      summary: 'Pending invitations, oldest first',
      tags: ['team'],
      auth: 'session',
      permission: 'team.read',
      params: wsParams,
      query: z.object(pageQuery),
      responses: { 200: { description: 'One page of pending invitations', body: pageOf(InvitationDto, 'InvitationPage') } },
    },
    async ({ principal, query }) => {
      const s = c.get(TOKENS.WorkspaceServices);
      const page = pageInMemory(await s.repos.invitations.listPending(principal.workspaceId, s.clock.now()), query, byCreation);
      return { status: 200, body: { items: page.items.map(toInvitation), nextCursor: page.nextCursor } };
    },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/api/workspaces/:workspaceId/invitations',
      summary: 'Invite someone by email',
      description: `Emails a single-use link valid for 7 days; only the token's SHA-256 is stored. Only owners invite owners. ${IDEMPOTENCY_DESCRIPTION}`,
      tags: ['team'],
      auth: 'session',
      permission: 'team.manage',
      params: wsParams,
      body: z.object({ email: z.email().max(254), role: z.enum(ROLES) }).strict(),
      responses: { 201: { description: 'The invitation (without its token)', body: InvitationDto } },
      problems: ['conflict', 'unprocessable'],
    },
    async ({ principal, body, req, requestId }) => {
      const s = c.get(TOKENS.WorkspaceServices);
      return idempotent(
        { store: s.idempotency, clock: s.clock, digest: s.digest },
        { req, workspaceId: principal.workspaceId, route: INVITE_ROUTE, request: body },
        async (remember) => {
          const result = await s.invitations.invite({
            workspaceId: principal.workspaceId, actorUserId: principal.userId, actorRole: principal.role, email: body.email, role: body.role,
            inTransaction: async (invitation) => {
              await s.auditor.record({
                workspaceId: principal.workspaceId, actor: { kind: 'user', id: principal.userId }, action: AUDIT_ACTIONS.invitationCreated,
                target: { type: 'invitation', id: invitation.id }, details: { role: invitation.role },
              }, requestId);
              await remember(created(invitation));
            },
          });
          if (!result.ok) throw inviteProblem(result.error);
          return created(result.value);
        },
      );
    },
  ),
  defineRoute(
    {
      method: 'delete',
      path: '/api/workspaces/:workspaceId/invitations/:invitationId',
      summary: 'Revoke a pending invitation',
      tags: ['team'],
      auth: 'session',
      permission: 'team.manage',
      params: invitationParams,
      responses: { 204: { description: 'Revoked (or already revoked); its link no longer works' } },
      problems: ['conflict'],
    },
    async ({ principal, params, requestId }) => {
      const s = c.get(TOKENS.WorkspaceServices);
      const result = await s.invitations.revoke({
        workspaceId: principal.workspaceId, invitationId: params.invitationId,
        inTransaction: (invitation) => s.auditor.record({
          workspaceId: principal.workspaceId, actor: { kind: 'user', id: principal.userId }, action: AUDIT_ACTIONS.invitationRevoked,
          target: { type: 'invitation', id: invitation.id }, details: { role: invitation.role },
        }, requestId),
      });
      if (!result.ok) throw revokeProblem(result.error);
      return { status: 204 };
    },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/api/invitations/accept',
      summary: 'Accept an invitation',
      description: 'The signed-in user whose email the invitation names joins the workspace with its role. Single use; expired, used or revoked invitations answer 409 with `invitation.expired`, `invitation.used` or `invitation.revoked`.',
      tags: ['team'],
      auth: 'user',
      body: z.object({ token: z.string().min(16).max(512) }).strict(),
      responses: { 200: { description: 'You are a member now', body: Accepted } },
      problems: ['not-found', 'forbidden', 'conflict'],
    },
    async ({ principal, body, requestId }) => {
      const s = c.get(TOKENS.WorkspaceServices);
      const result = await s.invitations.accept({
        token: body.token, userId: principal.userId,
        inTransaction: ({ invitation, membership }) => s.auditor.record({
          workspaceId: invitation.workspaceId, actor: { kind: 'user', id: principal.userId }, action: AUDIT_ACTIONS.memberJoined,
          target: { type: 'member', id: membership.id }, details: { role: membership.role, invitationId: invitation.id },
        }, requestId),
      });
      if (!result.ok) throw acceptProblem(result.error);
      const { membership } = result.value;
      return { status: 200, body: { workspaceId: membership.workspaceId, memberId: membership.id, role: membership.role } };
    },
  ),
];

function created(invitation: Invitation) {
  return { status: 201 as const, body: toInvitation(invitation) };
}
