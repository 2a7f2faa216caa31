import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Permission } from '@palette/domain';
import type { Logger } from '../logger.js';
import type { Principal, UserPrincipal } from './auth.js';
import type { ProblemSlug } from './problem.js';

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const STATE_CHANGING: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type ObjectSchema = z.ZodObject<z.core.$ZodShape, z.core.$ZodObjectConfig>;

export interface ResponseSpec {
  readonly description: string;
  /** The JSON body. Replies are parsed through it, so a field outside the contract never leaves. */
  readonly body?: z.ZodType;
  /** For a body the handler writes itself (text, HTML); documented, not checked. */
  readonly contentType?: string;
}
/** Success responses only; problems are listed by slug (`problems`) and documented from the catalog. */
export type ResponseSpecs = Readonly<Record<number, ResponseSpec>>;

/** `user`: any signed-in user; `session`: a member of the route's `:workspaceId`. */
export type RouteAuth = 'public' | 'user' | 'session';

export interface RouteSpec<
  P extends ObjectSchema | undefined,
  Q extends ObjectSchema | undefined,
  B extends z.ZodType | undefined,
  R extends ResponseSpecs,
  A extends RouteAuth,
> {
  readonly method: HttpMethod;
  /** Express syntax, static segments and `:name` parameters only (`/api/orders/:orderId`). */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  /** Defaults to one derived from method and path (`getApiOrdersByOrderId`). */
  readonly operationId?: string;
  /** `session` routes answer 401 without a principal, then 403 when the role lacks `permission`. */
  readonly auth: A;
  /** Checked against the domain's PERMISSION_MATRIX; only session routes can name one. */
  readonly permission?: A extends 'session' ? Permission : never;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly responses: R;
  /** Problems the handler itself may answer with; the automatic ones (validation, 401…) are added. */
  readonly problems?: readonly ProblemSlug[];
  /** Keep the exact request bytes in `ctx.rawBody` (webhook signatures are computed over them). */
  readonly rawBody?: boolean;
  /**
   * `form`: application/x-www-form-urlencoded (Meta's signed_request callbacks); `raw`: JSON media
   * types kept as bytes only, unparsed (`ctx.rawBody`), so a signature is checked before any parsing;
   * `csv`: a text/csv body left unread for the handler to stream from `ctx.req` (files larger than
   * the JSON body limit, such as a 50,000-row catalog).
   */
  readonly bodyType?: 'json' | 'form' | 'raw' | 'csv';
}

type Fields<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

export interface RouteContext<P, Q, B, A extends RouteAuth> {
  readonly params: Fields<P>;
  readonly query: Fields<Q>;
  readonly body: B extends z.ZodType ? z.output<B> : undefined;
  readonly principal: A extends 'session' ? Principal : A extends 'user' ? UserPrincipal : null;
  readonly requestId: string;
  /** A child logger bound to this request id. */
  readonly log: Logger;
  readonly rawBody: Buffer | undefined;
  /** For what a reply cannot express (cookies, redirects, streaming): then return nothing. */
  readonly req: Request;
  readonly res: Response;
}

export type Headers = Readonly<Record<string, string>>;

export type RouteReply<R extends ResponseSpecs> = {
  [S in keyof R & number]: R[S] extends { readonly body: infer Z extends z.ZodType }
    ? { readonly status: S; readonly body: z.input<Z>; readonly headers?: Headers }
    : { readonly status: S; readonly body?: undefined; readonly headers?: Headers };
}[keyof R & number];

export type RouteHandler<P, Q, B, R extends ResponseSpecs, A extends RouteAuth> = (
  ctx: RouteContext<P, Q, B, A>,
) => Promise<RouteReply<R> | void> | RouteReply<R> | void;

export type AnyReply = { readonly status: number; readonly body?: unknown; readonly headers?: Headers };

/** One entry of the route table: what the router mounts, OpenAPI documents and route walks iterate. */
export interface RouteDefinition {
  readonly method: HttpMethod;
  readonly path: string;
  readonly summary: string;
  readonly description: string | undefined;
  readonly tags: readonly string[];
  readonly operationId: string;
  readonly auth: RouteAuth;
  readonly permission: Permission | undefined;
  readonly params: ObjectSchema | undefined;
  readonly query: ObjectSchema | undefined;
  readonly body: z.ZodType | undefined;
  readonly responses: ResponseSpecs;
  readonly problems: readonly ProblemSlug[];
  readonly rawBody: boolean;
  readonly bodyType?: 'json' | 'form' | 'raw' | 'csv';
  readonly handler: (ctx: RouteContext<unknown, unknown, unknown, RouteAuth>) => Promise<AnyReply | void> | AnyReply | void;
}

