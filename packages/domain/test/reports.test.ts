import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Ids, addDays, buildEngagementReport, buildMessagingReport, buildSalesReport, conversationStarted, firstResponse, handoff, histogramQuantile, localDay, periodStart, periodsOf,
  rateLimitDelay, responseBucket, sendRefused, RESPONSE_BUCKETS_SECONDS, type DailyMetric, type ReportRequest,
} from '../src/index.js';

const WS = Ids.workspace('00000000-0000-7000-8000-000000000001');
const req = (over: Partial<ReportRequest> = {}): ReportRequest => ({ workspaceId: WS, fromDay: '2026-03-01', toDay: '2026-03-31', granularity: 'day', timezone: 'UTC', today: '2026-04-30', ...over });
const row = (day: string, metric: string, dimension: string, count: number, sum = 0): DailyMetric => ({ workspaceId: WS, day, metric, dimension, count, sum });
const dayArb = fc.date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));

describe('periods', () => {
  it('tile the range exactly: contiguous, clipped, each day in exactly one period', () => {
    fc.assert(fc.property(dayArb, fc.integer({ min: 0, max: 400 }), fc.constantFrom('day' as const, 'week' as const, 'month' as const), (from, len, g) => {
      const to = addDays(from, len);
      const ps = periodsOf(from, to, g);
      expect(ps[0]!.fromDay).toBe(from);
      expect(ps.at(-1)!.toDay).toBe(to);
      for (let i = 1; i < ps.length; i++) expect(ps[i]!.fromDay).toBe(addDays(ps[i - 1]!.toDay, 1));
      for (const p of ps) expect(periodStart(p.fromDay, g)).toBe(p.key);
    }));
  });

  it('weeks start on Monday (ISO) and months on the 1st', () => {
    expect(periodStart('2026-03-01', 'week')).toBe('2026-02-23'); // a Sunday
    expect(periodStart('2026-03-02', 'week')).toBe('2026-03-02');
    expect(periodStart('2026-02-28', 'month')).toBe('2026-02-01');
    expect(periodsOf('2026-01-31', '2026-03-01', 'month').map((p) => [p.key, p.fromDay, p.toDay])).toEqual([
      ['2026-01-01', '2026-01-31', '2026-01-31'], ['2026-02-01', '2026-02-01', '2026-02-28'], ['2026-03-01', '2026-03-01', '2026-03-01']]);
  });

  it('buckets an instant by the workspace’s local day, across DST and half-hour offsets', () => {
    expect(localDay(new Date('2026-03-29T22:30:00Z'), 'Europe/Madrid')).toBe('2026-03-30'); // CEST, +2
    expect(localDay(new Date('2026-03-28T22:30:00Z'), 'Europe/Madrid')).toBe('2026-03-28'); // CET, +1
    expect(localDay(new Date('2026-03-01T18:29:00Z'), 'Asia/Kolkata')).toBe('2026-03-01');
    expect(localDay(new Date('2026-03-01T18:30:00Z'), 'Asia/Kolkata')).toBe('2026-03-02');
    expect(localDay(new Date('2026-03-01T07:59:00Z'), 'America/Los_Angeles')).toBe('2026-02-28');
  });
});

