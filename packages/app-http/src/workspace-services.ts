import type { Clock, Digest, IdempotencyStore, ManageInvitations, ManageTeam, Repositories, WorkspaceFactoryOptions } from '@palette/domain';
import type { Auditor } from './audit/auditor.js';

/**
 * What the workspace, team and audit routes need, resolved together: everything here shares ONE
 * unit of work, so a change, its audit entry, its mail (outbox) and its idempotency record commit
 * together. Resolving two tokens separately would give two units of work.
 */
export interface WorkspaceServices {
  readonly repos: Repositories;
  readonly team: ManageTeam;
  readonly invitations: ManageInvitations;
  readonly auditor: Auditor;
  readonly idempotency: IdempotencyStore;
  readonly clock: Clock;
  readonly digest: Digest;
  readonly workspaceOptions: WorkspaceFactoryOptions;
}
