import type { Request, RequestHandler, Response, Router } from 'express';
import { can } from '@palette/domain';
import type { Authenticator, Principal, UserPrincipal } from './auth.js';
import { Ids } from '@palette/domain';
import { HttpProblem } from './problem.js';
import type { FieldError } from './problem.js';
import { STATE_CHANGING } from './route.js';
import type { AnyReply, RouteAuth, RouteContext, RouteDefinition, RouteTable } from './route.js';
import { parsePart } from './validate.js';

/** `application/json` and its structured-suffix relatives (`application/merge-patch+json`). */
export const JSON_MEDIA_TYPES = ['application/json', 'application/*+json'];

/** How a 415 names what a POST (Accept-Post, W3C LDP) or a PATCH (Accept-Patch, RFC 5789) accepts. */
const ACCEPT_HEADER: Readonly<Record<string, string>> = { POST: 'Accept-Post', PATCH: 'Accept-Patch' };

export function assertUniqueRoutes(routes: RouteTable): void {
  const seen = new Set<string>();
  const ids = new Set<string>();
  for (const route of routes) {
    // `/a/:x` and `/a/:y` match the same requests, so parameter names do not make routes distinct.
    const key = `${route.method} ${route.path.replace(/:[^/]+/g, ':')}`;
    if (seen.has(key)) throw new Error(`Two routes answer ${route.method.toUpperCase()} ${route.path}`);
    if (ids.has(route.operationId)) throw new Error(`Two routes share the operationId ${route.operationId}`);
    seen.add(key);
    ids.add(route.operationId);
  }
}

export interface MountOptions {
  readonly authenticator: Authenticator | undefined;
  readonly jsonParser: RequestHandler;
  /** The same parser, also keeping the raw bytes for `rawBody` routes. */
  readonly rawJsonParser: RequestHandler;
  /** application/x-www-form-urlencoded, flat fields only, for `bodyType: 'form'` routes. */
  readonly formParser?: RequestHandler;
  /** JSON media types as a Buffer in `req.body`, for `bodyType: 'raw'` routes. */
  readonly rawParser?: RequestHandler;
}

export const RAW_BODY = Symbol('palette.rawBody');
type WithRawBody = Request & { [RAW_BODY]?: Buffer };

export function mountRoutes(router: Router, routes: RouteTable, options: MountOptions): void {
  assertUniqueRoutes(routes);
  for (const route of routes) {
    router[route.method](route.path, routeHandler(route, options));
  }
  // A known path asked with the wrong method is a 405 with Allow, not a misleading 404.
  const methodsByPath = new Map<string, Set<string>>();
  for (const route of routes) {
    const methods = methodsByPath.get(route.path) ?? new Set<string>();
    methods.add(route.method.toUpperCase());
    if (route.method === 'get') methods.add('HEAD');
    methodsByPath.set(route.path, methods);
  }
  for (const [path, methods] of methodsByPath) {
    const allow = [...methods].join(', ');
    router.all(path, (req, res) => {
      res.locals['route'] = path;
      throw new HttpProblem('method-not-allowed', {
        detail: `${req.method} is not supported here; use ${allow}.`,
        headers: { Allow: allow },
      });
    });
  }
}

