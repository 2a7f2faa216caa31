import { describe, expect, it } from 'vitest';
import { buildContainer } from '../src/composition-root.js';
import { cryptoModule, inMemoryModule, TEST_SCRYPT, useCasesModule } from '../src/modules.js';
import { TOKENS } from '../src/tokens.js';
import { loadConfig } from '../src/config.js';
import { captureLogs } from './support/harness.js';

describe('composition modules', () => {
  const config = loadConfig({});
  if (!config.ok) throw new Error('default config must load');
  const container = buildContainer({ config: config.value, logger: captureLogs().logger, modules: [cryptoModule({ scrypt: TEST_SCRYPT }), inMemoryModule(), useCasesModule()] });

  it('resolve every use case and run one end to end on in-memory repositories', async () => {
    const registered = await container.get(TOKENS.RegisterAccount).execute({ name: 'Ana', email: 'ana@example.com', password: 'long enough passphrase' });
    expect(registered.ok).toBe(true);
    const repos = container.get(TOKENS.Repositories);
    const user = await repos.users.findByEmail('ana@example.com');
    expect(user?.passwordHash.startsWith('scrypt$1024$')).toBe(true);
    expect(await container.get(TOKENS.PasswordHasher).verify('long enough passphrase', user!.passwordHash)).toBe(true);
    expect(container.get(TOKENS.ManageTeam)).toBeDefined();
  });
});
