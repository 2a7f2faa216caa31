import type { Request } from 'express';
import type { Role, UserId, WorkspaceId } from '@palette/domain';

/** Who is calling, as far as the HTTP layer needs to know: a member acting in one workspace. */
export interface Principal {
  readonly userId: UserId;
  readonly workspaceId: WorkspaceId;
  readonly role: Role;
}

/**
 * Turns a request into a principal, or null when it carries no valid credentials. Sessions plug in
 * here; until they do, no authenticator is wired and every `auth: 'session'` route answers 401.
 */
export interface Authenticator {
  authenticate(req: Request): Promise<Principal | null>;
}

/** The cookie the session feature sets; named here so the OpenAPI document can describe it. */
export const SESSION_COOKIE_NAME = 'palette_session';
