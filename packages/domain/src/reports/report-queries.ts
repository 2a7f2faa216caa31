import type { WorkspaceId } from '../shared/ids.js';
import type { DailyMetric } from './daily-metrics.js';
import { RESPONSE_BUCKETS_SECONDS, WINDOW_REFUSAL_REASONS } from './metric-helpers.js';
import { addDays, periodStart, periodsOf, type Granularity } from './periods.js';
import type { ContactPeriodSummary, ReportPeriod, ReportStore, VariantInfo } from './ports.js';

/**
 * The three reports, computed from the daily aggregates and the contact day facts only: never
 * from messages or orders, so they cost the same after retention has deleted the source, and
 * carry no text and no identity. Definitions of every figure: docs/reports.md.
 */
export interface ReportRequest {
  readonly workspaceId: WorkspaceId;
  readonly fromDay: string;
  readonly toDay: string;
  readonly granularity: Granularity;
  /** The workspace's timezone: the one the aggregates were bucketed in. */
  readonly timezone: string;
  /** Today in the workspace's timezone (decides which deflection figures are still provisional). */
  readonly today: string;
}

export const SALES_METRICS = ['orders.confirmed', 'orders.units', 'sales.variant', 'orders.cancelled', 'orders.cancelled_booked', 'orders.refunded'] as const;
export const MESSAGING_METRICS = ['messages.inbound', 'messages.outbound', 'conversations.new', 'response.first', 'handoffs', 'deflection.lost', 'sends.refused', 'sends.rate_limited'] as const;
export const ENGAGEMENT_METRICS = ['conversations.new', 'orders.confirmed'] as const;

