import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes on the foreign keys that cascading deletes follow. Without them, deleting one contact (or
 * message) makes PostgreSQL scan the whole `messages` / `conversations` / `ai_audit_records` table,
 * so the retention sweep and erasures slowed down with the square of the data
 * (docs/benchmarks.md, "Retention sweep").
 */
export class Migration20261129000012_cascade_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index if not exists messages_contact_id_idx on messages (contact_id);
create index if not exists conversations_contact_id_idx on conversations (contact_id);
create index if not exists ai_audit_records_message_id_idx on ai_audit_records (message_id);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists ai_audit_records_message_id_idx;
drop index if exists conversations_contact_id_idx;
drop index if exists messages_contact_id_idx;`);
  }
}
