import { z } from 'zod';
import { Ids } from '@palette/domain';
import { PermanentJobError, type JobHandler } from '@palette/adapters/queue';
import type { Logger } from '../logger.js';
import type { PrivacyServices } from './retention-sweep.js';

/** The payload the deauthorize and data-deletion callbacks enqueue on `privacy.revocation-deletion`. */
export const RevocationDeletionPayload = z.object({
  workspaceId: z.uuid(),
  accountId: z.uuid(),
  requestId: z.uuid().nullable().optional(),
}).strip();

/**
 * Deletes the DM and profile data of a revoked Instagram account (orders stay, contacts with orders
 * keep only their random id), writes a revocation receipt and completes the deletion request the
 * status page reads. Idempotent: a completed request makes a rerun a no-op.
 */
export function revocationDeletionHandler(resolve: () => PrivacyServices, log: Logger): JobHandler {
  return async (job) => {
    const parsed = RevocationDeletionPayload.safeParse(job.data);
    if (!parsed.success) throw new PermanentJobError(`Invalid privacy.revocation-deletion payload: ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`);
    const { workspaceId, accountId, requestId } = parsed.data;
    const result = await resolve().revocation.execute({
      workspaceId: Ids.workspace(workspaceId), accountId: Ids.instagramAccount(accountId), requestId: requestId ?? null,
    });
    log.info({ accountId, contacts: result.contacts, receiptId: result.receipt?.id ?? null }, 'revocation deletion done');
  };
}
