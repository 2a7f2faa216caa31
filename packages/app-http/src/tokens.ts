import type { ServiceIdentifier } from 'inversify';
import type { Clock, Digest, IdGenerator, ManageTeam, PasswordHasher, RegisterAccount, Repositories, WorkspaceFactoryOptions } from '@palette/domain';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * Every binding of the HTTP app's container. `Symbol.for` keeps a token equal across module
 * instances (tsx and vitest can load a file twice); the cast carries the bound type, so a factory
 * given the wrong token fails to compile.
 */
export const TOKENS = {
  Config: Symbol.for('palette.Config') as ServiceIdentifier<Config>,
  Logger: Symbol.for('palette.Logger') as ServiceIdentifier<Logger>,
  Clock: Symbol.for('palette.Clock') as ServiceIdentifier<Clock>,
  Ids: Symbol.for('palette.Ids') as ServiceIdentifier<IdGenerator>,
  PasswordHasher: Symbol.for('palette.PasswordHasher') as ServiceIdentifier<PasswordHasher>,
  Digest: Symbol.for('palette.Digest') as ServiceIdentifier<Digest>,
  WorkspaceOptions: Symbol.for('palette.WorkspaceOptions') as ServiceIdentifier<WorkspaceFactoryOptions>,
  /** One unit of work per resolution graph (request scope): resolve use cases inside the handler. */
  Repositories: Symbol.for('palette.Repositories') as ServiceIdentifier<Repositories>,
  RegisterAccount: Symbol.for('palette.RegisterAccount') as ServiceIdentifier<RegisterAccount>,
  ManageTeam: Symbol.for('palette.ManageTeam') as ServiceIdentifier<ManageTeam>,
} as const;
