import type { WorkspaceId } from '../shared/ids.js';
import type { DailyMetric, MetricDelta } from './daily-metrics.js';

export interface DailyMetricsRepository {
  /** Adds the deltas to their rows (creating them), inside the caller's unit of work. */
  add(deltas: readonly MetricDelta[]): Promise<void>;
  query(workspaceId: WorkspaceId, filter: { metric?: string; fromDay: string; toDay: string }): Promise<DailyMetric[]>;
}
