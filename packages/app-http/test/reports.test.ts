import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Ids, Money, Order, TransitionOrder, firstResponse, type Repositories } from '@palette/domain';
import { SequentialIds } from '@palette/domain/in-memory';
import { make, unwrap } from '@palette/domain/testing';
import { buildWorkspaceApp, seedTenant, TEST_USER_HEADER, type Tenant, type WorkspaceApp } from './support/workspace-fixtures.js';

const NOW = new Date('2026-03-01T09:00:00Z');

/** Tenant A (Europe/Madrid) with its seeded DM, an answered thread and a confirmed order. */
async function seeded(): Promise<{ w: WorkspaceApp; a: Tenant; repos: Repositories }> {
  const w = buildWorkspaceApp();
  const repos = w.repos();
  const a = await seedTenant(repos, 'A', 1, NOW);
  const ids = new SequentialIds('0000000a');
  const product = make.product(ids.next(), a.workspaceId, 'TEE', NOW);
  const variant = make.variant(ids.next(), a.workspaceId, product.id, 'TEE-M', 2500, NOW);
  const level = make.level(variant.id, a.workspaceId, NOW);
  unwrap(level.adjust({ delta: 10, reason: null, actor: { kind: 'system' }, at: NOW }));
  const order = unwrap(Order.draft({ id: Ids.order(ids.next()), workspaceId: a.workspaceId, source: 'api', actor: { kind: 'api' }, now: NOW,
    lines: [{ variantId: variant.id, sku: 'TEE-M', name: 'Tee', unitPrice: Money.unsafe(2500, 'EUR'), quantity: 2 }] }));
  await repos.uow.run(async () => {
    await repos.products.save(product); await repos.variants.save(variant); await repos.stock.save(level); await repos.orders.save(order);
    await repos.metrics.add([
      { workspaceId: a.workspaceId, day: '2026-03-01', metric: 'messages.inbound', dimension: 'author=customer', count: 3, sum: 0 },
      { workspaceId: a.workspaceId, day: '2026-03-01', metric: 'conversations.new', dimension: 'entry=ad_referral', count: 2, sum: 0 },
      ...firstResponse({ workspaceId: a.workspaceId, author: 'assistant', customerMessageAt: NOW, respondedAt: new Date(NOW.getTime() + 45_000), timezone: 'Europe/Madrid' }),
      ...firstResponse({ workspaceId: a.workspaceId, author: 'agent', customerMessageAt: NOW, respondedAt: new Date(NOW.getTime() + 3 * 3600_000), timezone: 'Europe/Madrid' }),
    ]);
  });
  w.clock.set(NOW);
  unwrap(await new TransitionOrder({ ...repos, clock: w.clock, ids }).execute({ workspaceId: a.workspaceId, orderId: order.id, to: 'confirmed', actor: { kind: 'user', id: a.members.owner.userId } }));
  return { w, a, repos };
}

const get = (w: WorkspaceApp, a: Tenant, path: string, role: 'owner' | 'analyst' | 'agent' = 'analyst') =>
  request(w.app).get(`/api/workspaces/${a.workspaceId}/reports/${path}`).set(TEST_USER_HEADER, a.members[role].userId);

describe('reports routes', () => {
  it('an analyst reads sales, messaging and engagement as JSON, with no message text anywhere', async () => {
    const { w, a } = await seeded();
    const sales = await get(w, a, 'sales?from=2026-02-25&to=2026-03-02');
    expect(sales.status).toBe(200);
    expect(sales.body.periods).toHaveLength(6);
    expect(sales.body.currencies).toEqual([expect.objectContaining({
      currency: 'EUR', totals: expect.objectContaining({ orders: 1, revenueMinor: 5000, units: 2, aovMinor: 5000, netRevenueMinor: 5000 }),
      bySource: [expect.objectContaining({ source: 'api', orders: 1 })], byProduct: [expect.objectContaining({ productName: 'Product TEE', units: 2 })],
    })]);

    const messaging = await get(w, a, 'messaging?from=2026-03-01&to=2026-03-01');
    expect(messaging.status).toBe(200);
    expect(messaging.body.totals).toMatchObject({
      inbound: 3, newConversations: 2,
      firstResponse: { assistant: { count: 1, medianSeconds: 60, p90Seconds: 60 }, human: { count: 1, medianSeconds: 14400 } },
    });
    const engagement = await get(w, a, 'engagement?from=2026-03-01&to=2026-03-31&granularity=week');
    expect(engagement.status).toBe(200);
    expect(engagement.body.series.map((s: { period: string }) => s.period)).toEqual(['2026-02-23', '2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23', '2026-03-30']);
    for (const res of [sales, messaging, engagement]) expect(JSON.stringify(res.body)).not.toContain(a.messageText.slice(0, 12));
  });

  it('answers CSV for Accept: text/csv', async () => {
    const { w, a } = await seeded();
    const res = await get(w, a, 'sales?from=2026-03-01&to=2026-03-02').set('Accept', 'text/csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.text.trim().split('\r\n');
    expect(lines[0]).toBe('period,currency,orders,revenue_minor,units,aov_minor,refunds,refunded_minor,cancellations,cancellations_after_confirmation,cancelled_minor,net_revenue_minor');
    expect(lines.slice(1)).toEqual(['2026-03-01,EUR,1,5000,2,5000,0,0,0,0,0,5000', '2026-03-02,EUR,0,0,0,,0,0,0,0,0,0']);
    const messaging = await get(w, a, 'messaging?from=2026-03-01&to=2026-03-01').set('Accept', 'text/csv');
    expect(messaging.text.split('\r\n')[1]).toMatch(/^2026-03-01,3,0,2,1,60,60,1,14400,14400,/);
  });

  it('refuses a timezone other than the workspace’s, reversed and oversized ranges', async () => {
    const { w, a } = await seeded();
    expect((await get(w, a, 'sales?tz=Europe/Madrid&from=2026-03-01&to=2026-03-01')).status).toBe(200);
    const tz = await get(w, a, 'sales?tz=America/New_York');
    expect(tz.status).toBe(422);
    expect(tz.body.code).toBe('reports.timezone_mismatch');
    expect((await get(w, a, 'sales?from=2026-03-05&to=2026-03-01')).status).toBe(400);
    expect((await get(w, a, 'sales?from=2024-01-01&to=2026-03-01')).status).toBe(400);
    expect((await get(w, a, 'sales?from=2026-02-30')).status).toBe(400);
  });

  it('is not for agents (no reports.read), and defaults to the last 30 days', async () => {
    const { w, a } = await seeded();
    expect((await get(w, a, 'messaging', 'agent')).status).toBe(403);
    const res = await get(w, a, 'messaging', 'owner');
    expect(res.status).toBe(200);
    expect(res.body.periods).toHaveLength(30);
    expect(res.body.periods.at(-1).key).toBe('2026-03-01');
  });
});
