import { Migration } from '@mikro-orm/migrations';

/**
 * The inbound half of Instagram: the webhook inbox (raw signed deliveries, acknowledged before any
 * processing), the applied-event log (dedupe keys, and events waiting for a message that has not
 * arrived yet), the app-scoped ids Meta's callbacks name accounts by, and Meta's deletion requests.
 */
export class Migration20261129000005_instagram_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table instagram_webhook_inbox (
  id uuid primary key,
  payload_sha256 char(64) not null,
  raw_body text not null,
  state text not null check (state in ('received', 'processed', 'quarantined')),
  reason text,
  attempts integer not null default 0 check (attempts >= 0),
  workspace_id uuid references workspaces (id) on delete cascade deferrable initially deferred,
  received_at timestamptz not null,
  processed_at timestamptz,
  constraint instagram_webhook_inbox_payload_unique unique (payload_sha256)
);
create index instagram_webhook_inbox_received_idx on instagram_webhook_inbox (received_at) where state = 'received';
create index instagram_webhook_inbox_quarantined_idx on instagram_webhook_inbox (workspace_id, received_at) where state = 'quarantined';

create table instagram_events (
  dedupe_key text primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  account_id uuid not null references instagram_accounts (id) on delete cascade deferrable initially deferred,
  kind text not null,
  mid text,
  occurred_at timestamptz not null,
  data jsonb not null default '{}',
  recorded_at timestamptz not null
);
create index instagram_events_mid_idx on instagram_events (account_id, mid) where mid is not null;
create index instagram_events_kind_idx on instagram_events (account_id, kind, occurred_at);

create table instagram_account_aliases (
  app_scoped_id text primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  account_id uuid not null references instagram_accounts (id) on delete cascade deferrable initially deferred
);

create table instagram_deletion_requests (
  id uuid primary key,
  confirmation_code text not null,
  kind text not null check (kind in ('deauthorize', 'data_deletion')),
  workspace_id uuid references workspaces (id) on delete set null deferrable initially deferred,
  account_id uuid,
  status text not null check (status in ('pending', 'complete')),
  requested_at timestamptz not null,
  completed_at timestamptz,
  constraint instagram_deletion_requests_code_unique unique (confirmation_code)
);
`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists instagram_deletion_requests cascade;');
    this.addSql('drop table if exists instagram_account_aliases cascade;');
    this.addSql('drop table if exists instagram_events cascade;');
    this.addSql('drop table if exists instagram_webhook_inbox cascade;');
  }
}
