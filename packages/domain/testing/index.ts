// @palette/domain/testing: the shared contract suites, fixtures and arbitraries. Test-only:
// it imports vitest and fast-check, which consumers have as dev dependencies.
export { repositoryContracts, storableText, type ContractHarness, type RepositorySet } from './contracts.js';
export { make, uuid, unwrap, knownTimezones } from './fixtures.js';
