import { Migration } from '@mikro-orm/migrations';

/**
 * Records of the sign-in flows: password reset links (hashed), the mail outbox the default mailer
 * writes to, and failed-login counters shared by every process.
 */
export class Migration20261129000003_auth_records extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table password_reset_tokens (
  token_hash text primary key,
  user_id uuid not null references users (id) on delete cascade deferrable initially deferred,
  expires_at timestamptz not null,
  used_at timestamptz
);
create index password_reset_tokens_user_idx on password_reset_tokens (user_id) where used_at is null;
create index password_reset_tokens_expires_idx on password_reset_tokens (expires_at);

create table mail_outbox (
  id uuid primary key,
  workspace_id uuid references workspaces (id) on delete cascade deferrable initially deferred,
  kind text not null check (kind in ('invitation', 'password_reset')),
  to_address text not null,
  subject text not null,
  body text not null,
  created_at timestamptz not null,
  sent_at timestamptz
);
create index mail_outbox_to_idx on mail_outbox (to_address, created_at desc);
create index mail_outbox_created_idx on mail_outbox (created_at);

create table login_throttle (
  key text primary key,
  window_start timestamptz not null,
  failures integer not null check (failures >= 0)
);
create index login_throttle_window_idx on login_throttle (window_start);
`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists login_throttle, mail_outbox, password_reset_tokens cascade;');
  }
}
