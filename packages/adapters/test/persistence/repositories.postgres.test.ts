import { describe } from 'vitest';
import { repositoryContracts } from '@palette/domain/testing';
import { postgresHarness } from './contract-harness.js';

const url = process.env.TEST_DATABASE_URL;
if (url) {
  repositoryContracts('MikroORM on PostgreSQL', () => postgresHarness(url));
} else {
  // Reported as skipped by name so a green run never hides that PostgreSQL was not exercised.
  describe.skipIf(true)('repository contracts: MikroORM on PostgreSQL (TEST_DATABASE_URL unset)', () => {
    repositoryContracts('MikroORM on PostgreSQL', () => Promise.reject(new Error('unreachable')));
  });
}
