import type { MembershipId, UserId, WorkspaceId } from '../shared/ids.js';
import type { Membership } from './membership.js';
import type { User } from './user.js';
import type { Workspace } from './workspace.js';
import type { Session } from './session.js';
import type { Invitation } from './invitation.js';

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

export interface SessionRepository {
  /** By the SHA-256 of the cookie token. */
  get(tokenHash: string): Promise<Session | null>;
  save(session: Session): Promise<void>;
  /** "Log out everywhere": revokes every active session of the user, returns how many. */
  revokeAllForUser(userId: UserId, now: Date): Promise<number>;
  /** Retention: deletes sessions that expired or were revoked at or before `cutoff`. */
  deleteEndedBefore(cutoff: Date, limit: number): Promise<number>;
}

export interface InvitationRepository {
  get(workspaceId: WorkspaceId, id: string): Promise<Invitation | null>;
  findByTokenHash(tokenHash: string): Promise<Invitation | null>;
  listPending(workspaceId: WorkspaceId, now: Date): Promise<Invitation[]>;
  save(invitation: Invitation): Promise<void>;
}

/** Outgoing email (invitations, password resets): log/outbox by default, SMTP when configured. */
export interface Mailer {
  send(mail: { to: string; subject: string; text: string; workspaceId: WorkspaceId | null; kind: 'invitation' | 'password_reset' }): Promise<void>;
}
