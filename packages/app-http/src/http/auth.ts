import type { Request } from 'express';
import type { Role, UserId, WorkspaceId } from '@palette/domain';

/** A signed-in user, whatever workspace they act in. */
export interface UserPrincipal {
  readonly userId: UserId;
  /** The SHA-256 of the session token (never the token itself). */
  readonly sessionId: string;
}

/** A member acting in the workspace named by the route's `:workspaceId`. */
export interface Principal extends UserPrincipal {
  readonly workspaceId: WorkspaceId;
  readonly role: Role;
}

/**
 * Sessions plug in here. Without one wired, every `user` and `session` route answers 401.
 * `roleIn` returning null makes the route answer 404: a foreign workspace is indistinguishable
 * from one that does not exist.
 */
export interface Authenticator {
  authenticate(req: Request): Promise<UserPrincipal | null>;
  roleIn(user: UserPrincipal, workspaceId: WorkspaceId): Promise<Role | null>;
}

/**
 * The session cookie over plain HTTP (local installs). Named here so the OpenAPI document and the
 * rate limiter agree with the session feature.
 */
export const SESSION_COOKIE_NAME = 'palette_session';

/**
 * The same cookie over HTTPS. Browsers accept a `__Host-` cookie only if it is Secure, Path=/ and
 * has no Domain, so a sibling subdomain cannot plant or shadow it.
 */
export const SECURE_SESSION_COOKIE_NAME = `__Host-${SESSION_COOKIE_NAME}`;
