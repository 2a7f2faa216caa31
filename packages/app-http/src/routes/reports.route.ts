import { z } from 'zod';
import type { Container } from 'inversify';
import type { Response } from 'express';
import {
  GRANULARITIES, ReadReports, addDays, daysBetween, isLocalDay, localDay,
  type EngagementReport, type MessagingFigures, type MessagingReport, type ReportRequest, type ReportStore, type SalesReport, type UnitOfWork, type WorkspaceId,
} from '@palette/domain';
import { InMemoryDatabase, InMemoryReportStore } from '@palette/domain/in-memory';
import { MikroOrmSession, createSqlReportStore } from '@palette/adapters/persistence';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';

/** The report store over whichever repositories the request resolved (one unit of work). */
export function reportStoreFor(uow: UnitOfWork): ReportStore {
  if (uow instanceof MikroOrmSession) return createSqlReportStore(uow);
  if (uow instanceof InMemoryDatabase) return new InMemoryReportStore(uow);
  throw new TypeError('No report store for this kind of repositories');
}

const MAX_DAYS: Record<(typeof GRANULARITIES)[number], number> = { day: 400, week: 3 * 366, month: 5 * 366 };

const day = z.string().refine(isLocalDay, 'is not a calendar day (YYYY-MM-DD)');
const ReportQuery = z.object({
  from: day.optional().describe('First local day (YYYY-MM-DD, inclusive). Defaults to 29 days before `to`.'),
  to: day.optional().describe('Last local day (inclusive). Defaults to today in the workspace timezone.'),
  granularity: z.enum(GRANULARITIES).default('day').describe('Series buckets: day, ISO week (Monday) or calendar month.'),
  tz: z.string().min(1).max(64).optional().describe("Must be the workspace's timezone (the aggregates are bucketed in it when recorded); omit to use it."),
});

// ---------------------------------------------------------------- response contracts

const nullableNumber = z.number().nullable();
const Period = z.object({ key: z.string(), fromDay: z.string(), toDay: z.string() });
const SalesFiguresDto = z.object({
  orders: z.number(), revenueMinor: z.number(), units: z.number(), aovMinor: nullableNumber, refunds: z.number(), refundedMinor: z.number(),
  cancellations: z.number(), cancellationsAfterConfirmation: z.number(), cancelledMinor: z.number(), netRevenueMinor: z.number(),
});
const SalesReportDto = z.object({
  periods: z.array(Period),
  currencies: z.array(z.object({
    currency: z.string(),
    totals: SalesFiguresDto,
    periods: z.array(SalesFiguresDto.extend({ period: z.string() })),
    bySource: z.array(z.object({ source: z.string(), orders: z.number(), revenueMinor: z.number(), refunds: z.number(), refundedMinor: z.number(), cancellations: z.number() })),
    byEntryPoint: z.array(z.object({ entryPoint: z.string(), orders: z.number(), revenueMinor: z.number() })),
    byVariant: z.array(z.object({ variantId: z.string(), productId: z.string().nullable(), productName: z.string().nullable(), sku: z.string().nullable(), units: z.number(), revenueMinor: z.number() })),
    byProduct: z.array(z.object({ productId: z.string().nullable(), productName: z.string().nullable(), units: z.number(), revenueMinor: z.number() })),
  })),
}).meta({ id: 'SalesReport', description: 'Revenue, orders, units, AOV, refunds and cancellations; one series per currency. Amounts in minor units.' });

const ResponseStatsDto = z.object({
  count: z.number(), medianSeconds: nullableNumber, p90Seconds: nullableNumber, meanSeconds: nullableNumber,
  histogram: z.array(z.object({ upToSeconds: nullableNumber, count: z.number() })),
});
const MessagingFiguresDto = z.object({
  inbound: z.number(), outbound: z.number(), outboundByAuthor: z.record(z.string(), z.number()), newConversations: z.number(),
  firstResponse: z.object({ assistant: ResponseStatsDto, human: ResponseStatsDto }),
  handoffs: z.number(), handoffRate: nullableNumber,
  deflection: z.object({ eligible: z.number(), handedOff: z.number(), deflected: z.number(), rate: nullableNumber, provisional: z.boolean() }),
  windowRefusals: z.object({ total: z.number(), human: z.number(), automated: z.number() }),
  refusalsByReason: z.record(z.string(), z.number()),
  rateLimitDelays: z.object({ count: z.number(), totalDelayMs: z.number() }),
});
const MessagingReportDto = z.object({ periods: z.array(Period), totals: MessagingFiguresDto, series: z.array(MessagingFiguresDto.extend({ period: z.string() })) })
  .meta({ id: 'MessagingReport', description: 'Message counts, first-response time, handoffs, deflection, window refusals and rate-limit delays. Never message text.' });

