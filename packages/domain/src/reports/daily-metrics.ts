import type { WorkspaceId } from '../shared/ids.js';
import type { Order, OrderSource, OrderStatus } from '../orders/order.js';
import type { EntryPoint } from '../conversations/conversation.js';
import type { AuthorKind } from '../conversations/message.js';

/**
 * Counts and sums per workspace, local day, metric and dimension. They hold no personal data, so
 * they survive message deletion and order anonymisation and keep every past report unchanged.
 */
export interface MetricDelta {
  readonly workspaceId: WorkspaceId;
  /** YYYY-MM-DD in the workspace's timezone. */
  readonly day: string;
  readonly metric: string;
  /** `key=value` pairs joined by `;`, sorted, e.g. `currency=EUR;source=chat`; '' for none. */
  readonly dimension: string;
  readonly count: number;
  readonly sum: number;
}

/** A stored row: the running totals of every delta with the same key. */
export type DailyMetric = MetricDelta;

/** The workspace-local calendar day of an instant, via the edge-provided formatter. */
export type DayOf = (at: Date, timezone: string) => string;

/** Intl is part of the language runtime, not I/O; the core may format dates with it. */
export const localDay: DayOf = (at, timezone) => {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  return `${get('year')}-${get('month')}-${get('day')}`;
};

export function dimension(pairs: Readonly<Record<string, string>>): string {
  return Object.keys(pairs).sort().map((k) => `${k}=${pairs[k]}`).join(';');
}

/**
 * Metrics an order status change contributes, counted on the day of the change. Call it after
 * `order.transition(...)`: `from` defaults to the last history entry's, which decides whether a
 * cancellation took back booked revenue (`orders.cancelled_booked`) or only dropped a draft.
 */
export function orderTransitionMetrics(order: Order, to: OrderStatus, at: Date, timezone: string, entryPoint: EntryPoint | null,
  from: OrderStatus | null = order.history[order.history.length - 1]?.from ?? null): MetricDelta[] {
  const day = localDay(at, timezone);
  const base = { workspaceId: order.workspaceId, day };
  const currency = order.currency;
  const src: OrderSource = order.source;
  const entry = entryPoint ?? 'none';
  const deltas: MetricDelta[] = [];
  const units = order.lines.reduce((n, l) => n + l.quantity, 0);
  if (to === 'confirmed') {
    deltas.push({ ...base, metric: 'orders.confirmed', dimension: dimension({ currency, source: src, entry }), count: 1, sum: order.total.amountMinor });
    deltas.push({ ...base, metric: 'orders.units', dimension: dimension({ currency }), count: 1, sum: units });
    for (const l of order.lines) {
      deltas.push({ ...base, metric: 'sales.variant', dimension: dimension({ currency, variant: l.variantId }), count: l.quantity, sum: l.lineTotal.amountMinor });
    }
  } else if (to === 'cancelled') {
    deltas.push({ ...base, metric: 'orders.cancelled', dimension: dimension({ currency, source: src }), count: 1, sum: order.total.amountMinor });
    // A cancelled draft never had revenue; one cancelled after confirmation takes its revenue back.
    if (from !== null && from !== 'draft') deltas.push({ ...base, metric: 'orders.cancelled_booked', dimension: dimension({ currency, source: src }), count: 1, sum: order.total.amountMinor });
  } else if (to === 'refunded') {
    deltas.push({ ...base, metric: 'orders.refunded', dimension: dimension({ currency, source: src }), count: 1, sum: order.total.amountMinor });
  } else {
    deltas.push({ ...base, metric: `orders.${to}`, dimension: dimension({ currency }), count: 1, sum: order.total.amountMinor });
  }
  return deltas;
}

/** Metrics a stored message contributes. */
export function messageMetrics(input: { workspaceId: WorkspaceId; authorKind: AuthorKind; at: Date; timezone: string; newConversation: boolean; entryPoint: EntryPoint }): MetricDelta[] {
  const day = localDay(input.at, input.timezone);
  const base = { workspaceId: input.workspaceId, day };
  const deltas: MetricDelta[] = [
    { ...base, metric: input.authorKind === 'customer' ? 'messages.inbound' : 'messages.outbound', dimension: dimension({ author: input.authorKind }), count: 1, sum: 0 },
  ];
  if (input.newConversation) deltas.push({ ...base, metric: 'conversations.new', dimension: dimension({ entry: input.entryPoint }), count: 1, sum: 0 });
  return deltas;
}

/** Folds deltas with the same key together (the shape repositories store). */
export function mergeDeltas(deltas: readonly MetricDelta[]): MetricDelta[] {
  const map = new Map<string, MetricDelta>();
  for (const d of deltas) {
    const key = `${d.workspaceId}|${d.day}|${d.metric}|${d.dimension}`;
    const prev = map.get(key);
    map.set(key, prev ? { ...prev, count: prev.count + d.count, sum: prev.sum + d.sum } : { ...d });
  }
  return [...map.values()];
}
