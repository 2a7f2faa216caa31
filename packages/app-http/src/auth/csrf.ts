import type { Request } from 'express';
import { HttpProblem } from '../http/problem.js';

export interface OriginPolicy {
  readonly publicUrl: string;
  readonly corsOrigins: readonly string[];
}

/**
 * Refuses a state-changing request that a browser sent on behalf of another site. SameSite=Lax
 * already keeps the cookie off cross-site POSTs; this covers older browsers and same-site
 * subdomains (Origin is checked exactly). Requests without Origin and Sec-Fetch-Site (curl,
 * server-to-server) pass: they cannot carry a victim's cookie without having it.
 */
export function assertSameOrigin(req: Request, policy: OriginPolicy): void {
  if (req.get('Sec-Fetch-Site') === 'cross-site') throw csrf();
  const origin = req.get('Origin');
  if (origin === undefined) return;
  const allowed = new Set([new URL(policy.publicUrl).origin, `${req.protocol}://${req.host}`, ...policy.corsOrigins]);
  // `Origin: null` (sandboxed frames, some redirects) is never one of ours.
  if (!allowed.has(origin)) throw csrf();
}

const csrf = () => new HttpProblem('csrf', { detail: 'This request came from another site; it was not carried out.' });