const RevenueDto = z.object({ currency: z.string(), revenueMinor: z.number(), perConversationMinor: nullableNumber });
const EngagementFiguresDto = z.object({
  activeContacts: z.number(), newContacts: z.number(), returningContacts: z.number(), purchasers: z.number(), repeatPurchasers: z.number(), repeatPurchaseRate: nullableNumber,
  newConversations: z.number(), conversationOrders: z.number(), conversionRate: nullableNumber, revenuePerConversation: z.array(RevenueDto),
});
const EngagementReportDto = z.object({
  periods: z.array(Period), totals: EngagementFiguresDto, series: z.array(EngagementFiguresDto.extend({ period: z.string() })),
  byEntryPoint: z.array(z.object({ entryPoint: z.string(), conversations: z.number(), orders: z.number(), conversionRate: nullableNumber, revenue: z.array(RevenueDto) })),
}).meta({ id: 'EngagementReport', description: 'Active, new and returning contacts, conversion, revenue per conversation and entry point, repeat purchase. Counts only.' });

// ---------------------------------------------------------------- CSV

/** RFC 4180 quoting, and a leading quote on text a spreadsheet would run as a formula. */
function csvCell(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null>>): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function salesCsv(r: SalesReport): string {
  const header = ['period', 'currency', 'orders', 'revenue_minor', 'units', 'aov_minor', 'refunds', 'refunded_minor', 'cancellations', 'cancellations_after_confirmation', 'cancelled_minor', 'net_revenue_minor'];
  return toCsv(header, r.currencies.flatMap((c) => c.periods.map((p) => [p.period, c.currency, p.orders, p.revenueMinor, p.units, p.aovMinor, p.refunds, p.refundedMinor, p.cancellations, p.cancellationsAfterConfirmation, p.cancelledMinor, p.netRevenueMinor])));
}

function messagingCsv(r: MessagingReport): string {
  const header = ['period', 'inbound', 'outbound', 'new_conversations', 'assistant_first_responses', 'assistant_median_s', 'assistant_p90_s', 'human_first_responses', 'human_median_s', 'human_p90_s',
    'handoffs', 'handoff_rate', 'deflection_eligible', 'deflected', 'deflection_rate', 'deflection_provisional', 'window_refusals', 'window_refusals_human', 'rate_limit_delays', 'rate_limit_delay_ms'];
  const row = (period: string, f: MessagingFigures) => [period, f.inbound, f.outbound, f.newConversations, f.firstResponse.assistant.count, f.firstResponse.assistant.medianSeconds, f.firstResponse.assistant.p90Seconds,
    f.firstResponse.human.count, f.firstResponse.human.medianSeconds, f.firstResponse.human.p90Seconds, f.handoffs, f.handoffRate, f.deflection.eligible, f.deflection.deflected, f.deflection.rate,
    f.deflection.provisional, f.windowRefusals.total, f.windowRefusals.human, f.rateLimitDelays.count, f.rateLimitDelays.totalDelayMs];
  return toCsv(header, r.series.map((s) => row(s.period, s)));
}

function engagementCsv(r: EngagementReport): string {
  const currencies = [...new Set(r.series.flatMap((s) => s.revenuePerConversation.map((x) => x.currency)))].sort();
  const header = ['period', 'active_contacts', 'new_contacts', 'returning_contacts', 'purchasers', 'repeat_purchasers', 'repeat_purchase_rate', 'new_conversations', 'conversation_orders', 'conversion_rate',
    ...currencies.flatMap((c) => [`revenue_minor_${c}`, `revenue_per_conversation_minor_${c}`])];
  return toCsv(header, r.series.map((s) => [s.period, s.activeContacts, s.newContacts, s.returningContacts, s.purchasers, s.repeatPurchasers, s.repeatPurchaseRate, s.newConversations, s.conversationOrders, s.conversionRate,
    ...currencies.flatMap((c) => { const x = s.revenuePerConversation.find((v) => v.currency === c); return [x?.revenueMinor ?? 0, x?.perConversationMinor ?? null]; })]));
}

function sendCsv(res: Response, name: string, req: ReportRequest, body: string): void {
  res.status(200).setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${name}-${req.fromDay}-${req.toDay}-${req.granularity}.csv"`);
  res.setHeader('Vary', 'Accept');
  res.end(body);
}

