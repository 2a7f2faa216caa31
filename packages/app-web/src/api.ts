/**
 * The only way the dashboard talks to the server: the documented REST API, same origin, with the
 * session cookie. The server's CSRF defence checks `Origin`/`Sec-Fetch-Site`, which the browser
 * sets itself on every same-origin fetch, so no token travels in the page.
 */

export interface FieldProblem {
  readonly path: string;
  readonly message: string;
  readonly code?: string;
}

/** An RFC 9457 problem the API answered with (or a network failure dressed as one). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail: string | undefined,
    readonly code: string | undefined,
    readonly errors: readonly FieldProblem[],
    readonly requestId: string | undefined,
  ) {
    super(detail ?? title);
  }

  /** The field errors keyed by body field (`body.email` → `email`), for forms. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) {
      const key = e.path.replace(/^body\.?/, '');
      out[key] = out[key] ? `${out[key]}; ${e.message}` : e.message;
    }
    return out;
  }
}

type Listener = () => void;
const unauthenticatedListeners = new Set<Listener>();

/** Called when any request answers 401: the session ended (signed out elsewhere, expired). */
export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
  /** Sign-in forms expect 401 as an answer, not as "your session ended". */
  readonly quiet401?: boolean;
  /** A body sent as it is (a CSV file), with its media type, instead of JSON. */
  readonly raw?: { readonly contentType: string; readonly data: Blob | string };
}

export async function api<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.raw !== undefined) headers['Content-Type'] = options.raw.contentType;
  let res: Response;
  try {
    res = await fetch(path, {
      method: method.toUpperCase(),
      credentials: 'same-origin',
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.raw === undefined ? {} : { body: options.raw.data }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'The server could not be reached', 'Check your connection and try again.', undefined, [], undefined);
  }
  // 202 answers carry a body worth reading (an export job's id and status); only 204 has none.
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const data: unknown = text === '' ? undefined : safeJson(text);
  if (res.ok) return data as T;
  if (res.status === 401 && !options.quiet401) for (const l of unauthenticatedListeners) l();
  const p = (data ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  throw new ApiError(
    res.status,
    str(p.type) ?? 'about:blank',
    str(p.title) ?? res.statusText,
    str(p.detail),
    str(p.code),
    Array.isArray(p.errors) ? (p.errors as FieldProblem[]) : [],
    str(p.requestId) ?? res.headers.get('X-Request-Id') ?? undefined,
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A random Idempotency-Key for one user action (a retried click reuses it). */
export function idempotencyKey(): string {
  // randomUUID exists only in secure contexts; a self-hosted box is often plain http on a LAN.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export const ws = (workspaceId: string, rest = '') => `/api/workspaces/${encodeURIComponent(workspaceId)}${rest}`;

export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const base = error.detail ?? error.title;
    return error.requestId && error.status >= 500 ? `${base} (request ${error.requestId})` : base;
  }
  return error instanceof Error ? error.message : String(error);
}
