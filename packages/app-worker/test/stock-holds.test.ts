import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { PermanentJobError, type JobContext } from '@palette/adapters/queue';
import { DraftOrder, Ids, ManageCatalog, ReleaseExpiredHolds } from '@palette/domain';
import { createInMemoryRepositories, FakeClock, SequentialIds } from '@palette/domain/in-memory';
import { make, unwrap } from '@palette/domain/testing';
import { stockHoldsHandler } from '../src/handlers/stock-holds.js';

const T0 = new Date('2026-03-01T10:00:00Z');
const WS = Ids.workspace('00000000-0000-7000-8000-0000000000a1');
const job = (data: unknown): JobContext => ({
  id: '00000000-0000-4000-8000-000000000001', queue: 'catalog.stock-hold-expiry', data, attempt: 1, orderingKey: null, createdAt: new Date(), signal: new AbortController().signal,
});

describe('the catalog.stock-hold-expiry handler', () => {
  it('the cron tick releases every expired chat hold once; a per-order job releases that one; bad payloads are permanent failures', async () => {
    const repos = createInMemoryRepositories();
    const clock = new FakeClock(T0);
    const ids = new SequentialIds();
    await repos.uow.run(async () => { await repos.workspaces.save(make.workspace(WS, T0)); });
    const { variants } = unwrap(await new ManageCatalog({ ...repos, clock, ids }).createProduct({ workspaceId: WS, sku: 'TEE', name: 'Tee', priceMinor: 1000, currency: 'EUR', initialStock: 5, actor: { kind: 'system' } }));
    const draft = new DraftOrder({ ...repos, clock, ids });
    const hold = (minutes: number) => draft.execute({ workspaceId: WS, source: 'chat', lines: [{ variantId: variants[0]!.id, quantity: 1 }], holdStock: true, holdMinutes: minutes, actor: { kind: 'assistant' } });
    unwrap(await hold(10));
    unwrap(await hold(10));
    const late = unwrap(await hold(60));
    const handler = stockHoldsHandler(() => new ReleaseExpiredHolds({ ...repos, clock, ids }), pino({ level: 'silent' }));
    const reserved = async () => (await repos.stock.get(WS, variants[0]!.id))!.reserved;

    await handler(job({}));
    expect(await reserved()).toBe(3);
    clock.advance(10 * 60_000);
    await handler(job({}));
    expect(await reserved()).toBe(1);
    await handler(job({}));
    expect(await reserved()).toBe(1);
    await handler(job({ workspaceId: WS, orderId: late.id }));
    expect(await reserved()).toBe(1);
    clock.advance(50 * 60_000);
    await handler(job({ workspaceId: WS, orderId: late.id }));
    expect(await reserved()).toBe(0);
    await handler(job({ workspaceId: WS, orderId: '00000000-0000-7000-8000-00000000ffff' }));
    await expect(handler(job({ workspaceId: 'nope', orderId: 3 }))).rejects.toBeInstanceOf(PermanentJobError);
  });
});
