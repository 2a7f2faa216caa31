import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { ManageInvitations, ManageTeam, RegisterAccount, type Clock, type Digest, type IdempotencyStore, type IdGenerator, type Mailer, type Repositories, type UnitOfWork, type WorkspaceFactoryOptions } from '@palette/domain';
import { createInMemoryRepositories, InMemoryDatabase, InMemoryIdempotencyStore, InMemoryRequestLog } from '@palette/domain/in-memory';
import { createMikroOrmRepositories, createSqlIdempotencyStore, MikroOrmSession, SqlRequestLog, type DatabaseOrm } from '@palette/adapters/persistence';
import { Auditor } from './audit/auditor.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { WorkspaceServices } from './workspace-services.js';
import { randomToken, ScryptPasswordHasher, Sha256Digest, UuidV7Generator, type ScryptParams } from '@palette/adapters/system';
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
    bind(TOKENS.RequestLog).toConstantValue(new SqlRequestLog(orm));
  });
}

/** Repositories in memory (tests, embedding): one shared store, transactions serialised by it. */
export function inMemoryModule(repos: Repositories = createInMemoryRepositories()): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Repositories).toConstantValue(repos);
    bind(TOKENS.RequestLog).toConstantValue(new InMemoryRequestLog());
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
    bindWorkspaceServices(bind);
  });
}

/** The idempotency store joins whichever repositories it is resolved with. */
export function idempotencyStoreFor(uow: UnitOfWork): IdempotencyStore {
  if (uow instanceof MikroOrmSession) return createSqlIdempotencyStore(uow);
  if (uow instanceof InMemoryDatabase) return new InMemoryIdempotencyStore(uow);
  throw new TypeError('No idempotency store for this kind of repositories');
}

/**
 * Workspace settings, team, invitations and audit. Invitation mail goes through `TOKENS.Mailer`
 * (the auth module binds the outbox/SMTP one); without a binding, a logging mailer that writes the
 * recipient and kind but never the body, which carries the invitation token.
 */
function bindWorkspaceServices(bind: ContainerModuleLoadOptions['bind']): void {
  bind(TOKENS.WorkspaceServices).toResolvedValue(
    (repos: Repositories, clock: Clock, ids: IdGenerator, digest: Digest, workspaceOptions: WorkspaceFactoryOptions, config: Config, logger: Logger, mailer: Mailer | undefined): WorkspaceServices => ({
      repos, clock, digest, workspaceOptions,
      team: new ManageTeam({ ...repos, clock }),
      invitations: new ManageInvitations({
        ...repos, clock, ids, digest,
        tokens: { next: () => randomToken() },
        mailer: mailer ?? loggingMailer(logger),
        acceptLink: (token) => `${config.publicUrl}/invitations/accept#token=${encodeURIComponent(token)}`,
      }),
      auditor: new Auditor({ audit: repos.audit, clock, ids }),
      idempotency: idempotencyStoreFor(repos.uow),
    }),
    [TOKENS.Repositories, TOKENS.Clock, TOKENS.Ids, TOKENS.Digest, TOKENS.WorkspaceOptions, TOKENS.Config, TOKENS.Logger, { serviceIdentifier: TOKENS.Mailer, optional: true }],
  ).inRequestScope();
}

function loggingMailer(logger: Logger): Mailer {
  return { send: async (mail) => void logger.warn({ mail: { to: mail.to, kind: mail.kind, workspaceId: mail.workspaceId } }, 'no mailer bound: mail not sent') };
}
