import type { Request } from 'express';
import type { ManageSessions, MembershipRepository, Role, WorkspaceId } from '@palette/domain';
import type { Authenticator, UserPrincipal } from '../http/auth.js';
import { STATE_CHANGING } from '../http/route.js';
import { assertSameOrigin, type OriginPolicy } from './csrf.js';
import { readSessionToken } from './cookies.js';

export interface SessionAuthenticatorDeps {
  /** Called per request: each call must hand out a fresh unit of work. */
  readonly sessions: () => ManageSessions;
  readonly memberships: () => MembershipRepository;
  readonly origins: OriginPolicy;
}

/**
 * Cookie sessions: the cookie holds an opaque random token, the database its SHA-256. A session
 * route's role comes from the membership row at request time, so a removal or a role change takes
 * effect on the next request, not at the next sign-in.
 */
export class SessionAuthenticator implements Authenticator {
  constructor(private readonly deps: SessionAuthenticatorDeps) {}

  async authenticate(req: Request): Promise<UserPrincipal | null> {
    const token = readSessionToken(req);
    if (token === null) return null;
    // Before the lookup: a forged cross-site request learns nothing, not even whether the cookie is alive.
    if (STATE_CHANGING.has(req.method)) assertSameOrigin(req, this.deps.origins);
    const session = await this.deps.sessions().resume(token);
    return session === null ? null : { userId: session.userId, sessionId: session.id };
  }

  async roleIn(user: UserPrincipal, workspaceId: WorkspaceId): Promise<Role | null> {
    const membership = await this.deps.memberships().find(workspaceId, user.userId);
    return membership?.role ?? null;
  }
}
