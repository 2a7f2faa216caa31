import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ConcurrencyConflictError } from '@palette/domain';
import type { Logger } from '../logger.js';
import { HttpProblem, PROBLEM_SLUGS, PROBLEM_TYPES, sendProblem } from './problem.js';
import type { ProblemSlug } from './problem.js';
import { isDatabaseUnavailable } from './unavailable.js';

/** Unknown paths answer a problem too, so clients parse one error shape everywhere. */
export function notFoundHandler(): RequestHandler {
  return () => {
    throw HttpProblem.notFound('Nothing is served at this path.');
  };
}

/** What body-parser and other http-errors style middleware throw: a status and, often, a `type`. */
type HttpLikeError = Error & { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown; limit?: unknown };

const BODY_PARSER_TYPES: Record<string, ProblemSlug> = {
  'entity.too.large': 'payload-too-large',
  'entity.parse.failed': 'malformed-json',
  'encoding.unsupported': 'unsupported-media-type',
  'charset.unsupported': 'unsupported-media-type',
  'request.aborted': 'bad-request',
  'request.size.invalid': 'bad-request',
};

function toProblem(error: unknown, bodyLimitBytes: number): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  if (error instanceof ConcurrencyConflictError) {
    return HttpProblem.conflict('Someone else changed this at the same time. Reload it and try again.', 'concurrency.conflict');
  }
  if (!(error instanceof Error)) return undefined;
  // An outage, not a bug: 503 tells clients (and Meta's webhook delivery) to come back.
  if (isDatabaseUnavailable(error)) return new HttpProblem('unavailable', { detail: 'The service cannot reach its database right now. Retry shortly.' });
  const e = error as HttpLikeError;
  const bodyParserSlug = typeof e.type === 'string' ? BODY_PARSER_TYPES[e.type] : undefined;
  if (bodyParserSlug === 'payload-too-large') {
    return new HttpProblem('payload-too-large', { detail: `The request body is larger than the ${formatBytes(bodyLimitBytes)} limit.` });
  }
  if (bodyParserSlug === 'malformed-json') {
    // The parser's message quotes the body; say only that it failed.
    return new HttpProblem('malformed-json', { detail: 'The request body could not be parsed as JSON.' });
  }
  if (bodyParserSlug !== undefined) return new HttpProblem(bodyParserSlug);

  // Express's router raises 4xx http-errors itself (an undecodable %-escape in a path parameter).
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500) {
    const slug = PROBLEM_SLUGS.find((s) => PROBLEM_TYPES[s].status === status) ?? 'bad-request';
    return new HttpProblem(slug, e.expose === true ? { detail: e.message } : {});
  }
  return undefined;
}

const formatBytes = (bytes: number): string =>
  bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0 ? `${bytes / 1024 ** 2} MB` : bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KB` : `${bytes} bytes`;

/**
 * The last middleware. Known failures become their problem; anything else is a bug or an outage:
 * a generic 500 for the client and the full error, with its stack, in the server log only.
 */
export function errorHandler(logger: Logger, bodyLimitBytes: number): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    const problem = toProblem(error, bodyLimitBytes);
    if (problem === undefined) {
      // pino-http logs the request line with this error attached, stack included.
      res.err = error instanceof Error ? error : new Error(String(error));
    }
    if (res.headersSent) {
      // Too late for a problem document: let Express cut the connection so the client sees a failure.
      (req.log ?? logger).error({ err: error }, 'error after the response started');
      next(error);
      return;
    }
    sendProblem(req, res, problem ?? new HttpProblem('internal', { detail: `Something went wrong on our side. Quote request id ${String(req.id)} if you report it.` }));
  };
}
