import { Migration } from '@mikro-orm/migrations';

/**
 * When an outbound message's platform call began. Reconciling an unknown outcome waits its grace
 * from this moment: measured from the queueing instead, a message that sat in a backlog could be
 * declared absent while Instagram was still processing the call, and be sent twice.
 */
export class Migration20261129000015_message_sending_since extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table messages add column sending_since timestamptz;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table messages drop column sending_since;');
  }
}
