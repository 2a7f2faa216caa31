import type { MembershipId, UserId, WorkspaceId } from '../shared/ids.js';
import type { Membership } from './membership.js';
import type { User } from './user.js';
import type { Workspace } from './workspace.js';

export interface WorkspaceRepository {
  get(id: WorkspaceId): Promise<Workspace | null>;
  save(workspace: Workspace): Promise<void>;
}

export interface UserRepository {
  get(id: UserId): Promise<User | null>;
  findByEmail(email: string): Promise<User | null>;
  save(user: User): Promise<void>;
}

export interface MembershipRepository {
  get(workspaceId: WorkspaceId, id: MembershipId): Promise<Membership | null>;
  find(workspaceId: WorkspaceId, userId: UserId): Promise<Membership | null>;
  listByWorkspace(workspaceId: WorkspaceId): Promise<Membership[]>;
  listByUser(userId: UserId): Promise<Membership[]>;
  save(membership: Membership): Promise<void>;
  remove(membership: Membership): Promise<void>;
}

/** A memory-hard KDF (scrypt or argon2id) behind a port so the core never sees a password algorithm. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}
