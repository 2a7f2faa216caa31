import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';
import type { MembershipRepository, PasswordHasher, UserRepository, WorkspaceRepository } from './ports.js';
import { Membership } from './membership.js';
import { normalizeEmail, User, type UserError } from './user.js';
import { Workspace, type WorkspaceError, type WorkspaceFactoryOptions } from './workspace.js';

export interface RegisterAccountCommand {
  readonly name: string;
  readonly email: string;
  readonly password: string;
  readonly workspaceName?: string;
  readonly timezone?: string;
  readonly currency?: string;
}

export type RegisterAccountError =
  | UserError
  | WorkspaceError
  | { readonly kind: 'EmailTaken' }
  | { readonly kind: 'WeakPassword'; readonly minLength: number };

export const MIN_PASSWORD_LENGTH = 10;

/** Sign-up: the user, their first workspace, and their owner membership, atomically. */
export class RegisterAccount {
  constructor(
    private readonly deps: {
      users: UserRepository; workspaces: WorkspaceRepository; memberships: MembershipRepository;
      hasher: PasswordHasher; uow: UnitOfWork; clock: Clock; ids: IdGenerator; workspaceOptions: WorkspaceFactoryOptions;
    },
  ) {}

  async execute(cmd: RegisterAccountCommand): Promise<Result<{ user: User; workspace: Workspace; membership: Membership }, RegisterAccountError>> {
    const { users, workspaces, memberships, hasher, uow, clock, ids, workspaceOptions } = this.deps;
    if (cmd.password.length < MIN_PASSWORD_LENGTH) return err({ kind: 'WeakPassword', minLength: MIN_PASSWORD_LENGTH });
    // Hash outside the transaction: the KDF is deliberately slow and must not hold locks.
    const passwordHash = await hasher.hash(cmd.password);
    return uow.run(async () => {
      const now = clock.now();
      if (await users.findByEmail(normalizeEmail(cmd.email))) return err({ kind: 'EmailTaken' } as const);
      const user = User.register({ id: Ids.user(ids.next()), name: cmd.name, email: cmd.email, passwordHash, now });
      if (!user.ok) return user;
      const workspace = Workspace.create({
        id: Ids.workspace(ids.next()), name: cmd.workspaceName ?? `${user.value.name}'s shop`,
        timezone: cmd.timezone ?? 'UTC', defaultCurrency: cmd.currency ?? 'EUR', now,
      }, workspaceOptions);
      if (!workspace.ok) return workspace;
      const membership = Membership.create({ id: Ids.membership(ids.next()), workspaceId: workspace.value.id, userId: user.value.id, role: 'owner', now });
      await users.save(user.value);
      await workspaces.save(workspace.value);
      await memberships.save(membership);
      return ok({ user: user.value, workspace: workspace.value, membership });
    });
  }
}