describe('first-response histogram', () => {
  it('puts every duration in the first bucket whose bound holds it', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 * 86400 }), (s) => {
      const b = responseBucket(s);
      expect(s).toBeLessThanOrEqual(RESPONSE_BUCKETS_SECONDS[b]!);
      if (b > 0) expect(s).toBeGreaterThan(RESPONSE_BUCKETS_SECONDS[b - 1]!);
    }));
  });

  it('estimates a quantile no lower than the exact one and within one bucket of it', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 600_000 }), { minLength: 1, maxLength: 200 }), fc.constantFrom(0.5, 0.9), (xs, p) => {
      const counts = RESPONSE_BUCKETS_SECONDS.map(() => 0);
      for (const x of xs) counts[responseBucket(x)]! += 1;
      const exact = [...xs].sort((a, b) => a - b)[Math.ceil(p * xs.length) - 1]!;
      const est = histogramQuantile(counts, p)!;
      expect(est).toBe(RESPONSE_BUCKETS_SECONDS[responseBucket(exact)]);
      expect(est).toBeGreaterThanOrEqual(exact);
    }));
  });

  it('counts a first response on the reply’s local day, split by responder; notifications are not replies', () => {
    const at = new Date('2026-03-01T23:30:00Z');
    expect(firstResponse({ workspaceId: WS, author: 'agent', customerMessageAt: new Date(at.getTime() - 95_000), respondedAt: at, timezone: 'Europe/Madrid' }))
      .toEqual([{ workspaceId: WS, day: '2026-03-02', metric: 'response.first', dimension: 'bucket=03;responder=human', count: 1, sum: 95 }]);
    expect(firstResponse({ workspaceId: WS, author: 'notification', customerMessageAt: at, respondedAt: at, timezone: 'UTC' })).toEqual([]);
  });
});

describe('handoff and deflection', () => {
  const first = new Date('2026-03-01T10:00:00Z');
  it('a handoff within 7 days of the assistant’s first answer costs that day one deflection, once', () => {
    const h = handoff({ workspaceId: WS, initiator: 'assistant', at: new Date('2026-03-05T10:00:00Z'), timezone: 'UTC', firstAssistantResponseAt: first, previousHandoffAt: null });
    expect(h.map((d) => [d.day, d.metric])).toEqual([['2026-03-05', 'handoffs'], ['2026-03-01', 'deflection.lost']]);
    const again = handoff({ workspaceId: WS, initiator: 'agent', at: new Date('2026-03-06T10:00:00Z'), timezone: 'UTC', firstAssistantResponseAt: first, previousHandoffAt: new Date('2026-03-05T10:00:00Z') });
    expect(again.map((d) => d.metric)).toEqual(['handoffs']);
    const late = handoff({ workspaceId: WS, initiator: 'assistant', at: new Date('2026-03-08T10:00:00Z'), timezone: 'UTC', firstAssistantResponseAt: first, previousHandoffAt: null });
    expect(late.map((d) => d.metric)).toEqual(['handoffs']);
  });

  it('deflection = assistant first answers minus those handed off within 7 days; provisional until settled', () => {
    const metrics = [
      ...firstResponse({ workspaceId: WS, author: 'assistant', customerMessageAt: first, respondedAt: first, timezone: 'UTC' }),
      ...firstResponse({ workspaceId: WS, author: 'assistant', customerMessageAt: first, respondedAt: first, timezone: 'UTC' }),
      ...handoff({ workspaceId: WS, initiator: 'assistant', at: new Date('2026-03-02T10:00:00Z'), timezone: 'UTC', firstAssistantResponseAt: first, previousHandoffAt: null }),
      ...conversationStarted({ workspaceId: WS, entryPoint: 'organic_dm', at: first, timezone: 'UTC' }),
      ...conversationStarted({ workspaceId: WS, entryPoint: 'comment', at: first, timezone: 'UTC' }),
      ...sendRefused({ workspaceId: WS, author: 'agent', reason: 'human_agent_window_closed', at: first, timezone: 'UTC' }),
      ...sendRefused({ workspaceId: WS, author: 'assistant', reason: 'window_closed', at: first, timezone: 'UTC' }),
      ...sendRefused({ workspaceId: WS, author: 'assistant', reason: 'ai_objected', at: first, timezone: 'UTC' }),
      ...rateLimitDelay({ workspaceId: WS, delayMs: 1500, at: first, timezone: 'UTC' }),
    ];
    const settled = buildMessagingReport(req(), metrics).totals;
    expect(settled).toMatchObject({
      newConversations: 2, handoffs: 1, handoffRate: 0.5, deflection: { eligible: 2, handedOff: 1, deflected: 1, rate: 0.5, provisional: false },
      windowRefusals: { total: 2, human: 1, automated: 1 }, refusalsByReason: { human_agent_window_closed: 1, window_closed: 1, ai_objected: 1 }, rateLimitDelays: { count: 1, totalDelayMs: 1500 },
    });
    expect(buildMessagingReport(req({ today: '2026-03-05' }), metrics).totals.deflection.provisional).toBe(true);
  });
});

