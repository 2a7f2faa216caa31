import { Migration } from '@mikro-orm/migrations';

/**
 * Comment-to-DM delivery: the one-per-comment claim also carries where its private reply stands,
 * so a retried job never sends twice and a refusal stays visible with its reason.
 */
export class Migration20261129000011_private_reply_state extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table automation_private_replies
  add column state text not null default 'queued' check (state in ('queued', 'sending', 'sent', 'refused', 'failed', 'unknown')),
  add column reason text check (reason is null or length(reason) <= 300),
  add column platform_message_id text,
  add column updated_at timestamptz;
create index automation_private_replies_state_idx on automation_private_replies (workspace_id, state);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists automation_private_replies_state_idx;
alter table automation_private_replies drop column if exists updated_at, drop column if exists platform_message_id, drop column if exists reason, drop column if exists state;`);
  }
}
