import type { Request } from 'express';
import { IDEMPOTENCY_TTL_MS, type Clock, type Digest, type IdempotencyRecord, type IdempotencyStore, type WorkspaceId } from '@palette/domain';
import { HttpProblem } from './problem.js';
import type { AnyReply } from './route.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Set on a replayed response, so a client can tell a retry's answer from a fresh one. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** Printable ASCII, as Stripe and the IETF draft allow: room for a UUID or a client's own scheme. */
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

export const IDEMPOTENCY_DESCRIPTION =
  `Send an \`${IDEMPOTENCY_HEADER}\` header (1–255 printable ASCII characters, a UUID is fine) to make retries safe: for 24 hours a request ` +
  `with the same key gets the first response again (with \`${REPLAYED_HEADER}: true\`) instead of creating a second resource; the same key with a ` +
  'different body is refused with 422 (`idempotency.key_reused`).';

export interface IdempotencyDeps {
  readonly store: IdempotencyStore;
  readonly clock: Clock;
  readonly digest: Digest;
}

export interface IdempotentCall {
  readonly req: Request;
  readonly workspaceId: WorkspaceId;
  /** Method and route template: a key is scoped to one endpoint. */
  readonly route: string;
  /** Everything that makes the request what it is (parameters and body). */
  readonly request: unknown;
}

/** Stores a success reply; the handler calls it inside the transaction that creates the resource. */
export type Remember = (reply: AnyReply) => Promise<void>;

/**
 * Runs a create handler at most once per Idempotency-Key. The handler gets `remember` and must
 * call it inside its own transaction, so the stored reply commits with the resource (a crash
 * leaves both or neither). Two concurrent twins both run; the store refuses the second record,
 * its transaction rolls back, and it answers with the winner's reply.
 */
export async function idempotent<R extends AnyReply>(deps: IdempotencyDeps, call: IdempotentCall, handler: (remember: Remember) => Promise<R>): Promise<R> {
  const key = call.req.get(IDEMPOTENCY_HEADER);
  if (key === undefined) return handler(async () => undefined);
  if (!KEY_SHAPE.test(key)) {
    throw HttpProblem.validation([{ path: `headers.${IDEMPOTENCY_HEADER.toLowerCase()}`, message: 'must be 1 to 255 printable ASCII characters', code: 'invalid_idempotency_key' }]);
  }
  const requestHash = deps.digest.sha256Hex(stableJson(call.request));
  const replay = async (): Promise<R | null> => {
    const stored = await deps.store.find(call.workspaceId, call.route, key, deps.clock.now());
    if (stored === null) return null;
    if (stored.requestHash !== requestHash) {
      throw HttpProblem.unprocessable(`This ${IDEMPOTENCY_HEADER} was used with a different request; use a new key for a new request.`, 'idempotency.key_reused');
    }
    return replyOf(stored) as R;
  };

  const earlier = await replay();
  if (earlier !== null) return earlier;
  const remember: Remember = async (reply) => {
    if (reply.status < 200 || reply.status >= 300) return;
    const now = deps.clock.now();
    const record: IdempotencyRecord = {
      workspaceId: call.workspaceId, route: call.route, key, requestHash, status: reply.status, body: reply.body ?? null,
      headers: { ...reply.headers }, createdAt: now, expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
    };
    await deps.store.save(record);
  };
  try {
    return await handler(remember);
  } catch (error) {
    const winner = await replay();
    if (winner !== null) return winner;
    throw error;
  }
}

function replyOf(record: IdempotencyRecord): AnyReply {
  return { status: record.status, body: record.body ?? undefined, headers: { ...record.headers, [REPLAYED_HEADER]: 'true' } };
}

/** JSON with sorted keys: `{a,b}` and `{b,a}` are the same request. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