export function parseDimension(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (d === '') return out;
  for (const pair of d.split(';')) {
    const i = pair.indexOf('=');
    if (i > 0) out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);
const divRound = (num: number, den: number): number | null => (den === 0 ? null : Math.round(num / den));

interface Row { readonly period: string; readonly metric: string; readonly dim: Record<string, string>; readonly count: number; readonly sum: number }
function rowsOf(metrics: readonly DailyMetric[], granularity: Granularity): Row[] {
  const starts = new Map<string, string>();
  const dims = new Map<string, Record<string, string>>();
  return metrics.map((m) => {
    let period = starts.get(m.day);
    if (period === undefined) starts.set(m.day, (period = periodStart(m.day, granularity)));
    let dim = dims.get(m.dimension);
    if (dim === undefined) dims.set(m.dimension, (dim = parseDimension(m.dimension)));
    return { period, metric: m.metric, dim, count: m.count, sum: m.sum };
  });
}

/** Rows per period key, so a series costs one pass instead of one filter per period. */
function byPeriod(rows: readonly Row[]): (key: string) => readonly Row[] {
  const map = new Map<string, Row[]>();
  for (const r of rows) {
    const list = map.get(r.period);
    if (list) list.push(r); else map.set(r.period, [r]);
  }
  return (key) => map.get(key) ?? [];
}

// ---------------------------------------------------------------- sales

export interface SalesFigures {
  readonly orders: number;
  readonly revenueMinor: number;
  readonly units: number;
  readonly aovMinor: number | null;
  readonly refunds: number;
  readonly refundedMinor: number;
  readonly cancellations: number;
  readonly cancellationsAfterConfirmation: number;
  readonly cancelledMinor: number;
  readonly netRevenueMinor: number;
}

export interface SalesCurrencySeries {
  readonly currency: string;
  readonly totals: SalesFigures;
  readonly periods: ReadonlyArray<{ readonly period: string } & SalesFigures>;
  readonly bySource: ReadonlyArray<{ readonly source: string; readonly orders: number; readonly revenueMinor: number; readonly refunds: number; readonly refundedMinor: number; readonly cancellations: number }>;
  readonly byEntryPoint: ReadonlyArray<{ readonly entryPoint: string; readonly orders: number; readonly revenueMinor: number }>;
  readonly byVariant: ReadonlyArray<{ readonly variantId: string; readonly productId: string | null; readonly productName: string | null; readonly sku: string | null; readonly units: number; readonly revenueMinor: number }>;
  readonly byProduct: ReadonlyArray<{ readonly productId: string | null; readonly productName: string | null; readonly units: number; readonly revenueMinor: number }>;
}

export interface SalesReport { readonly periods: readonly ReportPeriod[]; readonly currencies: readonly SalesCurrencySeries[] }

function salesFigures(rows: readonly Row[]): SalesFigures {
  let orders = 0, revenue = 0, units = 0, refunds = 0, refunded = 0, cancellations = 0, cancelledBooked = 0, cancelledMinor = 0;
  for (const r of rows) {
    if (r.metric === 'orders.confirmed') { orders += r.count; revenue += r.sum; }
    else if (r.metric === 'orders.units') units += r.sum;
    else if (r.metric === 'orders.refunded') { refunds += r.count; refunded += r.sum; }
    else if (r.metric === 'orders.cancelled') cancellations += r.count;
    else if (r.metric === 'orders.cancelled_booked') { cancelledBooked += r.count; cancelledMinor += r.sum; }
  }
  return {
    orders, revenueMinor: revenue, units, aovMinor: divRound(revenue, orders), refunds, refundedMinor: refunded, cancellations,
    cancellationsAfterConfirmation: cancelledBooked, cancelledMinor, netRevenueMinor: revenue - refunded - cancelledMinor,
  };
}

function sumBy<K extends string>(rows: readonly Row[], key: (r: Row) => string | undefined, fields: (r: Row) => Partial<Record<K, number>>): Map<string, Record<K, number>> {
  const out = new Map<string, Record<K, number>>();
  for (const r of rows) {
    const k = key(r);
    if (k === undefined) continue;
    const acc = out.get(k) ?? ({} as Record<K, number>);
    for (const [f, v] of Object.entries(fields(r)) as [K, number][]) acc[f] = (acc[f] ?? 0) + v;
    out.set(k, acc);
  }
  return out;
}

export function buildSalesReport(req: ReportRequest, metrics: readonly DailyMetric[], variants: readonly VariantInfo[]): SalesReport {
  const periods = periodsOf(req.fromDay, req.toDay, req.granularity);
  const rows = rowsOf(metrics, req.granularity);
  const info = new Map(variants.map((v) => [v.variantId, v]));
  const currencies = [...new Set(rows.map((r) => r.dim.currency).filter((c): c is string => c !== undefined))].sort();
  return {
    periods,
    currencies: currencies.map((currency): SalesCurrencySeries => {
      const mine = rows.filter((r) => r.dim.currency === currency);
      const minePeriod = byPeriod(mine);
      const sources = sumBy(mine, (r) => r.dim.source, (r) => r.metric === 'orders.confirmed' ? { orders: r.count, revenueMinor: r.sum }
        : r.metric === 'orders.refunded' ? { refunds: r.count, refundedMinor: r.sum } : r.metric === 'orders.cancelled' ? { cancellations: r.count } : {});
      const entries = sumBy(mine.filter((r) => r.metric === 'orders.confirmed'), (r) => r.dim.entry ?? 'none', (r) => ({ orders: r.count, revenueMinor: r.sum }));
      const byVariant = sumBy(mine.filter((r) => r.metric === 'sales.variant'), (r) => r.dim.variant, (r) => ({ units: r.count, revenueMinor: r.sum }));
      const variantRows = [...byVariant].map(([variantId, v]) => {
        const i = info.get(variantId);
        return { variantId, productId: i?.productId ?? null, productName: i?.productName ?? null, sku: i?.sku ?? null, units: v.units ?? 0, revenueMinor: v.revenueMinor ?? 0 };
      }).sort((a, b) => b.revenueMinor - a.revenueMinor || a.variantId.localeCompare(b.variantId));
      const products = new Map<string, { productId: string | null; productName: string | null; units: number; revenueMinor: number }>();
      for (const v of variantRows) {
        const key = v.productId ?? `variant:${v.variantId}`;
        const p = products.get(key) ?? { productId: v.productId, productName: v.productName, units: 0, revenueMinor: 0 };
        p.units += v.units; p.revenueMinor += v.revenueMinor;
        products.set(key, p);
      }
      return {
        currency,
        totals: salesFigures(mine),
        periods: periods.map((p) => ({ period: p.key, ...salesFigures(minePeriod(p.key)) })),
        bySource: [...sources].map(([source, v]) => ({ source, orders: v.orders ?? 0, revenueMinor: v.revenueMinor ?? 0, refunds: v.refunds ?? 0, refundedMinor: v.refundedMinor ?? 0, cancellations: v.cancellations ?? 0 }))
          .sort((a, b) => a.source.localeCompare(b.source)),
        byEntryPoint: [...entries].map(([entryPoint, v]) => ({ entryPoint, orders: v.orders ?? 0, revenueMinor: v.revenueMinor ?? 0 })).sort((a, b) => a.entryPoint.localeCompare(b.entryPoint)),
        byVariant: variantRows,
        byProduct: [...products.values()].sort((a, b) => b.revenueMinor - a.revenueMinor),
      };
    }),
  };
}

// ---------------------------------------------------------------- messaging

export interface ResponseStats {
  readonly count: number;
  /** Upper bound of the histogram bucket holding the median (an estimate never below the truth); null with no responses. */
  readonly medianSeconds: number | null;
  readonly p90Seconds: number | null;
  readonly meanSeconds: number | null;
  /** Counts per bucket; `upToSeconds` null is the open bucket above 7 days. */
  readonly histogram: ReadonlyArray<{ readonly upToSeconds: number | null; readonly count: number }>;
}

export interface MessagingFigures {
  readonly inbound: number;
  readonly outbound: number;
  readonly outboundByAuthor: Readonly<Record<string, number>>;
  readonly newConversations: number;
  readonly firstResponse: { readonly assistant: ResponseStats; readonly human: ResponseStats };
  readonly handoffs: number;
  readonly handoffRate: number | null;
  readonly deflection: { readonly eligible: number; readonly handedOff: number; readonly deflected: number; readonly rate: number | null; readonly provisional: boolean };
  readonly windowRefusals: { readonly total: number; readonly human: number; readonly automated: number };
  readonly refusalsByReason: Readonly<Record<string, number>>;
  readonly rateLimitDelays: { readonly count: number; readonly totalDelayMs: number };
}

export interface MessagingReport { readonly periods: readonly ReportPeriod[]; readonly totals: MessagingFigures; readonly series: ReadonlyArray<{ readonly period: string } & MessagingFigures> }

/** The smallest bucket bound at or above the p-quantile's rank. */
export function histogramQuantile(counts: readonly number[], p: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank) { const upper = RESPONSE_BUCKETS_SECONDS[i]!; return Number.isFinite(upper) ? upper : RESPONSE_BUCKETS_SECONDS[i - 1]!; }
  }
  return null;
}

