import type { SendFailure } from '@palette/domain';

/** A Graph failure as the domain sees it, plus the vendor codes for logs and the OAuth callers. */
export type GraphError = SendFailure & { readonly code: number | null; readonly subcode: number | null; readonly httpStatus: number | null };

/** Send-outside-window subcodes: Instagram Login (2534022) and the Messenger platform (2018278). */
export const WINDOW_SUBCODES: ReadonlySet<number> = new Set([2534022, 2018278]);
export const RATE_LIMIT_CODES: ReadonlySet<number> = new Set([4, 17, 32, 613, 80002, 80006]);

export interface BusinessUseCaseUsage {
  /** The highest of call_count, total_cputime and total_time over every object, 0–100. */
  readonly maxPercent: number;
  /** `estimated_time_to_regain_access` (minutes in the header) in ms; 0 when not throttled. */
  readonly regainAccessMs: number;
  readonly byObject: Readonly<Record<string, { maxPercent: number; regainAccessMs: number }>>;
}

/**
 * `X-Business-Use-Case-Usage`: JSON keyed by business object id, each an array of
 * `{type, call_count, total_cputime, total_time, estimated_time_to_regain_access}`. Anything
 * unreadable is ignored: a malformed header must never fail a send that succeeded.
 */
export function parseBusinessUseCaseUsage(header: string | null | undefined): BusinessUseCaseUsage | null {
  if (!header) return null;
  let json: unknown;
  try {
    json = JSON.parse(header);
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const byObject: Record<string, { maxPercent: number; regainAccessMs: number }> = {};
  let maxPercent = 0;
  let regainAccessMs = 0;
  for (const [objectId, rows] of Object.entries(json as Record<string, unknown>)) {
    if (!Array.isArray(rows)) continue;
    let objMax = 0;
    let objRegain = 0;
    for (const row of rows) {
      if (typeof row !== 'object' || row === null) continue;
      const r = row as Record<string, unknown>;
      for (const key of ['call_count', 'total_cputime', 'total_time']) {
        const v = r[key];
        if (typeof v === 'number' && Number.isFinite(v)) objMax = Math.max(objMax, v);
      }
      const regain = r['estimated_time_to_regain_access'];
      if (typeof regain === 'number' && Number.isFinite(regain) && regain > 0) objRegain = Math.max(objRegain, regain * 60_000);
    }
    byObject[objectId] = { maxPercent: objMax, regainAccessMs: objRegain };
    maxPercent = Math.max(maxPercent, objMax);
    regainAccessMs = Math.max(regainAccessMs, objRegain);
  }
  return { maxPercent, regainAccessMs, byObject };
}

export interface VendorError {
  readonly code: number | null;
  readonly subcode: number | null;
  readonly message: string;
  readonly type: string | null;
}

/**
 * Two error shapes: the Graph host's `{error:{message,type,code,error_subcode}}` and the OAuth
 * host's flat `{error_type, code, error_message}` (where `code` is an HTTP-like 400).
 */
export function readVendorError(body: unknown): VendorError | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null);
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  if (typeof b['error'] === 'object' && b['error'] !== null) {
    const e = b['error'] as Record<string, unknown>;
    return { code: num(e['code']), subcode: num(e['error_subcode']), message: str(e['message']) ?? 'Graph API error', type: str(e['type']) };
  }
  if ('error_type' in b || 'error_message' in b) {
    // The flat shape's `code` mirrors the HTTP status; it is not a Graph error code.
    return { code: null, subcode: null, message: str(b['error_message']) ?? 'OAuth error', type: str(b['error_type']) };
  }
  return null;
}

export interface MapInput {
  readonly httpStatus: number;
  readonly body: unknown;
  readonly usage: BusinessUseCaseUsage | null;
  readonly retryAfterHeader?: string | null;
  readonly defaultRetryAfterMs: number;
}

/** The table in instagram-platform.md §4c, in code. */
export function mapGraphError(input: MapInput): GraphError {
  const vendor = readVendorError(input.body);
  const code = vendor?.code ?? null;
  const subcode = vendor?.subcode ?? null;
  const message = vendor?.message ?? `HTTP ${input.httpStatus}`;
  const meta = { code, subcode, httpStatus: input.httpStatus };
  if (code === 10 && subcode !== null && WINDOW_SUBCODES.has(subcode)) return { kind: 'WindowClosed', ...meta };
  if (code !== null && RATE_LIMIT_CODES.has(code)) return { kind: 'RateLimited', retryAfterMs: retryAfter(input), ...meta };
  if (code === 190) return { kind: 'TokenInvalid', ...meta };
  if (code === 551) return { kind: 'RecipientUnavailable', ...meta };
  if (code === 1 || code === 2) return { kind: 'Transient', message, ...meta };
  if (code === 100 || code === 10 || (code !== null && code >= 200 && code <= 299)) return { kind: 'BadRequest', message, ...meta };
  if (input.httpStatus >= 500) return { kind: 'Transient', message, ...meta };
  if (input.httpStatus === 429) return { kind: 'RateLimited', retryAfterMs: retryAfter(input), ...meta };
  return { kind: 'BadRequest', message, ...meta };
}

function retryAfter(input: MapInput): number {
  if (input.usage && input.usage.regainAccessMs > 0) return input.usage.regainAccessMs;
  const header = input.retryAfterHeader;
  if (header && /^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  return input.defaultRetryAfterMs;
}

export function transient(message: string): GraphError {
  return { kind: 'Transient', message, code: null, subcode: null, httpStatus: null };
}

/** The domain's shape only: callers compare failures structurally. */
export function toSendFailure(e: GraphError): SendFailure {
  switch (e.kind) {
    case 'WindowClosed': return { kind: 'WindowClosed' };
    case 'RateLimited': return { kind: 'RateLimited', retryAfterMs: e.retryAfterMs };
    case 'TokenInvalid': return { kind: 'TokenInvalid' };
    case 'RecipientUnavailable': return { kind: 'RecipientUnavailable' };
    case 'BadRequest': return { kind: 'BadRequest', message: e.message };
    case 'Transient': return { kind: 'Transient', message: e.message };
  }
}
