import { Migration } from '@mikro-orm/migrations';

/**
 * Responses of create requests by Idempotency-Key, kept 24 hours so a client's retry after a
 * timeout gets the first answer instead of a second resource.
 */
export class Migration20261129000004_idempotency extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table idempotency_keys (
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  route text not null,
  key text not null,
  request_hash text not null,
  status integer not null,
  body jsonb,
  headers jsonb not null default '{}',
  created_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (workspace_id, route, key)
);
create index idempotency_keys_expires_idx on idempotency_keys (expires_at);
`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists idempotency_keys cascade;');
  }
}
