import type { ServiceIdentifier } from 'inversify';
import type { Clock } from '@palette/domain';
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
} as const;
