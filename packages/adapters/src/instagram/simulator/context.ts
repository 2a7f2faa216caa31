import type { ServerResponse } from 'node:http';
import type { Faults } from './faults.js';
import { sendGraphError, tokenOf } from './http.js';
import type { SimRequest } from './http.js';
import { RATE_LIMITS } from './state.js';
import type { RateBucket, SimAccount, SimState, SimToken } from './state.js';
import type { Webhooks } from './webhooks.js';

export interface SimContext {
  readonly state: SimState;
  readonly faults: Faults;
  readonly webhooks: Webhooks;
  readonly appId: string;
  readonly appSecret: string;
  /** Exact redirect URIs "configured in the dashboard"; null accepts any http(s) URI. */
  readonly redirectUris: readonly string[] | null;
  /** The simulator's own origin, for `paging.next` links. */
  readonly baseUrl: () => string;
}

export interface Authed {
  readonly token: SimToken;
  readonly account: SimAccount;
  /** `X-Business-Use-Case-Usage` for this call; every Graph answer carries it. */
  readonly headers: Record<string, string>;
}

export interface GuardOptions {
  /** The `{ig-id}` in the path, when the route has one (`me` always matches). */
  readonly pathId?: string;
  readonly bucket?: RateBucket;
  /** Every Send API call also feeds the all-calls per-second counter the tests read. */
  readonly sendApi?: boolean;
  readonly scope?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function bucHeader(igUserId: string, percent: number, regainMinutes = 0): Record<string, string> {
  const row = { type: 'instagram', call_count: percent, total_cputime: Math.round(percent / 2), total_time: Math.round(percent / 2), estimated_time_to_regain_access: regainMinutes };
  return { 'x-business-use-case-usage': JSON.stringify({ [igUserId]: [row] }) };
}

/**
 * Token → account → counters → faults → rate limit → permission, in that order, answering the
 * error itself and returning null when the call must stop.
 */
export async function guard(ctx: SimContext, req: SimRequest, res: ServerResponse, opts: GuardOptions = {}): Promise<Authed | null> {
  const { state } = ctx;
  const raw = tokenOf(req);
  if (!raw) {
    sendGraphError(res, 400, { code: 2500, message: 'An active access token must be used to query information about the current user.' });
    return null;
  }
  const token = state.tokens.get(raw);
  if (!token) {
    sendGraphError(res, 400, { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
    return null;
  }
  const now = state.now();
  if (token.revokedSubcode !== null) {
    sendGraphError(res, 400, { code: 190, subcode: token.revokedSubcode, message: 'Error validating access token: The user has not authorized application.' });
    return null;
  }
  if (now >= token.expiresAt) {
    sendGraphError(res, 400, { code: 190, subcode: 463, message: `Error validating access token: Session has expired on ${new Date(token.expiresAt).toUTCString()}.` });
    return null;
  }
  const account = state.accounts.get(token.igUserId);
  if (!account) {
    sendGraphError(res, 400, { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
    return null;
  }
  if (opts.pathId !== undefined && opts.pathId !== 'me' && opts.pathId !== account.igUserId) {
    sendGraphError(res, 400, { code: 100, subcode: 33, message: `Unsupported request - Object with ID '${opts.pathId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.` });
    return null;
  }
  const id = account.igUserId;
  let count = 0;
  if (opts.bucket) count = state.counters[opts.bucket].hit(id, now);
  if (opts.sendApi) state.sendCalls.hit(id, now);
  let percent = state.usagePercent(id, opts.bucket);
  const faults = ctx.faults.take(id);
  for (const f of faults) {
    if (f.kind === 'latency') await sleep(f.ms);
    if (f.kind === 'usage') percent = f.percent;
  }
  const headers = bucHeader(id, percent);
  for (const f of faults) {
    switch (f.kind) {
      case 'serverError':
        sendGraphError(res, f.status ?? 500, { code: 2, message: 'An unexpected error has occurred. Please retry your request later.' }, headers);
        return null;
      case 'rateLimit':
        sendGraphError(res, f.httpStatus ?? 429, { code: f.code ?? 613, message: f.code === 4 ? 'Application request limit reached' : f.code === 17 ? 'User request limit reached' : 'Calls to this api have exceeded the rate limit.' }, headers);
        return null;
      case 'bucLimit':
        sendGraphError(res, 400, { code: 80002, message: 'There have been too many calls to this Instagram account. Wait a bit and try again.' }, bucHeader(id, 100, f.regainMinutes));
        return null;
      case 'tokenExpired':
        sendGraphError(res, 400, { code: 190, subcode: 463, message: 'Error validating access token: Session has expired.' }, headers);
        return null;
      case 'connectionReset':
        res.socket?.destroy();
        return null;
      default:
        break;
    }
  }
  if (opts.bucket && count > RATE_LIMITS[opts.bucket].limit) {
    state.rejectedForRate.set(id, (state.rejectedForRate.get(id) ?? 0) + 1);
    sendGraphError(res, 400, { code: 613, message: 'Calls to this api have exceeded the rate limit.' }, bucHeader(id, 100));
    return null;
  }
  if (opts.scope && !token.scopes.includes(opts.scope)) {
    sendGraphError(res, 403, { code: 200, message: `(#200) Requires ${opts.scope} permission to manage the object` }, headers);
    return null;
  }
  return { token, account, headers };
}
