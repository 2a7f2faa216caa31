import { z } from 'zod';
import { isLocalDay, type RepairReports, type WorkspaceId } from '@palette/domain';
import { PermanentJobError, type JobHandler } from '@palette/adapters/queue';

const day = z.string().refine(isLocalDay, 'is not a calendar day (YYYY-MM-DD)');

/** The `reports.repair` payload: one workspace, local days [fromDay, toDay] in its timezone. */
export const ReportRepairPayload = z.object({ workspaceId: z.uuid(), fromDay: day, toDay: day }).strip();
export type ReportRepairJobData = z.input<typeof ReportRepairPayload>;

/**
 * Rebuilds a workspace's report aggregates for a day range from the source tables (RepairReports,
 * one transaction per job). Idempotent: running it twice leaves the same rows. A bad payload, an
 * unknown workspace or a range RepairReports refuses cannot succeed on retry: permanent.
 */
export function reportRepairHandler(resolve: () => RepairReports, onRepaired?: (info: { workspaceId: string; fromDay: string; toDay: string; metrics: number; facts: number }) => void): JobHandler {
  return async (job) => {
    const parsed = ReportRepairPayload.safeParse(job.data);
    if (!parsed.success) throw new PermanentJobError(`Invalid reports.repair payload: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join(', ')}`);
    const { workspaceId, fromDay, toDay } = parsed.data;
    const result = await resolve().execute({ workspaceId: workspaceId as WorkspaceId, fromDay, toDay });
    if (!result.ok) {
      const e = result.error;
      throw new PermanentJobError(e.kind === 'NotFound' ? `Unknown workspace ${workspaceId}` : `Invalid repair range: ${e.reason}`);
    }
    onRepaired?.({ workspaceId, fromDay, toDay, ...result.value });
  };
}
