import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/**
 * Credentials that can reach a log line through request or response headers. Bodies are never
 * serialized at all (see http/logging.ts), so passwords, tokens and message text have no path in.
 */
export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers["x-hub-signature-256"]',
  'res.headers["set-cookie"]',
] as const;

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Tests pass an in-memory stream; production writes JSON lines to stdout. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'palette-http' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_PATHS], censor: '[Redacted]' },
    },
    options.destination,
  );
}
