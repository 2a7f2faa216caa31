import { describe, expect, it } from 'vitest';
import { DraftOrder, ManageCatalog, RegisterAccount, TransitionOrder } from '../src/index.js';
import { createInMemoryRepositories, FakeClock, InsecureTestPasswordHasher, SequentialIds } from '../in-memory/index.js';

// The embedding example of packages/domain/README.md, kept runnable so the documented API cannot drift.
describe('README embedding example', () => {
  it('registers, builds a catalog, drafts and confirms an order on in-memory adapters', async () => {
    const repos = createInMemoryRepositories();
    const clock = new FakeClock('2026-03-01T10:00:00Z');
    const ids = new SequentialIds();
    const isKnownTimezone = (tz: string) => Intl.supportedValuesOf('timeZone').includes(tz) || tz === 'UTC';

    const register = new RegisterAccount({ ...repos, hasher: new InsecureTestPasswordHasher(), clock, ids, workspaceOptions: { isKnownTimezone } });
    const account = await register.execute({ name: 'Ana', email: 'ana@example.com', password: 'a long passphrase' });
    if (!account.ok) throw new Error(account.error.kind);
    const ws = account.value.workspace.id;

    const catalog = new ManageCatalog({ ...repos, clock, ids });
    const tee = await catalog.createProduct({ workspaceId: ws, sku: 'TEE', name: 'T-shirt', priceMinor: 1999, currency: 'EUR', initialStock: 5, actor: { kind: 'system' } });
    if (!tee.ok) throw new Error(tee.error.kind);
    const variantId = tee.value.variants[0]!.id;

    const order = await new DraftOrder({ ...repos, clock, ids }).execute({ workspaceId: ws, source: 'api', lines: [{ variantId, quantity: 2 }], actor: { kind: 'api' } });
    if (!order.ok) throw new Error(order.error.kind);
    const confirmed = await new TransitionOrder({ ...repos, clock, ids }).execute({ workspaceId: ws, orderId: order.value.id, to: 'confirmed', actor: { kind: 'api' } });

    expect(confirmed.ok).toBe(true);
    const level = await repos.stock.get(ws, variantId);
    expect({ onHand: level?.onHand, reserved: level?.reserved }).toEqual({ onHand: 5, reserved: 2 });
    expect((await repos.stock.listMovements(ws, variantId)).map((m) => m.kind)).toEqual(['adjustment', 'reservation']);
  });
});
