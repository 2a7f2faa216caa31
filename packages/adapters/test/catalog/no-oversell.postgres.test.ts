import { afterAll, beforeAll, expect, it } from 'vitest';
import { DraftOrder, Ids, ManageCatalog, TransitionOrder, type VariantId } from '@palette/domain';
import { FakeClock, SequentialIds } from '@palette/domain/in-memory';
import { make, unwrap, uuid, type ContractHarness } from '@palette/domain/testing';
import { postgresHarness } from '../persistence/contract-harness.js';
import { describeOnPostgres, testDatabaseUrl } from '../support/databases.js';

const T0 = new Date('2026-03-01T12:00:00.000Z');
const WS = Ids.workspace(uuid(1, 'aaaaaaaa'));

/**
 * The reservation path on a real server with a connection pool: parallel transactions really
 * interleave here (PGlite has one connection). Row locks (SELECT … FOR UPDATE in id order) make
 * the availability check and the write one step.
 */
describeOnPostgres('no oversell under concurrency', () => {
  let h: ContractHarness;
  let n = 0;
  const clock = new FakeClock(T0);
  const ids = () => new SequentialIds(`ffff${(++n).toString(16).padStart(4, '0')}`);
  beforeAll(async () => { h = await postgresHarness(testDatabaseUrl!); });
  afterAll(async () => { await h?.teardown(); });

  async function variants(stock: number[]): Promise<VariantId[]> {
    await h.reset();
    const s = h.session();
    await s.uow.run(async () => { await s.workspaces.save(make.workspace(WS, T0)); });
    const made = unwrap(await new ManageCatalog({ ...h.session(), clock, ids: ids() }).createProduct({
      workspaceId: WS, sku: 'HOT', name: 'Hot item', priceMinor: 1000, currency: 'EUR', actor: { kind: 'system' },
      variants: stock.map((q, i) => ({ sku: `HOT-${i}`, title: `${i}`, initialStock: q })),
    }));
    return made.variants.map((v) => v.id);
  }

  for (const [parallel, last] of [[30, 1], [30, 7], [50, 20], [8, 8]] as const) {
    it(`${parallel} parallel chat holds for the last ${last} unit(s): exactly ${last} succeed`, async () => {
      const [v] = await variants([last]);
      const results = await Promise.all(Array.from({ length: parallel }, () =>
        new DraftOrder({ ...h.session(), clock, ids: ids() }).execute({ workspaceId: WS, source: 'chat', lines: [{ variantId: v!, quantity: 1 }], holdStock: true, actor: { kind: 'assistant' } })));
      expect(results.filter((r) => r.ok)).toHaveLength(last);
      expect(new Set(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.error.kind)))).toEqual(parallel > last ? new Set(['InsufficientStock']) : new Set());
      const level = (await h.session().stock.get(WS, v!))!;
      expect({ onHand: level.onHand, reserved: level.reserved }).toEqual({ onHand: last, reserved: last });
      expect((await h.session().stock.listMovements(WS, v!)).filter((m) => m.kind === 'reservation')).toHaveLength(last);
    });
  }

  it('24 parallel confirmations of two-line orders locking the variants in opposite line order: no deadlock, all-or-nothing, exactly 5 succeed', async () => {
    const [a, b] = await variants([5, 9]);
    const orders = [];
    for (let i = 0; i < 24; i++) {
      const lines = i % 2 === 0 ? [{ variantId: a!, quantity: 1 }, { variantId: b!, quantity: 1 }] : [{ variantId: b!, quantity: 1 }, { variantId: a!, quantity: 1 }];
      orders.push(unwrap(await new DraftOrder({ ...h.session(), clock, ids: ids() }).execute({ workspaceId: WS, source: 'api', lines, actor: { kind: 'api' } })));
    }
    const results = await Promise.all(orders.map((o) =>
      new TransitionOrder({ ...h.session(), clock, ids: ids() }).execute({ workspaceId: WS, orderId: o.id, to: 'confirmed', actor: { kind: 'api' } })));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    const s = h.session();
    expect([(await s.stock.get(WS, a!))!.reserved, (await s.stock.get(WS, b!))!.reserved]).toEqual([5, 5]);
  });
});
