import { repositoryContracts } from '@palette/domain/testing';
import { pgliteHarness } from './contract-harness.js';

repositoryContracts('MikroORM on PGlite', pgliteHarness);
