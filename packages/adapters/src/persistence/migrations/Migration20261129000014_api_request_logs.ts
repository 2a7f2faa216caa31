import { Migration } from '@mikro-orm/migrations';

/**
 * The API request log moves from stdout only into the database, so that it is under the same
 * retention as the audit log (1 year, swept) and goes with a user's erasure or a workspace's deletion.
 */
export class Migration20261129000014_api_request_logs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table api_request_logs (
  id uuid primary key,
  at timestamptz not null,
  workspace_id uuid references workspaces (id) on delete cascade,
  user_id uuid,
  method text not null,
  route text not null,
  status integer not null,
  duration_ms integer not null,
  request_id text not null
);
create index api_request_logs_workspace_at_idx on api_request_logs (workspace_id, at desc, id desc);
create index api_request_logs_at_idx on api_request_logs (at);
create index api_request_logs_user_idx on api_request_logs (user_id);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists api_request_logs;');
  }
}