describe('sales and engagement figures', () => {
  const metrics = [
    row('2026-03-02', 'orders.confirmed', 'currency=EUR;entry=ad_referral;source=chat', 2, 5000),
    row('2026-03-02', 'orders.confirmed', 'currency=EUR;entry=none;source=dashboard', 1, 1000),
    row('2026-03-03', 'orders.confirmed', 'currency=USD;entry=comment;source=chat', 1, 700),
    row('2026-03-02', 'orders.units', 'currency=EUR', 3, 7),
    row('2026-03-02', 'sales.variant', 'currency=EUR;variant=v1', 7, 6000),
    row('2026-03-09', 'orders.refunded', 'currency=EUR;source=chat', 1, 2500),
    row('2026-03-09', 'orders.cancelled', 'currency=EUR;source=dashboard', 1, 1000),
    row('2026-03-09', 'orders.cancelled_booked', 'currency=EUR;source=dashboard', 1, 1000),
    row('2026-03-09', 'orders.cancelled', 'currency=EUR;source=chat', 1, 300),
    row('2026-03-02', 'conversations.new', 'entry=ad_referral', 4),
    row('2026-03-03', 'conversations.new', 'entry=comment', 1),
  ];

  it('keeps one series per currency; net revenue takes back refunds and booked cancellations only', () => {
    const r = buildSalesReport(req({ granularity: 'week' }), metrics, [{ variantId: 'v1', productId: 'p1', productName: 'Tee', sku: 'TEE-M' }]);
    expect(r.currencies.map((c) => c.currency)).toEqual(['EUR', 'USD']);
    const eur = r.currencies[0]!;
    expect(eur.totals).toEqual({ orders: 3, revenueMinor: 6000, units: 7, aovMinor: 2000, refunds: 1, refundedMinor: 2500, cancellations: 2, cancellationsAfterConfirmation: 1, cancelledMinor: 1000, netRevenueMinor: 2500 });
    expect(eur.periods.map((p) => [p.period, p.orders])).toEqual([['2026-02-23', 0], ['2026-03-02', 3], ['2026-03-09', 0], ['2026-03-16', 0], ['2026-03-23', 0], ['2026-03-30', 0]]);
    expect(eur.byEntryPoint).toEqual([{ entryPoint: 'ad_referral', orders: 2, revenueMinor: 5000 }, { entryPoint: 'none', orders: 1, revenueMinor: 1000 }]);
    expect(eur.byProduct).toEqual([{ productId: 'p1', productName: 'Tee', units: 7, revenueMinor: 6000 }]);
    expect(r.currencies[1]!.totals.revenueMinor).toBe(700);
  });

  it('converts conversations to orders and revenue per conversation per entry point', () => {
    const e = buildEngagementReport(req(), metrics, [{ key: 'total', active: 5, newContacts: 3, purchasers: 2, repeatPurchasers: 1 }]);
    expect(e.totals).toMatchObject({ activeContacts: 5, newContacts: 3, returningContacts: 2, repeatPurchaseRate: 0.5, newConversations: 5, conversationOrders: 3, conversionRate: 0.6,
      revenuePerConversation: [{ currency: 'EUR', revenueMinor: 5000, perConversationMinor: 1000 }, { currency: 'USD', revenueMinor: 700, perConversationMinor: 140 }] });
    expect(e.byEntryPoint).toEqual([
      { entryPoint: 'ad_referral', conversations: 4, orders: 2, conversionRate: 0.5, revenue: [{ currency: 'EUR', revenueMinor: 5000, perConversationMinor: 1250 }] },
      { entryPoint: 'comment', conversations: 1, orders: 1, conversionRate: 1, revenue: [{ currency: 'USD', revenueMinor: 700, perConversationMinor: 700 }] },
    ]);
  });
});
