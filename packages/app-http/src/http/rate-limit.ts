import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Logger } from '../logger.js';
import { OPERATIONAL_PATHS } from './operational.js';
import { HttpProblem, sendProblem } from './problem.js';

export interface RateLimitOptions {
  readonly windowMs: number;
  /** Requests per client address per window. */
  readonly limit: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { windowMs: 60_000, limit: 300 };

/**
 * Per client address (`req.ip`, so TRUST_PROXY decides whether X-Forwarded-For counts; IPv6 is
 * grouped by /56 so one host cannot rotate through its own addresses). In memory, per process.
 */
export function perIpRateLimit(options: RateLimitOptions, logger: Logger): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skip: (req) => OPERATIONAL_PATHS.has(req.path),
    // Misconfiguration warnings (a permissive trust proxy…) go to our logs, not to the console.
    logger,
    handler: (req, res) => {
      // Retry-After is already set by the limiter; the problem repeats it for clients that read bodies.
      const retryAfter = Number(res.getHeader('Retry-After'));
      sendProblem(
        req,
        res,
        new HttpProblem('rate-limited', {
          detail: `Too many requests from your address. Try again in ${Number.isFinite(retryAfter) ? retryAfter : Math.ceil(options.windowMs / 1000)} seconds.`,
          extensions: Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {},
        }),
      );
    },
  });
}
