import { z } from 'zod';
import { Ids, type ReleaseExpiredHolds } from '@palette/domain';
import { PermanentJobError, type JobHandler } from '@palette/adapters/queue';
import type { Logger } from '../logger.js';

/** `{}` (the cron tick) sweeps every expired hold; `{ workspaceId, orderId }` releases one draft's hold when it is due. */
export const StockHoldPayload = z.object({ workspaceId: z.uuid(), orderId: z.uuid() }).strip();

/**
 * `catalog.stock-hold-expiry`: gives back the units of chat drafts whose hold ran out. Idempotent:
 * a released hold is cleared on the order, so a retry or an overlapping tick releases nothing twice.
 */
export function stockHoldsHandler(resolve: () => ReleaseExpiredHolds, log: Logger): JobHandler {
  return async (job) => {
    const raw = (job.data ?? {}) as Record<string, unknown>;
    if ('workspaceId' in raw || 'orderId' in raw) {
      const parsed = StockHoldPayload.safeParse(raw);
      if (!parsed.success) throw new PermanentJobError(`Invalid catalog.stock-hold-expiry payload: ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`);
      const r = await resolve().releaseOne(Ids.workspace(parsed.data.workspaceId), Ids.order(parsed.data.orderId));
      if (!r.ok && r.error.kind !== 'NotFound') throw new Error(`releasing hold of order ${parsed.data.orderId}: ${r.error.kind}`);
      return;
    }
    const { released, failed } = await resolve().sweep();
    if (released > 0 || failed > 0) log.info({ released, failed }, 'stock holds expired');
    // A hold that could not be released stays held; fail the job so it is retried and seen.
    if (failed > 0) throw new Error(`${failed} expired hold(s) could not be released`);
  };
}
