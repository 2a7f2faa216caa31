import type { ContactId, WorkspaceId } from '../shared/ids.js';
import type { DailyMetric, MetricDelta } from './daily-metrics.js';
import type { ContactDayFact } from './metric-helpers.js';
import type { Order } from '../orders/order.js';
import type { ConversationHistory } from './rebuild.js';

export interface DailyMetricsRepository {
  /** Adds the deltas to their rows (creating them), inside the caller's unit of work. */
  add(deltas: readonly MetricDelta[]): Promise<void>;
  query(workspaceId: WorkspaceId, filter: { metric?: string; fromDay: string; toDay: string }): Promise<DailyMetric[]>;
}

/** A reporting period: `key` is its first day (YYYY-MM-DD); both ends inclusive, clipped to the request. */
export interface ReportPeriod {
  readonly key: string;
  readonly fromDay: string;
  readonly toDay: string;
}

/** Distinct-contact counts for one period, computed from the pseudonymous day facts. */
export interface ContactPeriodSummary {
  readonly key: string;
  /** Contacts who wrote at least once in the period. */
  readonly active: number;
  /** Active contacts whose first recorded activity falls in the period. */
  readonly newContacts: number;
  /** Contacts with at least one confirmed order in the period. */
  readonly purchasers: number;
  /** Purchasers whose confirmed orders, counted up to the period's end, are two or more. */
  readonly repeatPurchasers: number;
}

/** Pseudonymous per-contact day facts; every method stays inside the caller's unit of work. */
export interface ContactFactsRepository {
  record(facts: readonly ContactDayFact[]): Promise<void>;
  /** Erasure and retention: removes every fact of the contact; returns how many rows went. */
  forgetContact(workspaceId: WorkspaceId, contactId: ContactId): Promise<number>;
}

export interface VariantInfo {
  readonly variantId: string;
  readonly productId: string | null;
  readonly productName: string | null;
  readonly sku: string | null;
}

/** The read side of the reports and the write side of a repair, over stored aggregates only. */
export interface ReportStore extends ContactFactsRepository {
  /** Aggregate rows whose metric is one of `metrics`, for days in [fromDay, toDay]. */
  metrics(workspaceId: WorkspaceId, fromDay: string, toDay: string, metrics: readonly string[]): Promise<DailyMetric[]>;
  contactSummary(workspaceId: WorkspaceId, periods: readonly ReportPeriod[]): Promise<ContactPeriodSummary[]>;
  /** Product and SKU of each variant still in the catalog (deleted ones come back without). */
  variants(workspaceId: WorkspaceId, variantIds: readonly string[]): Promise<VariantInfo[]>;
  /**
   * In one transaction: deletes the rows of `metrics` and every contact fact on days in
   * [fromDay, toDay], then writes `deltas` and `facts` (which must lie in that range).
   */
  replaceRange(input: { workspaceId: WorkspaceId; fromDay: string; toDay: string; metrics: readonly string[]; deltas: readonly MetricDelta[]; facts: readonly ContactDayFact[] }): Promise<void>;
}

/** Where a repair reads the truth from: the source tables, without message text. */
export interface ReportSource {
  /** Orders with a status change in [from, to) (created before `to`, updated at or after `from`). */
  ordersChangedBetween(workspaceId: WorkspaceId, from: Date, to: Date): Promise<Order[]>;
  /** Every conversation with a message in [from, to), with ALL its messages (first response needs the earlier ones). */
  conversationsActiveBetween(workspaceId: WorkspaceId, from: Date, to: Date): Promise<ConversationHistory[]>;
  /** Entry points of the given conversations (orders are attributed to their thread's entry point). */
  entryPoints(workspaceId: WorkspaceId, conversationIds: readonly string[]): Promise<ReadonlyMap<string, ConversationHistory['entryPoint']>>;
}
