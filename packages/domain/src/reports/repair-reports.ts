import type { UnitOfWork } from '../shared/ports.js';
import type { WorkspaceId } from '../shared/ids.js';
import { notFound, type NotFound } from '../shared/errors.js';
import { err, ok, type Result } from '../shared/result.js';
import type { WorkspaceRepository } from '../accounts/ports.js';
import { daysBetween, instantWindow, isLocalDay } from './periods.js';
import type { ReportSource, ReportStore } from './ports.js';
import { REBUILDABLE_METRICS, rebuildReportData } from './rebuild.js';

export type RepairReportsError = NotFound | { readonly kind: 'InvalidRange'; readonly reason: string };

/** The longest range one repair job rebuilds; larger repairs are split by the caller. */
export const MAX_REPAIR_DAYS = 400;

/**
 * Rebuilds the rebuildable aggregates and the contact day facts of one workspace for the local days
 * [fromDay, toDay] from the source tables, replacing what is stored, in one transaction. Metrics no
 * source keeps (handoffs, deflection, rate-limit delays) are left as they are. A range whose source
 * retention has already deleted would be rebuilt short: repair only ranges still retained.
 */
export class RepairReports {
  constructor(private readonly deps: { store: ReportStore; source: ReportSource; workspaces: WorkspaceRepository; uow: UnitOfWork }) {}

  execute(cmd: { workspaceId: WorkspaceId; fromDay: string; toDay: string }): Promise<Result<{ metrics: number; facts: number }, RepairReportsError>> {
    const { store, source, workspaces, uow } = this.deps;
    if (!isLocalDay(cmd.fromDay) || !isLocalDay(cmd.toDay)) return Promise.resolve(err({ kind: 'InvalidRange', reason: 'days are YYYY-MM-DD' } as const));
    if (cmd.fromDay > cmd.toDay) return Promise.resolve(err({ kind: 'InvalidRange', reason: 'fromDay is after toDay' } as const));
    if (daysBetween(cmd.fromDay, cmd.toDay) >= MAX_REPAIR_DAYS) return Promise.resolve(err({ kind: 'InvalidRange', reason: `at most ${MAX_REPAIR_DAYS} days per repair` } as const));
    return uow.run(async () => {
      const workspace = await workspaces.get(cmd.workspaceId);
      if (!workspace) return err(notFound('workspace', cmd.workspaceId));
      const { from, to } = instantWindow(cmd.fromDay, cmd.toDay);
      const orders = await source.ordersChangedBetween(cmd.workspaceId, from, to);
      const conversationIds = [...new Set(orders.map((o) => o.conversationId).filter((c): c is NonNullable<typeof c> => c !== null))];
      const entryPoints = conversationIds.length === 0 ? new Map() : await source.entryPoints(cmd.workspaceId, conversationIds);
      const conversations = await source.conversationsActiveBetween(cmd.workspaceId, from, to);
      const rebuilt = rebuildReportData({ workspaceId: cmd.workspaceId, timezone: workspace.timezone, fromDay: cmd.fromDay, toDay: cmd.toDay, orders, entryPoints, conversations });
      await store.replaceRange({ workspaceId: cmd.workspaceId, fromDay: cmd.fromDay, toDay: cmd.toDay, metrics: REBUILDABLE_METRICS, deltas: rebuilt.deltas, facts: rebuilt.facts });
      return ok({ metrics: rebuilt.deltas.length, facts: rebuilt.facts.length });
    });
  }
}
