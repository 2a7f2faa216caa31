import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Logger } from '../logger.js';
import { readSessionToken } from '../auth/cookies.js';
import { OPERATIONAL_PATHS } from './operational.js';
import { HttpProblem, sendProblem } from './problem.js';

export interface RateLimitOptions {
  readonly windowMs: number;
  /** Requests per client address per window. */
  readonly limit: number;
  /** Requests per session per window (a signed-in dashboard behind one shared NAT address). */
  readonly sessionLimit?: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { windowMs: 60_000, limit: 300, sessionLimit: 600 };

/** The session a request claims (read as authentication reads it), hashed so the limiter's memory never holds a usable token. */
export function sessionKey(req: Request): string | null {
  const token = readSessionToken(req);
  return token ? createHash('sha256').update(token).digest('base64url') : null;
}

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
    // Meta posts webhooks in bursts from a few addresses and retries a 429 for hours; they are
    // authenticated by signature instead (an unsigned request costs one HMAC and stores nothing).
    skip: (req) => OPERATIONAL_PATHS.has(req.path) || req.path === '/webhooks/instagram',
    // Misconfiguration warnings (a permissive trust proxy…) go to our logs, not to the console.
    logger,
    handler: limited(options, 'your address'),
  });
}

/** Per session cookie, whatever the address; requests without a session are left to the per-IP limit. */
export function perSessionRateLimit(options: RateLimitOptions, logger: Logger): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.sessionLimit ?? options.limit * 2,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skip: (req) => OPERATIONAL_PATHS.has(req.path) || sessionKey(req) === null,
    keyGenerator: (req) => `session:${sessionKey(req)}`,
    logger,
    handler: limited(options, 'this session'),
  });
}

function limited(options: RateLimitOptions, who: string) {
  return (req: Request, res: Response) => {
    // Retry-After is already set by the limiter; the problem repeats it for clients that read bodies.
    const retryAfter = Number(res.getHeader('Retry-After'));
    sendProblem(
      req,
      res,
      new HttpProblem('rate-limited', {
        detail: `Too many requests from ${who}. Try again in ${Number.isFinite(retryAfter) ? retryAfter : Math.ceil(options.windowMs / 1000)} seconds.`,
        extensions: Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {},
      }),
    );
  };
}