// ---------------------------------------------------------------- routes

/** The domain's reports are deeply readonly; the reply is parsed through the schema before it is sent. */
const wire = <S extends z.ZodType>(report: unknown): z.input<S> => report as z.input<S>;

type Kind = 'sales' | 'messaging' | 'engagement';

const DESCRIPTIONS: Record<Kind, string> = {
  sales: 'Revenue, orders, units, average order value, refunds and cancellations per day, week or month, by source, entry point, variant and product; one series per currency. Definitions: docs/reports.md.',
  messaging: 'Inbound and outbound messages, new conversations, first-response time (median and p90 from a histogram, assistant vs human), handoffs, deflection, window refusals and rate-limit delays. Definitions: docs/reports.md.',
  engagement: 'Active, new and returning contacts, conversation→order conversion, revenue per conversation and per entry point, repeat-purchase rate. Definitions: docs/reports.md.',
};

export const reportsRoutes = (c: Container) => {
  async function resolve(workspaceId: WorkspaceId, query: z.output<typeof ReportQuery>) {
    const repos = c.get(TOKENS.Repositories);
    const workspace = await repos.workspaces.get(workspaceId);
    if (!workspace) throw HttpProblem.notFound();
    if (query.tz !== undefined && query.tz !== workspace.timezone) {
      throw HttpProblem.unprocessable(`Reports are bucketed in the workspace timezone (${workspace.timezone}) when events are recorded; ask for that timezone or omit tz.`, 'reports.timezone_mismatch');
    }
    const today = localDay(c.get(TOKENS.Clock).now(), workspace.timezone);
    const toDay = query.to ?? today;
    const fromDay = query.from ?? addDays(toDay, -29);
    if (fromDay > toDay) throw HttpProblem.validation([{ path: 'query.from', message: 'must not be after `to`', code: 'invalid_range' }]);
    if (daysBetween(fromDay, toDay) >= MAX_DAYS[query.granularity]) {
      throw HttpProblem.validation([{ path: 'query.from', message: `at most ${MAX_DAYS[query.granularity]} days at ${query.granularity} granularity`, code: 'range_too_long' }]);
    }
    const req: ReportRequest = { workspaceId, fromDay, toDay, granularity: query.granularity, timezone: workspace.timezone, today };
    return { req, reports: new ReadReports(reportStoreFor(repos.uow)) };
  }

  const spec = <K extends Kind, S extends z.ZodType>(kind: K, body: S) => ({
    method: 'get' as const,
    path: `/api/workspaces/:workspaceId/reports/${kind}`,
    summary: `The ${kind} report`,
    description: `${DESCRIPTIONS[kind]} Send \`Accept: text/csv\` for the series as CSV.`,
    tags: ['reports'],
    auth: 'session' as const,
    permission: 'reports.read' as const,
    params: z.object({ workspaceId: z.uuid() }),
    query: ReportQuery,
    responses: { 200: { description: `The ${kind} report (JSON, or CSV with Accept: text/csv)`, body } },
    problems: ['unprocessable' as const],
  });

  return [
    defineRoute(spec('sales', SalesReportDto), async ({ principal, query, req: http, res }) => {
      const { req, reports } = await resolve(principal.workspaceId, query);
      const report = await reports.sales(req);
      if (http.accepts(['application/json', 'text/csv']) === 'text/csv') return sendCsv(res, 'sales', req, salesCsv(report));
      return { status: 200, body: wire<typeof SalesReportDto>(report) };
    }),
    defineRoute(spec('messaging', MessagingReportDto), async ({ principal, query, req: http, res }) => {
      const { req, reports } = await resolve(principal.workspaceId, query);
      const report = await reports.messaging(req);
      if (http.accepts(['application/json', 'text/csv']) === 'text/csv') return sendCsv(res, 'messaging', req, messagingCsv(report));
      return { status: 200, body: wire<typeof MessagingReportDto>(report) };
    }),
    defineRoute(spec('engagement', EngagementReportDto), async ({ principal, query, req: http, res }) => {
      const { req, reports } = await resolve(principal.workspaceId, query);
      const report = await reports.engagement(req);
      if (http.accepts(['application/json', 'text/csv']) === 'text/csv') return sendCsv(res, 'engagement', req, engagementCsv(report));
      return { status: 200, body: wire<typeof EngagementReportDto>(report) };
    }),
  ];
};
