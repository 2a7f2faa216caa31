import type { Request, Response } from 'express';
import { z } from 'zod';

/**
 * The problem types Palette answers with (RFC 9457). The slug is part of the public contract:
 * clients switch on `type`, so a slug is never renamed, and `title` never varies per occurrence.
 */
export const PROBLEM_TYPES = {
  'bad-request': { status: 400, title: 'The request could not be understood' },
  validation: { status: 400, title: 'The request is not valid' },
  'malformed-json': { status: 400, title: 'The request body is not valid JSON' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'You are not allowed to do this' },
  csrf: { status: 403, title: 'Cross-site request refused' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'headers-too-large': { status: 431, title: 'The request line or headers are too large' },
  unprocessable: { status: 422, title: 'The request breaks a business rule' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;
export const PROBLEM_SLUGS = Object.keys(PROBLEM_TYPES) as ProblemSlug[];

export const PROBLEM_BASE_URI = 'https://palette.dev/problems/';
export const problemTypeUri = (slug: ProblemSlug): string => `${PROBLEM_BASE_URI}${slug}`;
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One field-level complaint; `path` is dotted and starts with where it came from (`body.items.0.sku`). */
export interface FieldError {
  readonly path: string;
  readonly message: string;
  readonly code: string;
}

export interface ProblemOptions {
  /** Occurrence-specific and shown to the user: never echo secrets or internals here. */
  readonly detail?: string;
  /** Dotted machine code for a business outcome (`order.illegal_transition`), per docs/style §2.3. */
  readonly code?: string;
  readonly errors?: readonly FieldError[];
  /** Extra members for this problem type (`checks` on readiness, `allow` on 405…). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/**
 * What a route handler throws to answer with a problem. Business outcomes come back from use cases
 * as Results; the handler maps their `kind` to one of these (an exhaustive switch), which keeps the
 * HTTP vocabulary out of the domain.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;

  constructor(
    readonly slug: ProblemSlug,
    readonly options: ProblemOptions = {},
  ) {
    const { status, title } = PROBLEM_TYPES[slug];
    super(options.detail ?? title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpProblem';
    this.status = status;
    this.title = title;
    this.detail = options.detail ?? title;
  }

  static validation(errors: readonly FieldError[], detail = 'Some fields are missing or invalid; see `errors`.'): HttpProblem {
    return new HttpProblem('validation', { detail, errors });
  }

  static notFound(detail = 'The resource does not exist or you cannot see it.'): HttpProblem {
    return new HttpProblem('not-found', { detail });
  }

  static conflict(detail: string, code?: string): HttpProblem {
    return new HttpProblem('conflict', code === undefined ? { detail } : { detail, code });
  }

  static unprocessable(detail: string, code?: string): HttpProblem {
    return new HttpProblem('unprocessable', code === undefined ? { detail } : { detail, code });
  }

  static forbidden(detail = 'Your role does not allow this action.'): HttpProblem {
    return new HttpProblem('forbidden', { detail });
  }

  static unauthenticated(detail = 'Sign in to continue.'): HttpProblem {
    return new HttpProblem('unauthenticated', { detail });
  }
}

export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly requestId: string;
  readonly code?: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

/** The path only: query strings can carry tokens (OAuth, webhook verification) and must not be echoed. */
export const requestPath = (req: Request): string => req.originalUrl.split('?')[0] ?? '/';

export function problemDocument(problem: HttpProblem, req: Request): ProblemDocument {
  const { code, errors, extensions } = problem.options;
  return {
    ...extensions,
    type: problemTypeUri(problem.slug),
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: requestPath(req),
    requestId: String(req.id),
    ...(code === undefined ? {} : { code }),
    ...(errors === undefined ? {} : { errors }),
  };
}

export function sendProblem(req: Request, res: Response, problem: HttpProblem): void {
  for (const [name, value] of Object.entries(problem.options.headers ?? {})) res.setHeader(name, value);
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).json(problemDocument(problem, req));
}

/** The documented shape, used by the OpenAPI generator for every error response. */
export const ProblemSchema = z
  .object({
    type: z.url().describe('Stable URI naming the problem type; clients switch on it.'),
    title: z.string().describe('Short summary of the problem type; the same for every occurrence.'),
    status: z.number().int().describe('The HTTP status code.'),
    detail: z.string().describe('What went wrong this time, for a human.'),
    instance: z.string().describe('The request path.'),
    requestId: z.string().describe('Quote it when reporting a problem; it is in the server logs too.'),
    code: z.string().optional().describe('Dotted business code, when the problem comes from a business rule.'),
    errors: z
      .array(
        z.object({
          path: z.string().describe('Where the bad value is: `params.`, `query.` or `body.` then the field path.'),
          message: z.string(),
          code: z.string().describe('Machine-readable reason (zod issue code).'),
        }),
      )
      .optional()
      .describe('Field-level details, for `validation` problems.'),
  })
  .meta({ id: 'Problem' });