function routeHandler(route: RouteDefinition, options: MountOptions): RequestHandler {
  const form = route.bodyType === 'form';
  const csv = route.bodyType === 'csv';
  const raw = route.bodyType === 'raw' && options.rawParser !== undefined;
  const parser = form && options.formParser ? options.formParser : raw ? options.rawParser! : route.rawBody ? options.rawJsonParser : options.jsonParser;
  return async (req, res) => {
    res.locals['route'] = route.path;

    // Who before what: an anonymous caller learns nothing from validation messages.
    const principal = route.auth === 'public' ? null : await authenticate(route, req, options.authenticator);
    // For the stored request log: who called, and the workspace only once membership is proven.
    if (principal) res.locals['principal'] = principal;

    // Only JSON changes state: it also keeps HTML forms, which cannot send it, from posting cross-site.
    if (form && STATE_CHANGING.has(req.method) && hasBody(req) && !req.is('application/x-www-form-urlencoded')) {
      throw new HttpProblem('unsupported-media-type', { detail: 'Send the request body as application/x-www-form-urlencoded.' });
    }
    if (csv && STATE_CHANGING.has(req.method) && !req.is('text/csv')) {
      throw new HttpProblem('unsupported-media-type', { detail: 'Send the file as text/csv.', headers: { 'Accept-Post': 'text/csv' } });
    }
    if (!form && !csv && STATE_CHANGING.has(req.method) && hasBody(req) && !req.is(JSON_MEDIA_TYPES)) {
      throw new HttpProblem('unsupported-media-type', {
        detail: 'Send the request body as application/json.',
        ...(ACCEPT_HEADER[req.method] === undefined ? {} : { headers: { [ACCEPT_HEADER[req.method] as string]: 'application/json' } }),
      });
    }
    if (route.body || route.rawBody || raw) await runMiddleware(parser, req, res);
    if (raw) (req as WithRawBody)[RAW_BODY] = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);

    const errors: FieldError[] = [];
    const parts = await Promise.all([
      route.params ? parsePart('params', route.params, req.params) : ok({}),
      route.query ? parsePart('query', route.query, req.query) : ok({}),
      route.body ? parsePart('body', route.body, req.body) : ok(undefined),
    ]);
    for (const part of parts) if (!part.ok) errors.push(...part.errors);
    if (errors.length > 0) throw HttpProblem.validation(errors);
    const [params, query, body] = parts.map((part) => (part.ok ? part.value : undefined));

    const reply = await route.handler({
      params,
      query,
      body,
      principal,
      requestId: String(req.id),
      log: req.log,
      rawBody: (req as WithRawBody)[RAW_BODY],
      req,
      res,
    } as RouteContext<unknown, unknown, unknown, RouteAuth>);
    await send(route, res, reply);
  };
}

const ok = <T>(value: T) => Promise.resolve({ ok: true as const, value });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * 401 without a session; for workspace routes, 404 unless the caller is a member (before any
 * permission or input check, so a foreign id reveals nothing), then 403 without the permission.
 */
async function authenticate(route: RouteDefinition, req: Request, authenticator: Authenticator | undefined): Promise<UserPrincipal | Principal> {
  const user = authenticator ? await authenticator.authenticate(req) : null;
  if (user === null) throw HttpProblem.unauthenticated();
  if (route.auth !== 'session') return user;
  const raw = req.params['workspaceId'];
  const workspaceId = typeof raw === 'string' && UUID.test(raw) ? Ids.workspace(raw.toLowerCase()) : null;
  const role = workspaceId ? await authenticator!.roleIn(user, workspaceId) : null;
  if (workspaceId === null || role === null) throw HttpProblem.notFound();
  if (route.permission !== undefined && !can(role, route.permission)) {
    throw HttpProblem.forbidden(`Your role (${role}) does not include ${route.permission}.`);
  }
  return { ...user, workspaceId, role };
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function runMiddleware(middleware: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    void middleware(req, res, (error?: unknown) => (error === undefined || error === null ? resolve() : reject(error)));
  });
}

/** A reply the contract does not allow is our bug: it becomes a logged 500, never a leak. */
export class ResponseContractError extends Error {
  constructor(route: RouteDefinition, detail: string, cause?: unknown) {
    super(`${route.method.toUpperCase()} ${route.path}: ${detail}`, cause === undefined ? undefined : { cause });
    this.name = 'ResponseContractError';
  }
}

async function send(route: RouteDefinition, res: Response, reply: AnyReply | void): Promise<void> {
  if (reply === undefined) {
    if (!res.headersSent) throw new ResponseContractError(route, 'the handler returned without answering');
    return;
  }
  const spec = route.responses[reply.status];
  if (spec === undefined) throw new ResponseContractError(route, `replied ${reply.status}, which its responses do not declare`);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (spec.body === undefined) {
    res.status(reply.status).end();
    return;
  }
  const parsed = await spec.body.safeParseAsync(reply.body);
  if (!parsed.success) throw new ResponseContractError(route, `its ${reply.status} body does not match the declared schema`, parsed.error);
  res.status(reply.status).json(parsed.data);
}