function responseStats(rows: readonly Row[], responder: string): ResponseStats {
  const counts = RESPONSE_BUCKETS_SECONDS.map(() => 0);
  let n = 0, seconds = 0;
  for (const r of rows) {
    if (r.metric !== 'response.first' || r.dim.responder !== responder) continue;
    const b = Number(r.dim.bucket);
    if (Number.isInteger(b) && b >= 0 && b < counts.length) counts[b]! += r.count;
    n += r.count; seconds += r.sum;
  }
  return {
    count: n, medianSeconds: histogramQuantile(counts, 0.5), p90Seconds: histogramQuantile(counts, 0.9), meanSeconds: divRound(seconds, n),
    histogram: counts.map((count, i) => ({ upToSeconds: Number.isFinite(RESPONSE_BUCKETS_SECONDS[i]!) ? RESPONSE_BUCKETS_SECONDS[i]! : null, count })),
  };
}

function messagingFigures(rows: readonly Row[], provisional: boolean): MessagingFigures {
  let inbound = 0, outbound = 0, conversations = 0, handoffs = 0, lost = 0, rlCount = 0, rlMs = 0, winHuman = 0, winAuto = 0;
  const byAuthor: Record<string, number> = {};
  const byReason: Record<string, number> = {};
  for (const r of rows) {
    switch (r.metric) {
      case 'messages.inbound': inbound += r.count; break;
      case 'messages.outbound': outbound += r.count; byAuthor[r.dim.author ?? 'unknown'] = (byAuthor[r.dim.author ?? 'unknown'] ?? 0) + r.count; break;
      case 'conversations.new': conversations += r.count; break;
      case 'handoffs': handoffs += r.count; break;
      case 'deflection.lost': lost += r.count; break;
      case 'sends.rate_limited': rlCount += r.count; rlMs += r.sum; break;
      case 'sends.refused': {
        const reason = r.dim.reason ?? 'unknown';
        byReason[reason] = (byReason[reason] ?? 0) + r.count;
        if ((WINDOW_REFUSAL_REASONS as readonly string[]).includes(reason)) { if (r.dim.human === 'true') winHuman += r.count; else winAuto += r.count; }
        break;
      }
      default: break;
    }
  }
  const assistant = responseStats(rows, 'assistant');
  const eligible = assistant.count;
  const deflected = Math.max(0, eligible - lost);
  return {
    inbound, outbound, outboundByAuthor: byAuthor, newConversations: conversations,
    firstResponse: { assistant, human: responseStats(rows, 'human') },
    handoffs, handoffRate: ratio(handoffs, conversations),
    deflection: { eligible, handedOff: lost, deflected, rate: ratio(deflected, eligible), provisional },
    windowRefusals: { total: winHuman + winAuto, human: winHuman, automated: winAuto }, refusalsByReason: byReason,
    rateLimitDelays: { count: rlCount, totalDelayMs: rlMs },
  };
}

