import { Migration } from '@mikro-orm/migrations';

/**
 * A workspace's LLM API key moves into `secrets` beside the Instagram tokens: one table holds every
 * ciphertext, so the key-rotation job re-encrypts the LLM key too (it did not when the key lived on
 * the settings row). Existing ciphertexts move as they are: same key id, same AAD.
 */
export class Migration20261129000013_assistant_key_secret extends Migration {
  override async up(): Promise<void> {
    // The foreign key comes after the secrets rows exist: checked at once, it would refuse the update.
    this.addSql(`alter table assistant_settings add column api_key_secret_id uuid;
update assistant_settings set api_key_secret_id = gen_random_uuid() where api_key_ciphertext is not null;
insert into secrets (id, workspace_id, purpose, key_id, ciphertext, aad, created_at)
  select api_key_secret_id, workspace_id, 'llm_api_key', api_key_key_id, api_key_ciphertext, 'assistant_api_key:' || workspace_id, updated_at
  from assistant_settings where api_key_ciphertext is not null;
alter table assistant_settings add constraint assistant_settings_api_key_secret_id_fkey foreign key (api_key_secret_id) references secrets (id) on delete set null;
create index assistant_settings_api_key_secret_id_idx on assistant_settings (api_key_secret_id);
alter table assistant_settings drop constraint assistant_settings_key_pair;
alter table assistant_settings drop column api_key_ciphertext;
alter table assistant_settings drop column api_key_key_id;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table assistant_settings add column api_key_ciphertext text, add column api_key_key_id text;
update assistant_settings a set api_key_ciphertext = s.ciphertext, api_key_key_id = s.key_id from secrets s where s.id = a.api_key_secret_id;
alter table assistant_settings add constraint assistant_settings_key_pair check ((api_key_ciphertext is null) = (api_key_key_id is null));
delete from secrets where purpose = 'llm_api_key';
alter table assistant_settings drop column api_key_secret_id;`);
  }
}
