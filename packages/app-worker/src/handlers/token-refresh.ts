import { RefreshInstagramTokens } from '@palette/domain';
import { sqlRowsOf, SqlInstagramAccountQueries } from '@palette/adapters/instagram';
import type { JobHandler } from '@palette/adapters/queue';
import type { InstagramWorkerDeps } from './outbound-send.js';

/**
 * `instagram.token-refresh` (daily): refreshes long-lived tokens at least 24 h old that expire
 * within 10 days; a refused refresh (190 or otherwise) puts the account in `token_expired`, which
 * holds its sends with a visible reason until the merchant reconnects. Idempotent: a second run
 * finds the refreshed tokens young again and skips them.
 */
export function tokenRefreshHandler(deps: Pick<InstagramWorkerDeps, 'orm' | 'repositories' | 'clock' | 'ids' | 'cipher' | 'instagram' | 'log'>): JobHandler {
  return async () => {
    const queries = new SqlInstagramAccountQueries(sqlRowsOf(deps.orm.em.fork()));
    const report = await new RefreshInstagramTokens({ ...deps.repositories(), cipher: deps.cipher, refresher: deps.instagram.refresher, queries, clock: deps.clock, ids: deps.ids }).execute();
    deps.log.info({ ...report }, 'instagram token refresh');
    // Network failures are retried by the queue; refusals are final and already recorded.
    if (report.failed > 0) throw new Error(`${report.failed} token refresh(es) failed transiently; retrying`);
  };
}
