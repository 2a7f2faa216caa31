import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/** JSON lines on stdout. Job payloads are never logged: they carry message text. */
export function createWorkerLogger(options: { level: LogLevel; destination?: DestinationStream }): Logger {
  return pino({ level: options.level, base: { service: 'palette-worker' }, timestamp: pino.stdTimeFunctions.isoTime }, options.destination);
}
