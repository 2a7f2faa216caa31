import { createInMemoryRepositories } from '../in-memory/index.js';
import { repositoryContracts } from '../testing/index.js';

// The in-memory adapters are held to the same contract as PGlite and PostgreSQL.
repositoryContracts('in-memory', async () => {
  let repos = createInMemoryRepositories();
  return {
    session: () => repos,
    reset: async () => { repos = createInMemoryRepositories(); },
    teardown: async () => {},
  };
});