export type RouteTable = readonly RouteDefinition[];

const PATH_SHAPE = /^(?:\/(?:[A-Za-z0-9._~-]+|:[A-Za-z][A-Za-z0-9_]*))+$|^\/$/;

export const pathParameterNames = (path: string): string[] =>
  path.split('/').filter((segment) => segment.startsWith(':')).map((segment) => segment.slice(1));

/** `/api/orders/:orderId` → `/api/orders/{orderId}` */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z][A-Za-z0-9_]*)/g, '{$1}');

function defaultOperationId(method: HttpMethod, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s.startsWith(':') ? `By${capitalize(s.slice(1))}` : s.split(/[^A-Za-z0-9]+/).map(capitalize).join('')));
  return method + words.join('');
}
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Declares a route: its wire contract (zod schemas for params, query, body and each success body),
 * who may call it, and the handler that receives the parsed, typed input. Pure: it returns a table
 * entry; `mountRoutes` puts entries on a router and `openApiDocument` describes them.
 */
export function defineRoute<
  A extends RouteAuth,
  R extends ResponseSpecs,
  P extends ObjectSchema | undefined = undefined,
  Q extends ObjectSchema | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B, R, A>, handler: NoInfer<RouteHandler<P, Q, B, R, A>>): RouteDefinition {
  const where = `${spec.method.toUpperCase()} ${spec.path}`;
  if (!PATH_SHAPE.test(spec.path)) {
    throw new Error(`${where}: a route path is static segments and :name parameters only`);
  }
  const inPath = pathParameterNames(spec.path).sort();
  const declared = Object.keys(spec.params?.shape ?? {}).sort();
  if (inPath.join() !== declared.join()) {
    throw new Error(`${where}: the params schema must declare exactly the path parameters [${inPath.join(', ')}], not [${declared.join(', ')}]`);
  }
  if (spec.body !== undefined && spec.method === 'get') throw new Error(`${where}: a GET route takes no body`);
  if (spec.auth !== 'session' && spec.permission !== undefined) throw new Error(`${where}: only session routes can require a permission`);
  if (spec.auth === 'session' && !inPath.includes('workspaceId')) throw new Error(`${where}: a session route acts in a workspace; its path needs :workspaceId`);
  for (const status of Object.keys(spec.responses).map(Number)) {
    if (!(status >= 200 && status < 400)) throw new Error(`${where}: responses lists successes only; declare ${status} through problems`);
  }

  return Object.freeze({
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    description: spec.description,
    tags: [...spec.tags],
    operationId: spec.operationId ?? defaultOperationId(spec.method, spec.path),
    auth: spec.auth,
    permission: spec.permission,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    responses: spec.responses,
    problems: [...(spec.problems ?? [])],
    rawBody: spec.rawBody ?? false,
    ...(spec.bodyType === 'form' || spec.bodyType === 'raw' || spec.bodyType === 'csv' ? { bodyType: spec.bodyType } : {}),
    // The public signature is the typed one; the table stores it type-erased, and mountRoutes
    // only calls it with a context built from this same spec.
    handler: handler as unknown as RouteDefinition['handler'],
  });
}

/** Problems a route can answer with, whether or not its handler throws them. */
export function automaticProblems(route: RouteDefinition): ProblemSlug[] {
  const slugs: ProblemSlug[] = [];
  if (route.auth !== 'public') slugs.push('unauthenticated');
  if (route.auth === 'session') slugs.push('not-found');
  if (route.permission !== undefined) slugs.push('forbidden');
  if (route.auth !== 'public' && STATE_CHANGING.has(route.method.toUpperCase())) slugs.push('csrf');
  if (route.params || route.query || route.body) slugs.push('validation');
  if (route.body) slugs.push('malformed-json', 'payload-too-large', 'unsupported-media-type');
  else if (route.bodyType === 'csv') slugs.push('payload-too-large', 'unsupported-media-type');
  else if (STATE_CHANGING.has(route.method.toUpperCase())) slugs.push('unsupported-media-type');
  slugs.push('rate-limited', 'internal');
  return slugs;
}
