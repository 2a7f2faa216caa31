import { Migration } from '@mikro-orm/migrations';

/** Server-side sessions (only the token's SHA-256 is stored) and single-use invitations. */
export class Migration20261129000002_sessions_invitations extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table sessions (
  token_hash text primary key,
  user_id uuid not null references users (id) on delete cascade deferrable initially deferred,
  created_at timestamptz not null,
  last_seen_at timestamptz not null,
  idle_expires_at timestamptz not null,
  absolute_expires_at timestamptz not null,
  revoked_at timestamptz,
  version integer not null default 1
);
create index sessions_user_idx on sessions (user_id) where revoked_at is null;
create index sessions_ended_idx on sessions (idle_expires_at);

create table invitations (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  email text not null,
  role text not null check (role in ('owner', 'admin', 'agent', 'analyst')),
  token_hash text not null,
  invited_by uuid not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  accepted_at timestamptz,
  revoked_at timestamptz,
  version integer not null default 1,
  constraint invitations_token_unique unique (token_hash)
);
create index invitations_pending_idx on invitations (workspace_id, created_at) where accepted_at is null and revoked_at is null;
`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists invitations, sessions cascade;');
  }
}