export function buildMessagingReport(req: ReportRequest, metrics: readonly DailyMetric[]): MessagingReport {
  const periods = periodsOf(req.fromDay, req.toDay, req.granularity);
  const rows = rowsOf(metrics, req.granularity);
  // A first answer's deflection is settled 7 days later: younger days may still lose some.
  const settledThrough = addDays(req.today, -8);
  const inPeriod = byPeriod(rows);
  return {
    periods,
    totals: messagingFigures(rows, req.toDay > settledThrough),
    series: periods.map((p) => ({ period: p.key, ...messagingFigures(inPeriod(p.key), p.toDay > settledThrough) })),
  };
}

// ---------------------------------------------------------------- engagement

export interface EngagementFigures {
  readonly activeContacts: number;
  readonly newContacts: number;
  readonly returningContacts: number;
  readonly purchasers: number;
  readonly repeatPurchasers: number;
  readonly repeatPurchaseRate: number | null;
  readonly newConversations: number;
  readonly conversationOrders: number;
  readonly conversionRate: number | null;
  readonly revenuePerConversation: ReadonlyArray<{ readonly currency: string; readonly revenueMinor: number; readonly perConversationMinor: number | null }>;
}

export interface EngagementReport {
  readonly periods: readonly ReportPeriod[];
  readonly totals: EngagementFigures;
  readonly series: ReadonlyArray<{ readonly period: string } & EngagementFigures>;
  readonly byEntryPoint: ReadonlyArray<{ readonly entryPoint: string; readonly conversations: number; readonly orders: number; readonly conversionRate: number | null;
    readonly revenue: ReadonlyArray<{ readonly currency: string; readonly revenueMinor: number; readonly perConversationMinor: number | null }> }>;
}

