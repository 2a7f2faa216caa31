import { describe, expect, it } from 'vitest';
import { Ids, ManageTeam, retentionDays, isExpired, validateRetentionOverrides, StockLevel, type RetentionOverrides } from '../src/index.js';
import { createInMemoryRepositories, FakeClock } from '../in-memory/index.js';
import { make, uuid } from '../testing/index.js';

// Regressions for sharp edges found in review; each failed before its fix.
describe('review fixes', () => {
  it('ManageTeam refuses actors without team.manage, even on their own membership', async () => {
    const repos = createInMemoryRepositories();
    const clock = new FakeClock();
    const ws = Ids.workspace(uuid(1));
    const own = make.membership(uuid(2), ws, uuid(3), 'analyst', clock.now());
    await repos.uow.run(async () => {
      await repos.workspaces.save(make.workspace(ws, clock.now()));
      await repos.memberships.save(make.membership(uuid(4), ws, uuid(5), 'owner', clock.now()));
      await repos.memberships.save(own);
    });
    const team = new ManageTeam({ ...repos, clock });
    const promoted = await team.changeRole({ workspaceId: ws, actorRole: 'analyst', membershipId: own.id, role: 'admin' });
    expect(promoted.ok ? 'ok' : promoted.error.kind).toBe('Forbidden');
    const removed = await team.remove({ workspaceId: ws, actorRole: 'agent', membershipId: own.id });
    expect(removed.ok ? 'ok' : removed.error.kind).toBe('Forbidden');
    expect((await repos.memberships.get(ws, own.id))?.role).toBe('analyst');
  });

  it('ignores invalid retention overrides instead of keeping data forever or deleting it at once', () => {
    for (const days of [0, -3, Number.NaN, 1.5, 31]) {
      expect(retentionDays('messages', { messages: days })).toBe(30);
    }
    const anchor = new Date('2026-01-01T00:00:00Z');
    expect(isExpired('messages', anchor, new Date('2026-01-31T00:00:00Z'), { messages: Number.NaN })).toBe(true);
    expect(retentionDays('messages', { messages: 7 })).toBe(7);
  });

  it('reports an unknown data class as an error instead of throwing', () => {
    const r = validateRetentionOverrides({ foo: 5 } as unknown as RetentionOverrides);
    expect(r).toEqual({ ok: false, error: { kind: 'UnknownDataClass', dataClass: 'foo' } });
  });

  it('reports an on-hand overflow as InvalidQuantity, not as a reservation conflict', () => {
    const level = StockLevel.empty(Ids.variant(uuid(9)), Ids.workspace(uuid(1)), new Date());
    expect(level.adjust({ delta: 1, reason: null, actor: { kind: 'system' }, at: new Date() }).ok).toBe(true);
    const r = level.adjust({ delta: Number.MAX_SAFE_INTEGER, reason: null, actor: { kind: 'system' }, at: new Date() });
    expect(r.ok ? 'ok' : r.error.kind).toBe('InvalidQuantity');
    expect(level.onHand).toBe(1);
  });

  it('refuses notes on an anonymised order, so free text cannot come back', () => {
    const o = make.order(uuid(10), Ids.workspace(uuid(1)), [{ variantId: Ids.variant(uuid(9)), sku: 'A', priceMinor: 100, quantity: 1 }], new Date());
    o.anonymize(new Date());
    expect(o.addNote('call Ana at home', new Date())).toEqual({ ok: false, error: { kind: 'OrderAnonymized' } });
    expect(o.notes).toBeNull();
  });
});
