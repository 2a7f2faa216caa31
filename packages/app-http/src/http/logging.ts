import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger.js';
import { REDACTED_PATHS } from '../logger.js';

/**
 * One structured line per request. The request serializer is ours, not pino's: it drops the
 * query string (OAuth codes and webhook verify tokens travel there) and never touches the body.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    // The root logger already redacts; repeating it here keeps the guarantee when a test or a
    // caller hands in a logger built without it.
    redact: { paths: [...REDACTED_PATHS], censor: '[Redacted]' },
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    serializers: {
      req: (req: IncomingMessage & { raw?: Request }) => {
        const raw = req.raw ?? (req as Request);
        return {
          id: raw.id,
          method: raw.method,
          path: (raw.originalUrl ?? raw.url ?? '').split('?')[0],
          headers: raw.headers,
          remoteAddress: raw.ip ?? raw.socket?.remoteAddress,
        };
      },
      res: (res: ServerResponse & { raw?: ServerResponse }) => {
        const raw = res.raw ?? res;
        return { statusCode: raw.statusCode, headers: raw.getHeaders() };
      },
    },
    wrapSerializers: false,
    customLogLevel: (_req, res, error) => (error !== undefined || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customProps: (_req, res) => {
      const route = (res as ServerResponse & { locals?: { route?: string } }).locals?.route;
      return route === undefined ? {} : { route };
    },
  });
}
