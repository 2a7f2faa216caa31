import { Container, ContainerModule } from 'inversify';
import { ReceiveInboundMessage, SweepAccountRecords, type Clock, type RequestLog, type Repositories } from '@palette/domain';
import { createMikroOrmRepositories, createSqlAssistantRecords, SqlRequestLog, type DatabaseOrm } from '@palette/adapters/persistence';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { TOKENS } from './tokens.js';

export function systemModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Clock).toResolvedValue(() => new SystemClock()).inSingletonScope();
    bind(TOKENS.Ids).toResolvedValue(() => new UuidV7Generator()).inSingletonScope();
  });
}

/** One EntityManager fork per resolution: each job resolves its use case, so each job is one unit of work. */
export function mikroOrmModule(orm: DatabaseOrm): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Repositories).toResolvedValue((): Repositories => createMikroOrmRepositories(orm)).inRequestScope();
    bind(TOKENS.RequestLog).toConstantValue(new SqlRequestLog(orm));
  });
}

export function useCasesModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.ReceiveInboundMessage).toResolvedValue(
      (repos, clock, ids) => new ReceiveInboundMessage({ ...repos, clock, ids }),
      [TOKENS.Repositories, TOKENS.Clock, TOKENS.Ids],
    );
    bind(TOKENS.SweepAccountRecords).toResolvedValue(
      (repos: Repositories, clock: Clock, requestLog: RequestLog | undefined) => new SweepAccountRecords({ ...repos, clock, ...(requestLog ? { requestLog } : {}) }),
      [TOKENS.Repositories, TOKENS.Clock, { serviceIdentifier: TOKENS.RequestLog, optional: true }],
    );
  });
}

/** The assistant's records for privacy (erasure, retention, export) over the same unit of work as their repositories. */
export function assistantModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.AiDecisionRecordsFor).toConstantValue((repos: Repositories) => createSqlAssistantRecords(repos.uow));
  });
}

/** Transient by default: a use case must never share a unit of work with another job. */
export function buildWorkerContainer(modules: readonly ContainerModule[]): Container {
  const container = new Container();
  container.load(...modules);
  return container;
}
