import { Container, ContainerModule } from 'inversify';
import { SystemClock } from '@palette/adapters/system';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { TOKENS } from './tokens.js';

/** Process-wide values and system adapters: one of each for the life of the process. */
export function systemModule(config: Config, logger: Logger): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Config).toConstantValue(config);
    bind(TOKENS.Logger).toConstantValue(logger);
    bind(TOKENS.Clock).toResolvedValue(() => new SystemClock()).inSingletonScope();
  });
}

export interface ContainerInputs {
  readonly config: Config;
  readonly logger: Logger;
  /** Further modules (persistence, use cases, test fakes), loaded after the system module. */
  readonly modules?: readonly ContainerModule[];
}

/**
 * The app's one container. Classes carry no decorators: each binding is
 * `toResolvedValue(factory, [tokens])`, whose factory parameters are type-checked against the tokens.
 */
export function buildContainer(inputs: ContainerInputs): Container {
  // Transient by default: a use case must get a fresh unit of work per resolution, never a shared one.
  const container = new Container();
  container.load(systemModule(inputs.config, inputs.logger), ...(inputs.modules ?? []));
  return container;
}
