import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One parsed request: routes see the body already read, because signatures need raw bytes. */
export interface SimRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly raw: Buffer;
  /** JSON or form fields, whichever the content type says; form values stay strings. */
  readonly fields: Record<string, unknown>;
}

export interface GraphErrorBody {
  readonly message: string;
  readonly code: number;
  readonly subcode?: number;
  readonly type?: string;
}

export async function readRequest(req: IncomingMessage): Promise<SimRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const url = new URL(req.url ?? '/', 'http://simulator.local');
  const type = String(req.headers['content-type'] ?? '');
  let fields: Record<string, unknown> = {};
  if (raw.length > 0 && type.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) fields = parsed as Record<string, unknown>;
    } catch {
      fields = { __invalid_json: true };
    }
  } else if (raw.length > 0 && type.includes('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(raw.toString('utf8'));
    for (const key of new Set(form.keys())) {
      const all = form.getAll(key);
      fields[key] = all.length > 1 ? all : all[0];
    }
  }
  return { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, raw, fields };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'content-length': 0 });
  res.end();
}

/** Graph's error envelope: `{error:{message,type,code,error_subcode,fbtrace_id}}`. */
export function sendGraphError(res: ServerResponse, status: number, e: GraphErrorBody, headers: Record<string, string> = {}): void {
  const error: Record<string, unknown> = { message: e.message, type: e.type ?? 'OAuthException', code: e.code };
  if (e.subcode !== undefined) error['error_subcode'] = e.subcode;
  error['fbtrace_id'] = randomBytes(8).toString('base64url');
  sendJson(res, status, { error }, headers);
}

/** The token from `Authorization: Bearer`, or the `access_token` query/body parameter Graph also accepts. */
export function tokenOf(req: SimRequest): string | null {
  const auth = req.headers['authorization'];
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim() || null;
  const q = req.query.get('access_token');
  if (q) return q;
  const f = req.fields['access_token'];
  return typeof f === 'string' && f ? f : null;
}

/** A field that may arrive JSON-encoded inside a form body. */
export function objectField(fields: Record<string, unknown>, name: string): Record<string, unknown> | null {
  let v = fields[name];
  if (typeof v === 'string') {
    try { v = JSON.parse(v); } catch { return null; }
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Graph's time format: `2026-01-06T15:12:25+0000`. */
export function graphTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

export function randomId(prefix = ''): string {
  return prefix + randomBytes(24).toString('base64url');
}

export function numericId(digits = 16): string {
  let s = String(1 + Math.floor(Math.random() * 9));
  while (s.length < digits) s += String(Math.floor(Math.random() * 10));
  return s;
}

export function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodeCursor(cursor: string | null): number | null {
  if (!cursor) return 0;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown };
    return typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0 ? v.o : null;
  } catch {
    return null;
  }
}
