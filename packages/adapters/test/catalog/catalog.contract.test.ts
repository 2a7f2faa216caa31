import { createInMemoryRepositories } from '@palette/domain/in-memory';
import { catalogContracts } from './catalog-contracts.js';
import { pgliteHarness, postgresHarness } from '../persistence/contract-harness.js';
import { describeOnPostgres, testDatabaseUrl } from '../support/databases.js';

catalogContracts('in-memory', async () => {
  let repos = createInMemoryRepositories();
  return { session: () => repos, reset: async () => { repos = createInMemoryRepositories(); }, teardown: async () => {} };
});

catalogContracts('MikroORM on PGlite', pgliteHarness);

describeOnPostgres('catalog and orders contracts', () => {
  catalogContracts('MikroORM on PostgreSQL', () => postgresHarness(testDatabaseUrl!));
});
