import { ContainerModule } from 'inversify';
import { ManageTeam, RegisterAccount, type Repositories } from '@palette/domain';
import { createInMemoryRepositories } from '@palette/domain/in-memory';
import { createMikroOrmRepositories, type DatabaseOrm } from '@palette/adapters/persistence';
import { ScryptPasswordHasher, Sha256Digest, UuidV7Generator, type ScryptParams } from '@palette/adapters/system';
import { TOKENS } from './tokens.js';

const knownZones = new Set(Intl.supportedValuesOf('timeZone'));
const isKnownTimezone = (tz: string) => tz === 'UTC' || knownZones.has(tz);

/** Ids, hashing and the timezone list: process-wide, stateless. */
export function cryptoModule(options: { scrypt?: ScryptParams } = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Ids).toResolvedValue(() => new UuidV7Generator()).inSingletonScope();
    bind(TOKENS.PasswordHasher).toResolvedValue(() => new ScryptPasswordHasher(options.scrypt)).inSingletonScope();
    bind(TOKENS.Digest).toResolvedValue(() => new Sha256Digest()).inSingletonScope();
    bind(TOKENS.WorkspaceOptions).toConstantValue({ isKnownTimezone });
  });
}

/** Repositories over MikroORM: a fresh EntityManager fork per resolution graph. */
export function mikroOrmModule(orm: DatabaseOrm): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Repositories).toResolvedValue((): Repositories => createMikroOrmRepositories(orm)).inRequestScope();
  });
}

/** Repositories in memory (tests, embedding): one shared store, transactions serialised by it. */
export function inMemoryModule(repos: Repositories = createInMemoryRepositories()): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Repositories).toConstantValue(repos);
  });
}

/** Cheap scrypt for tests: the same code path, a fraction of the cost. */
export const TEST_SCRYPT: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };

/** Use cases, each built from the repositories of its own resolution graph. */
export function useCasesModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.RegisterAccount).toResolvedValue(
      (repos, hasher, clock, ids, workspaceOptions) => new RegisterAccount({ ...repos, hasher, clock, ids, workspaceOptions }),
      [TOKENS.Repositories, TOKENS.PasswordHasher, TOKENS.Clock, TOKENS.Ids, TOKENS.WorkspaceOptions],
    );
    bind(TOKENS.ManageTeam).toResolvedValue((repos, clock) => new ManageTeam({ ...repos, clock }), [TOKENS.Repositories, TOKENS.Clock]);
  });
}