function engagementFigures(rows: readonly Row[], contacts: ContactPeriodSummary | undefined): EngagementFigures {
  let conversations = 0, linkedOrders = 0;
  const revenue = new Map<string, number>();
  for (const r of rows) {
    if (r.metric === 'conversations.new') conversations += r.count;
    else if (r.metric === 'orders.confirmed' && (r.dim.entry ?? 'none') !== 'none') {
      linkedOrders += r.count;
      const c = r.dim.currency ?? '???';
      revenue.set(c, (revenue.get(c) ?? 0) + r.sum);
    }
  }
  const active = contacts?.active ?? 0;
  const fresh = contacts?.newContacts ?? 0;
  const purchasers = contacts?.purchasers ?? 0;
  const repeat = contacts?.repeatPurchasers ?? 0;
  return {
    activeContacts: active, newContacts: fresh, returningContacts: Math.max(0, active - fresh), purchasers, repeatPurchasers: repeat,
    repeatPurchaseRate: ratio(repeat, purchasers), newConversations: conversations, conversationOrders: linkedOrders, conversionRate: ratio(linkedOrders, conversations),
    revenuePerConversation: [...revenue].sort(([a], [b]) => a.localeCompare(b)).map(([currency, revenueMinor]) => ({ currency, revenueMinor, perConversationMinor: divRound(revenueMinor, conversations) })),
  };
}

export const TOTAL_PERIOD_KEY = 'total';

export function buildEngagementReport(req: ReportRequest, metrics: readonly DailyMetric[], contacts: readonly ContactPeriodSummary[]): EngagementReport {
  const periods = periodsOf(req.fromDay, req.toDay, req.granularity);
  const rows = rowsOf(metrics, req.granularity);
  const byKey = new Map(contacts.map((c) => [c.key, c]));
  const inPeriod = byPeriod(rows);
  const entries = [...new Set(rows.map((r) => r.dim.entry).filter((e): e is string => e !== undefined && e !== 'none'))].sort();
  return {
    periods,
    totals: engagementFigures(rows, byKey.get(TOTAL_PERIOD_KEY)),
    series: periods.map((p) => ({ period: p.key, ...engagementFigures(inPeriod(p.key), byKey.get(p.key)) })),
    byEntryPoint: entries.map((entryPoint) => {
      const f = engagementFigures(rows.filter((r) => r.dim.entry === entryPoint), undefined);
      return { entryPoint, conversations: f.newConversations, orders: f.conversationOrders, conversionRate: f.conversionRate, revenue: f.revenuePerConversation };
    }),
  };
}

// ---------------------------------------------------------------- use case

/** Reads the three reports through the ReportStore; the HTTP route calls it, analysts included. */
export class ReadReports {
  constructor(private readonly store: ReportStore) {}

  async sales(req: ReportRequest): Promise<SalesReport> {
    const metrics = await this.store.metrics(req.workspaceId, req.fromDay, req.toDay, SALES_METRICS);
    const variantIds = [...new Set(metrics.filter((m) => m.metric === 'sales.variant').map((m) => parseDimension(m.dimension).variant).filter((v): v is string => v !== undefined))];
    const variants = variantIds.length === 0 ? [] : await this.store.variants(req.workspaceId, variantIds);
    return buildSalesReport(req, metrics, variants);
  }

  async messaging(req: ReportRequest): Promise<MessagingReport> {
    return buildMessagingReport(req, await this.store.metrics(req.workspaceId, req.fromDay, req.toDay, MESSAGING_METRICS));
  }

  async engagement(req: ReportRequest): Promise<EngagementReport> {
    const periods = periodsOf(req.fromDay, req.toDay, req.granularity);
    // One after the other: both may run on the same database connection.
    const metrics = await this.store.metrics(req.workspaceId, req.fromDay, req.toDay, ENGAGEMENT_METRICS);
    const contacts = await this.store.contactSummary(req.workspaceId, [...periods, { key: TOTAL_PERIOD_KEY, fromDay: req.fromDay, toDay: req.toDay }]);
    return buildEngagementReport(req, metrics, contacts);
  }
}
