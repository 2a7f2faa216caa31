import { Migration } from '@mikro-orm/migrations';

/**
 * Reports: pseudonymous per-contact day facts (for distinct-contact figures that daily sums cannot
 * give) and the indexes the report reads and repairs use. The key is a SHA-256 of the workspace
 * and contact ids, never the id; rows are removed with the contact (`SqlReportStore.forgetContact`).
 */
export class Migration20261129000009_reports extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table report_contact_days (
  workspace_id uuid not null references workspaces (id) on delete cascade deferrable initially deferred,
  contact_key bytea not null,
  day date not null,
  inbound integer not null default 0 check (inbound >= 0),
  orders integer not null default 0 check (orders >= 0),
  primary key (workspace_id, contact_key, day)
);
create index report_contact_days_day_idx on report_contact_days (workspace_id, day);

-- A report reads a few metrics over a day range: metric first makes each one a single range scan.
create index daily_metrics_metric_day_idx on daily_metrics (workspace_id, metric, day) include (dimension, count, sum);

-- A repair reads the source of a day range.
create index messages_workspace_sent_idx on messages (workspace_id, sent_at);
create index orders_workspace_updated_idx on orders (workspace_id, updated_at);
`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists orders_workspace_updated_idx; drop index if exists messages_workspace_sent_idx; drop index if exists daily_metrics_metric_day_idx;
drop table if exists report_contact_days cascade;`);
  }
}
