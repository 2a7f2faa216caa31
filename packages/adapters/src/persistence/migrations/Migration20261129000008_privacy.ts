import { Migration } from '@mikro-orm/migrations';

/**
 * Export bundles (access and portability requests) and the random token that replaces an order's
 * contact link when the order is anonymised. A bundle is kept as base64 text rather than bytea so
 * it reads back the same through PostgreSQL and PGlite; it lives 7 days (expires_at).
 */
export class Migration20261129000008_privacy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table privacy_exports (
  id uuid primary key,
  workspace_id uuid references workspaces (id) on delete cascade deferrable initially deferred,
  request_id uuid,
  requested_by uuid not null,
  subject jsonb not null,
  status text not null check (status in ('pending', 'ready', 'failed')),
  bundle_base64 text,
  bundle_sha256 text,
  byte_size integer,
  created_at timestamptz not null,
  completed_at timestamptz,
  expires_at timestamptz not null
);
create index privacy_exports_expires_idx on privacy_exports (expires_at);
create index privacy_exports_requester_idx on privacy_exports (requested_by, created_at desc);

alter table orders add column customer_token uuid;
create index privacy_receipts_created_idx on privacy_receipts (created_at);
create index contacts_retention_idx on contacts (workspace_id, last_interaction_at);
create index audit_entries_workspace_at_idx on audit_entries (workspace_id, at);
`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists audit_entries_workspace_at_idx; drop index if exists contacts_retention_idx; drop index if exists privacy_receipts_created_idx;
alter table orders drop column if exists customer_token; drop table if exists privacy_exports cascade;`);
  }
}
