import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entities, migrations, openDatabase } from '@palette/adapters/persistence';

// Migration 13 moves stored LLM API keys into `secrets` (so key rotation reaches them). A key saved
// before the upgrade must still decrypt after it: same ciphertext, key id and AAD, now referenced.
describe('migration 13: LLM API keys move into the secrets table', () => {
  it('carries an existing key over byte for byte and leaves settings without a key alone', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'palette-mig13-'));
    const index = migrations.findIndex((m) => m.name.endsWith('000013_assistant_key_secret'));
    expect(index).toBeGreaterThan(0);
    try {
      const before = await openDatabase({ dataDir, entities, migrations: migrations.slice(0, index) });
      await before.migrate();
      const sql = (text: string) => before.orm.em.fork().getConnection().execute(text);
      for (const [id, name] of [['0197a000-0000-7000-8000-000000000001', 'With key'], ['0197a000-0000-7000-8000-000000000002', 'Without key']] as const) {
        await sql(`insert into workspaces (id, name, timezone, default_currency, retention, created_at, updated_at) values ('${id}', '${name}', 'UTC', 'EUR', '{}', now(), now())`);
      }
      await sql(`insert into assistant_settings (workspace_id, enabled, provider, model, base_url, api_key_ciphertext, api_key_key_id, restore_personal_data, timeout_ms, updated_at)
        values ('0197a000-0000-7000-8000-000000000001', true, 'openai', 'gpt-4o-mini', null, 'b64-ciphertext==', 'k-2025', false, 20000, '2026-01-02T03:04:05Z'),
               ('0197a000-0000-7000-8000-000000000002', true, 'offline', null, null, null, null, false, 20000, now())`);
      await before.close();

      const after = await openDatabase({ dataDir, entities, migrations });
      try {
        expect(await after.migrate()).toEqual([migrations[index]!.name, ...migrations.slice(index + 1).map((m) => m.name)]);
        const rows = await after.orm.em.fork().getConnection().execute<Array<Record<string, unknown>>>(
          `select a.workspace_id, s.purpose, s.key_id, s.ciphertext, s.aad, s.workspace_id as secret_workspace from assistant_settings a
           left join secrets s on s.id = a.api_key_secret_id order by a.workspace_id`);
        expect(rows).toEqual([
          { workspace_id: '0197a000-0000-7000-8000-000000000001', purpose: 'llm_api_key', key_id: 'k-2025', ciphertext: 'b64-ciphertext==', aad: 'assistant_api_key:0197a000-0000-7000-8000-000000000001', secret_workspace: '0197a000-0000-7000-8000-000000000001' },
          { workspace_id: '0197a000-0000-7000-8000-000000000002', purpose: null, key_id: null, ciphertext: null, aad: null, secret_workspace: null },
        ]);
      } finally {
        await after.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
