import { Migration } from '@mikro-orm/migrations';

/**
 * Instagram connect and send: OAuth states (only their hash is stored, single use, short-lived,
 * bound to the session and workspace that asked), the cross-process rate limiter's sliding windows
 * and per-account pauses, and contacts Instagram reported unreachable (551).
 */
export class Migration20261129000007_instagram_connect_send extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table instagram_oauth_states (
  state_hash text primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  user_id uuid not null references users (id) on delete cascade deferrable initially deferred,
  session_hash text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz
);
create index instagram_oauth_states_expires_idx on instagram_oauth_states (expires_at);

create table instagram_rate_windows (
  account_key text not null,
  bucket text not null check (bucket in ('text', 'media', 'privateReplies', 'conversations')),
  hits timestamptz[] not null,
  primary key (account_key, bucket)
);

create table instagram_rate_accounts (
  account_key text primary key,
  usage_percent integer check (usage_percent between 0 and 100),
  usage_at timestamptz,
  paused_until timestamptz
);

create table instagram_contact_flags (
  contact_id uuid primary key references contacts (id) on delete cascade deferrable initially deferred,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  reason text not null,
  flagged_at timestamptz not null
);

create index messages_outbound_open_idx on messages (account_id, created_at, id)
  where direction = 'outbound' and delivery_state in ('pending', 'sending', 'held');
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
drop index if exists messages_outbound_open_idx;
drop table if exists instagram_contact_flags cascade;
drop table if exists instagram_rate_accounts cascade;
drop table if exists instagram_rate_windows cascade;
drop table if exists instagram_oauth_states cascade;
`);
  }
}
