import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DraftOrder, Ids, MIN_PASSWORD_LENGTH, ManageCatalog, ManageTeam, Membership, ORDER_TRANSITIONS, QueueOutboundMessage, ReceiveInboundMessage, RegisterAccount,
  STANDARD_WINDOW_MS, TransitionOrder, levelFromLedger, localDay,
  type EntryPoint, type OrderActor, type OrderStatus, type OutboundAuthor, type Role, type VariantId, type WorkspaceId,
} from '../src/index.js';
import { FakeClock, InsecureTestPasswordHasher, RecordingJobQueue, SequentialIds, createInMemoryRepositories } from '../in-memory/index.js';
import { knownTimezones, make, unwrap, uuid } from '../testing/index.js';

const START = '2026-03-01T12:00:00.000Z';
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const STANDARD_MS = STANDARD_WINDOW_MS;
const IG_USER = '17841455500112233';
const OWNER_ACTOR: OrderActor = { kind: 'user', id: 'owner-1' };

function harness(start = START) {
  const repos = createInMemoryRepositories();
  const clock = new FakeClock(start);
  const ids = new SequentialIds();
  const jobs = new RecordingJobQueue();
  const hasher = new InsecureTestPasswordHasher();
  const deps = { ...repos, clock, ids };
  return {
    repos, db: repos.db, clock, ids, jobs, hasher,
    register: new RegisterAccount({ ...deps, hasher, workspaceOptions: knownTimezones }),
    team: new ManageTeam(deps),
    catalog: new ManageCatalog(deps),
    draft: new DraftOrder(deps),
    transition: new TransitionOrder(deps),
    receive: new ReceiveInboundMessage(deps),
    queue: new QueueOutboundMessage({ ...deps, jobs }),
  };
}
type Harness = ReturnType<typeof harness>;

async function signUp(h: Harness, extra: { timezone?: string; email?: string } = {}) {
  return unwrap(await h.register.execute({ name: 'Ana', email: extra.email ?? 'ana@example.com', password: 'a long passphrase', timezone: extra.timezone }));
}

async function product(h: Harness, ws: WorkspaceId, sku: string, priceMinor: number, initialStock: number): Promise<VariantId> {
  const r = unwrap(await h.catalog.createProduct({ workspaceId: ws, sku, name: `Product ${sku}`, priceMinor, currency: 'EUR', initialStock, actor: { kind: 'system' } }));
  return r.variants[0]!.id;
}

async function level(h: Harness, ws: WorkspaceId, v: VariantId) {
  const l = (await h.repos.stock.get(ws, v))!;
  return { onHand: l.onHand, reserved: l.reserved };
}

async function movementKinds(h: Harness, ws: WorkspaceId, v: VariantId) {
  return (await h.repos.stock.listMovements(ws, v)).map((m) => m.kind);
}

function counts(h: Harness, ...tables: string[]) {
  return Object.fromEntries(tables.map((t) => [t, h.db.count(t)]));
}

// ------------------------------------------------------------------------------------------------

describe('RegisterAccount', () => {
  it('creates the user, the workspace and the owner membership', async () => {
    const h = harness();
    const r = unwrap(await h.register.execute({ name: '  Ana  ', email: '  Ana@Example.COM ', password: 'a long passphrase', timezone: 'Europe/Madrid', currency: 'MXN' }));
    expect(r.user.email).toBe('ana@example.com');
    expect(r.user.name).toBe('Ana');
    expect(r.workspace.name).toBe("Ana's shop");
    expect(r.workspace.timezone).toBe('Europe/Madrid');
    expect(r.workspace.defaultCurrency).toBe('MXN');
    expect(r.membership).toMatchObject({ workspaceId: r.workspace.id, userId: r.user.id, role: 'owner' });

    const stored = (await h.repos.users.findByEmail('ana@example.com'))!;
    expect(stored.id).toBe(r.user.id);
    expect(stored.passwordHash).not.toContain('a long passphrase');
    expect(await h.hasher.verify('a long passphrase', stored.passwordHash)).toBe(true);
    expect((await h.repos.workspaces.get(r.workspace.id))?.name).toBe("Ana's shop");
    expect((await h.repos.memberships.find(r.workspace.id, r.user.id))?.role).toBe('owner');
    expect(counts(h, 'users', 'workspaces', 'memberships')).toEqual({ users: 1, workspaces: 1, memberships: 1 });
  });

  it('refuses a second registration with the same email in another case, storing nothing more', async () => {
    const h = harness();
    await signUp(h);
    for (const email of ['ANA@example.com', ' ana@EXAMPLE.com', 'ana@example.com']) {
      expect(await h.register.execute({ name: 'Other', email, password: 'another long one' })).toEqual({ ok: false, error: { kind: 'EmailTaken' } });
    }
    expect(counts(h, 'users', 'workspaces', 'memberships')).toEqual({ users: 1, workspaces: 1, memberships: 1 });
  });

  it('refuses a password shorter than the minimum and accepts one of exactly the minimum', async () => {
    const h = harness();
    expect(MIN_PASSWORD_LENGTH).toBe(10);
    expect(await h.register.execute({ name: 'Ana', email: 'ana@example.com', password: 'x'.repeat(MIN_PASSWORD_LENGTH - 1) })).toEqual({ ok: false, error: { kind: 'WeakPassword', minLength: MIN_PASSWORD_LENGTH } });
    expect(counts(h, 'users', 'workspaces', 'memberships')).toEqual({ users: 0, workspaces: 0, memberships: 0 });
    expect((await h.register.execute({ name: 'Ana', email: 'ana@example.com', password: 'x'.repeat(MIN_PASSWORD_LENGTH) })).ok).toBe(true);
  });

  it.each(['not-an-email', 'ana@example', 'ana @example.com', '@example.com', 'ana@', '', 'a@b@c.de'])('refuses the invalid email %j and stores nothing', async (email) => {
    const h = harness();
    const r = await h.register.execute({ name: 'Ana', email, password: 'a long passphrase' });
    expect(r).toMatchObject({ ok: false, error: { kind: 'InvalidEmail' } });
    expect(counts(h, 'users', 'workspaces', 'memberships')).toEqual({ users: 0, workspaces: 0, memberships: 0 });
  });

  it('stores nothing when the workspace is invalid (unknown timezone, bad currency, blank name)', async () => {
    const h = harness();
    expect(await h.register.execute({ name: 'Ana', email: 'ana@example.com', password: 'a long passphrase', timezone: 'Mars/Olympus' })).toEqual({ ok: false, error: { kind: 'InvalidTimezone', timezone: 'Mars/Olympus' } });
    expect(await h.register.execute({ name: 'Ana', email: 'ana@example.com', password: 'a long passphrase', currency: 'euro' })).toEqual({ ok: false, error: { kind: 'InvalidCurrency', currency: 'euro' } });
    expect(await h.register.execute({ name: '   ', email: 'ana@example.com', password: 'a long passphrase' })).toEqual({ ok: false, error: { kind: 'InvalidName' } });
    expect(counts(h, 'users', 'workspaces', 'memberships')).toEqual({ users: 0, workspaces: 0, memberships: 0 });
    // The failed attempts did not reserve the email.
    expect((await h.register.execute({ name: 'Ana', email: 'ana@example.com', password: 'a long passphrase' })).ok).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------------

describe('ManageTeam', () => {
  async function team(h: Harness, roles: Role[]) {
    const { workspace, membership } = await signUp(h);
    const members: Membership[] = [membership];
    await h.repos.uow.run(async () => {
      for (const [i, role] of roles.entries()) {
        h.clock.advance(1000);
        const m = Membership.create({ id: Ids.membership(uuid(500 + i)), workspaceId: workspace.id, userId: Ids.user(uuid(600 + i)), role, now: h.clock.now() });
        await h.repos.memberships.save(m);
        members.push(m);
      }
    });
    return { ws: workspace.id, owner: membership, members };
  }
  const roleOf = async (h: Harness, ws: WorkspaceId, m: Membership) => (await h.repos.memberships.get(ws, m.id))?.role ?? null;

  it('never demotes or removes the last owner', async () => {
    const h = harness();
    const { ws, owner } = await team(h, ['admin', 'agent']);
    for (const role of ['admin', 'agent', 'analyst'] as const) {
      expect(await h.team.changeRole({ workspaceId: ws, actorRole: 'owner', membershipId: owner.id, role })).toEqual({ ok: false, error: { kind: 'LastOwner' } });
    }
    expect(await h.team.remove({ workspaceId: ws, actorRole: 'owner', membershipId: owner.id })).toEqual({ ok: false, error: { kind: 'LastOwner' } });
    expect(await roleOf(h, ws, owner)).toBe('owner');
  });

  it('lets an owner demote one of two owners, then protects the remaining one', async () => {
    const h = harness();
    const { ws, owner, members } = await team(h, ['owner']);
    const second = members[1]!;
    const r = await h.team.changeRole({ workspaceId: ws, actorRole: 'owner', membershipId: owner.id, role: 'admin' });
    expect(r.ok).toBe(true);
    expect(await roleOf(h, ws, owner)).toBe('admin');
    expect(await h.team.changeRole({ workspaceId: ws, actorRole: 'owner', membershipId: second.id, role: 'agent' })).toEqual({ ok: false, error: { kind: 'LastOwner' } });
    expect(await h.team.remove({ workspaceId: ws, actorRole: 'owner', membershipId: second.id })).toEqual({ ok: false, error: { kind: 'LastOwner' } });
    expect(await roleOf(h, ws, second)).toBe('owner');
  });

  it('does not let an admin demote or remove an owner, nor grant the owner role', async () => {
    const h = harness();
    const { ws, owner, members } = await team(h, ['owner', 'admin', 'agent']);
    const [, second, admin, agent] = members;
    for (const target of [owner, second!]) {
      expect(await h.team.changeRole({ workspaceId: ws, actorRole: 'admin', membershipId: target.id, role: 'agent' })).toMatchObject({ ok: false, error: { kind: 'Forbidden' } });
      expect(await h.team.remove({ workspaceId: ws, actorRole: 'admin', membershipId: target.id })).toMatchObject({ ok: false, error: { kind: 'Forbidden' } });
      expect(await roleOf(h, ws, target)).toBe('owner');
    }
    for (const target of [admin!, agent!]) {
      expect(await h.team.changeRole({ workspaceId: ws, actorRole: 'admin', membershipId: target.id, role: 'owner' })).toMatchObject({ ok: false, error: { kind: 'Forbidden' } });
    }
    expect(await roleOf(h, ws, admin!)).toBe('admin');
    expect(await roleOf(h, ws, agent!)).toBe('agent');
  });

  it('persists a role change and a removal', async () => {
    const h = harness();
    const { ws, members } = await team(h, ['agent', 'analyst']);
    const [, agent, analyst] = members;
    h.clock.advance(DAY);
    const changed = unwrap(await h.team.changeRole({ workspaceId: ws, actorRole: 'admin', membershipId: agent!.id, role: 'admin' }));
    expect(changed.role).toBe('admin');
    const stored = (await h.repos.memberships.get(ws, agent!.id))!;
    expect(stored.role).toBe('admin');
    expect(stored.updatedAt).toEqual(h.clock.now());
    unwrap(await h.team.remove({ workspaceId: ws, actorRole: 'admin', membershipId: analyst!.id }));
    expect(await h.repos.memberships.get(ws, analyst!.id)).toBeNull();
    expect((await h.repos.memberships.listByWorkspace(ws)).map((m) => m.role).sort()).toEqual(['admin', 'owner']);
  });

  it('does not find a membership of another workspace', async () => {
    const h = harness();
    const { owner } = await team(h, []);
    const other = Ids.workspace(uuid(999, 'bbbbbbbb'));
    expect(await h.team.changeRole({ workspaceId: other, actorRole: 'owner', membershipId: owner.id, role: 'agent' })).toMatchObject({ ok: false, error: { kind: 'NotFound' } });
    expect(await h.team.remove({ workspaceId: other, actorRole: 'owner', membershipId: owner.id })).toMatchObject({ ok: false, error: { kind: 'NotFound' } });
  });
});

// ------------------------------------------------------------------------------------------------

describe('ManageCatalog', () => {
  it('creates a product with its default variant, a stock level and an initial-stock movement', async () => {
    const h = harness();
    const ws = (await signUp(h)).workspace.id;
    const r = unwrap(await h.catalog.createProduct({ workspaceId: ws, sku: ' TEE ', name: 'T-shirt', priceMinor: 1999, currency: 'EUR', initialStock: 7, lowStockThreshold: 2, actor: { kind: 'user', id: 'u1' } }));
    expect(r.product.sku).toBe('TEE');
    expect(r.variants).toHaveLength(1);
    const v = r.variants[0]!;
    expect({ sku: v.sku, title: v.title, price: v.price.toJSON(), productId: v.productId, threshold: v.lowStockThreshold }).toEqual({ sku: 'TEE', title: 'Default', price: { amountMinor: 1999, currency: 'EUR' }, productId: r.product.id, threshold: 2 });
    expect(await level(h, ws, v.id)).toEqual({ onHand: 7, reserved: 0 });
    const movements = await h.repos.stock.listMovements(ws, v.id);
    expect(movements).toHaveLength(1);
    expect(movements[0]).toMatchObject({ kind: 'adjustment', onHandDelta: 7, reservedDelta: 0, reason: 'initial stock', actor: { kind: 'user', id: 'u1' }, variantId: v.id, workspaceId: ws });
    expect((await h.catalog.getProduct(ws, r.product.id)).ok).toBe(true);
  });

  it('creates no movement for zero initial stock, and one level per explicit variant', async () => {
    const h = harness();
    const ws = (await signUp(h)).workspace.id;
    const zero = unwrap(await h.catalog.createProduct({ workspaceId: ws, sku: 'MUG', name: 'Mug', priceMinor: 900, currency: 'EUR', actor: { kind: 'system' } }));
    expect(await level(h, ws, zero.variants[0]!.id)).toEqual({ onHand: 0, reserved: 0 });
    expect(await h.repos.stock.listMovements(ws, zero.variants[0]!.id)).toEqual([]);
    const multi = unwrap(await h.catalog.createProduct({
      workspaceId: ws, sku: 'TEE', name: 'T-shirt', priceMinor: 1999, currency: 'EUR', actor: { kind: 'system' },
      variants: [{ sku: 'TEE-S', title: 'S', initialStock: 3 }, { sku: 'TEE-M', title: 'M', priceMinor: 2199, initialStock: 0 }],
    }));
    expect(multi.variants.map((v) => [v.sku, v.title, v.price.amountMinor])).toEqual([['TEE-S', 'S', 1999], ['TEE-M', 'M', 2199]]);
    expect(await level(h, ws, multi.variants[0]!.id)).toEqual({ onHand: 3, reserved: 0 });
    expect(await level(h, ws, multi.variants[1]!.id)).toEqual({ onHand: 0, reserved: 0 });
    expect(await movementKinds(h, ws, multi.variants[0]!.id)).toEqual(['adjustment']);
    expect(await movementKinds(h, ws, multi.variants[1]!.id)).toEqual([]);
  });

  it('refuses a duplicate SKU across products and variants and within one command, storing nothing', async () => {
    const h = harness();
    const ws = (await signUp(h)).workspace.id;
    unwrap(await h.catalog.createProduct({ workspaceId: ws, sku: 'TEE', name: 'T-shirt', priceMinor: 1999, currency: 'EUR', actor: { kind: 'system' }, variants: [{ sku: 'TEE-S', title: 'S', initialStock: 2 }] }));
    const before = counts(h, 'products', 'variants', 'stock_levels', 'stock_movements');
    const attempts = [
      { sku: 'TEE', variants: undefined }, // same product SKU
      { sku: 'TEE-S', variants: undefined }, // default variant would reuse an existing variant SKU
      { sku: 'HAT', variants: [{ sku: 'HAT-1', title: '1' }, { sku: 'TEE-S', title: 'clash' }] }, // second variant clashes with another product
      { sku: 'CAP', variants: [{ sku: 'CAP-1', title: 'a' }, { sku: 'CAP-1', title: 'b' }] }, // duplicate inside the command
    ];
    for (const a of attempts) {
      const r = await h.catalog.createProduct({ workspaceId: ws, sku: a.sku, name: 'X', priceMinor: 100, currency: 'EUR', initialStock: 4, actor: { kind: 'system' }, variants: a.variants });
      expect(r).toMatchObject({ ok: false, error: { kind: 'DuplicateSku' } });
    }
    expect(counts(h, 'products', 'variants', 'stock_levels', 'stock_movements')).toEqual(before);
    // The same SKU in another workspace is fine.
    const other = (await signUp(h, { email: 'bea@example.com' })).workspace.id;
    expect((await h.catalog.createProduct({ workspaceId: other, sku: 'TEE-S', name: 'X', priceMinor: 100, currency: 'EUR', actor: { kind: 'system' } })).ok).toBe(true);
  });

  it('refuses to adjust stock below what is reserved, and records accepted adjustments', async () => {
    const h = harness();
    const ws = (await signUp(h)).workspace.id;
    const v = await product(h, ws, 'TEE', 1999, 5);
    const order = unwrap(await h.draft.execute({ workspaceId: ws, source: 'dashboard', lines: [{ variantId: v, quantity: 3 }], actor: OWNER_ACTOR }));
    unwrap(await h.transition.execute({ workspaceId: ws, orderId: order.id, to: 'confirmed', actor: OWNER_ACTOR }));
    expect(await level(h, ws, v)).toEqual({ onHand: 5, reserved: 3 });

    expect(await h.catalog.adjustStock({ workspaceId: ws, variantId: v, delta: -3, reason: 'damaged', actor: { kind: 'user', id: 'u1' } })).toMatchObject({ ok: false, error: { kind: 'AdjustmentBelowReserved', onHand: 2, reserved: 3 } });
    expect(await h.catalog.adjustStock({ workspaceId: ws, variantId: v, setOnHand: 2, reason: 'count', actor: { kind: 'user', id: 'u1' } })).toMatchObject({ ok: false, error: { kind: 'AdjustmentBelowReserved' } });
    expect(await h.catalog.adjustStock({ workspaceId: ws, variantId: v, setOnHand: -1, reason: 'count', actor: { kind: 'user', id: 'u1' } })).toMatchObject({ ok: false, error: { kind: 'InvalidQuantity' } });
    expect(await level(h, ws, v)).toEqual({ onHand: 5, reserved: 3 });
    expect(await movementKinds(h, ws, v)).toEqual(['adjustment', 'reservation']);

    unwrap(await h.catalog.adjustStock({ workspaceId: ws, variantId: v, delta: -2, reason: 'damaged', actor: { kind: 'user', id: 'u1' } }));
    unwrap(await h.catalog.adjustStock({ workspaceId: ws, variantId: v, setOnHand: 10, reason: 'count', actor: { kind: 'user', id: 'u1' } }));
    expect(await level(h, ws, v)).toEqual({ onHand: 10, reserved: 3 });
    expect(levelFromLedger(await h.repos.stock.listMovements(ws, v))).toEqual({ onHand: 10, reserved: 3 });
    expect(await h.catalog.adjustStock({ workspaceId: ws, variantId: Ids.variant(uuid(12345)), delta: 1, reason: null, actor: { kind: 'system' } })).toMatchObject({ ok: false, error: { kind: 'NotFound' } });
  });
});

// ------------------------------------------------------------------------------------------------

describe('DraftOrder and TransitionOrder', () => {
  async function shop(h: Harness, timezone?: string) {
    const ws = (await signUp(h, { timezone })).workspace.id;
    const a = await product(h, ws, 'TEE', 1999, 5);
    const b = await product(h, ws, 'MUG', 900, 1);
    return { ws, a, b };
  }
  const move = (h: Harness, ws: WorkspaceId, orderId: ReturnType<typeof Ids.order>, to: OrderStatus) => h.transition.execute({ workspaceId: ws, orderId, to, actor: OWNER_ACTOR });

  it('drafts with price snapshots and exact totals, reserving nothing', async () => {
    const h = harness();
    const { ws, a, b } = await shop(h);
    const order = unwrap(await h.draft.execute({ workspaceId: ws, source: 'chat', lines: [{ variantId: a, quantity: 2 }, { variantId: b, quantity: 1 }], shippingMinor: 490, discountMinor: 100, actor: { kind: 'assistant' } }));
    expect(order.status).toBe('draft');
    expect(order.lines.map((l) => [l.sku, l.unitPrice.amountMinor, l.quantity, l.lineTotal.amountMinor])).toEqual([['TEE', 1999, 2, 3998], ['MUG', 900, 1, 900]]);
    expect(order.total.amountMinor).toBe(3998 + 900 + 490 - 100);
    expect((await h.repos.orders.get(ws, order.id))?.total.amountMinor).toBe(5288);
    expect(await level(h, ws, a)).toEqual({ onHand: 5, reserved: 0 });
    expect(await h.draft.execute({ workspaceId: ws, source: 'chat', lines: [{ variantId: Ids.variant(uuid(4242)), quantity: 1 }], actor: { kind: 'assistant' } })).toMatchObject({ ok: false, error: { kind: 'NotFound' } });
    expect(await h.draft.execute({ workspaceId: ws, source: 'chat', lines: [{ variantId: a, quantity: 0 }], actor: { kind: 'assistant' } })).toMatchObject({ ok: false, error: { kind: 'InvalidQuantity' } });
  });

  it('confirms atomically: when the 2nd line lacks stock, the 1st line is not reserved and the order stays draft', async () => {
    const h = harness();
    const { ws, a, b } = await shop(h);
    const order = unwrap(await h.draft.execute({ workspaceId: ws, source: 'dashboard', lines: [{ variantId: a, quantity: 2 }, { variantId: b, quantity: 2 }], actor: OWNER_ACTOR }));
    const r = await move(h, ws, order.id, 'confirmed');
    expect(r).toMatchObject({ ok: false, error: { kind: 'InsufficientStock', variantId: b, requested: 2, available: 1 } });
    expect(await level(h, ws, a)).toEqual({ onHand: 5, reserved: 0 });
    expect(await level(h, ws, b)).toEqual({ onHand: 1, reserved: 0 });
    expect(await movementKinds(h, ws, a)).toEqual(['adjustment']);
    expect(await movementKinds(h, ws, b)).toEqual(['adjustment']);
    const stored = (await h.repos.orders.get(ws, order.id))!;
    expect(stored.status).toBe('draft');
    expect(stored.history.map((x) => x.to)).toEqual(['draft']);
    expect(h.db.count('daily_metrics')).toBe(0);
  });

  it('reserves every line on confirm; cancelling from confirmed releases', async () => {
    const h = harness();
    const { ws, a, b } = await shop(h);
    const order = unwrap(await h.draft.execute({ workspaceId: ws, source: 'dashboard', lines: [{ variantId: a, quantity: 2 }, { variantId: b, quantity: 1 }], actor: OWNER_ACTOR }));
    unwrap(await move(h, ws, order.id, 'confirmed'));
    expect(await level(h, ws, a)).toEqual({ onHand: 5, reserved: 2 });
    expect(await level(h, ws, b)).toEqual({ onHand: 1, reserved: 1 });
    unwrap(await move(h, ws, order.id, 'cancelled'));
    expect(await level(h, ws, a)).toEqual({ onHand: 5, reserved: 0 });
    expect(await level(h, ws, b)).toEqual({ onHand: 1, reserved: 0 });
    expect(await movementKinds(h, ws, a)).toEqual(['adjustment', 'reservation', 'release']);
    const movements = await h.repos.stock.listMovements(ws, a);
    expect(movements[1]).toMatchObject({ orderId: order.id, actor: { kind: 'user', id: 'owner-1' }, reservedDelta: 2 });
    const stored = (await h.repos.orders.get(ws, order.id))!;
    expect(stored.status).toBe('cancelled');
    expect(stored.completedAt).toEqual(h.clock.now());
  });

  it('cancelling or refunding a paid order releases its reservation', async () => {
    for (const to of ['cancelled', 'refunded'] as const) {
      const h = harness();
      const { ws, a } = await shop(h);
      const order = unwrap(await h.draft.execute({ workspaceId: ws, source: 'dashboard', lines: [{ variantId: a, quantity: 3 }], actor: OWNER_ACTOR }));
      for (const s of ['confirmed', 'paid', to] as const) unwrap(await move(h, ws, order.id, s));
      expect(await level(h, ws, a)).toEqual({ onHand: 5, reserved: 0 });
      expect(await movementKinds(h, ws, a)).toEqual(['adjustment', 'reservation', 'release']);
    }
  });

  it('lets only one of two racing confirmations take the last unit', async () => {
    const h = harness();
    const { ws, b } = await shop(h); // b has exactly 1 on hand
    const o1 = unwrap(await h.draft.execute({ workspaceId: ws, source: 'chat', lines: [{ variantId: b, quantity: 1 }], actor: { kind: 'assistant' } }));
    const o2 = unwrap(await h.draft.execute({ workspaceId: ws, source: 'chat', lines: [{ variantId: b, quantity: 1 }], actor: { kind: 'assistant' } }));
    const results = await Promise.all([move(h, ws, o1.id, 'confirmed'), move(h, ws, o2.id, 'confirmed')]);
    expect(results.map((r) => r.ok).sort()).toEqual([false, true]);
    expect(results.find((r) => !r.ok)).toMatchObject({ ok: false, error: { kind: 'InsufficientStock', available: 0 } });
    expect(await level(h, ws, b)).toEqual({ onHand: 1, reserved: 1 });
    const statuses = [(await h.repos.orders.get(ws, o1.id))!.status, (await h.repos.orders.get(ws, o2.id))!.status].sort();
    expect(statuses).toEqual(['confirmed', 'draft']);
  });

  it('cancelling a draft touches no stock', async () => {
    const h = harness();
    const { ws, a } = await shop(h);
    const order = unwrap(await h.draft.execute({ workspaceId: ws, source: 'dashboard', lines: [{ variantId: a, quantity: 3 }], actor: OWNER_ACTOR }));
    unwrap(await move(h, ws, order.id, 'cancelled'));
    expect(await level(h, ws, a)).toEqual({ onHand: 5, reserved: 0 });
    expect(await movementKinds(h, ws, a)).toEqual(['adjustment']);
  });

  it('shipping consumes; delivering then refunding does not restock', async () => {
    const h = harness();
    const { ws, a } = await shop(h);
    const order = unwrap(await h.draft.execute({ workspaceId: ws, source: 'dashboard', lines: [{ variantId: a, quantity: 2 }], actor: OWNER_ACTOR }));
    unwrap(await move(h, ws, order.id, 'confirmed'));
    unwrap(await move(h, ws, order.id, 'paid'));
    unwrap(await move(h, ws, order.id, 'shipped'));
    expect(await level(h, ws, a)).toEqual({ onHand: 3, reserved: 0 });
    unwrap(await move(h, ws, order.id, 'delivered'));
    unwrap(await move(h, ws, order.id, 'refunded'));
    expect(await level(h, ws, a)).toEqual({ onHand: 3, reserved: 0 });
    expect(await movementKinds(h, ws, a)).toEqual(['adjustment', 'reservation', 'shipment']);
    expect((await h.repos.orders.get(ws, order.id))!.history.map((x) => x.to)).toEqual(['draft', 'confirmed', 'paid', 'shipped', 'delivered', 'refunded']);
  });

  it('returns IllegalTransition with the allowed list and changes nothing', async () => {
    const h = harness();
    const { ws, a } = await shop(h);
    const order = unwrap(await h.draft.execute({ workspaceId: ws, source: 'dashboard', lines: [{ variantId: a, quantity: 1 }], actor: OWNER_ACTOR }));
    expect(await move(h, ws, order.id, 'shipped')).toEqual({ ok: false, error: { kind: 'IllegalTransition', from: 'draft', to: 'shipped', allowed: ['confirmed', 'cancelled'] } });
    unwrap(await move(h, ws, order.id, 'confirmed'));
    expect(await move(h, ws, order.id, 'delivered')).toEqual({ ok: false, error: { kind: 'IllegalTransition', from: 'confirmed', to: 'delivered', allowed: ['paid', 'cancelled'] } });
    expect(await move(h, ws, order.id, 'confirmed')).toMatchObject({ ok: false, error: { kind: 'IllegalTransition' } });
    expect((await h.repos.orders.get(ws, order.id))!.status).toBe('confirmed');
    expect(await level(h, ws, a)).toEqual({ onHand: 5, reserved: 1 });
    expect(await h.transition.execute({ workspaceId: ws, orderId: Ids.order(uuid(777)), to: 'confirmed', actor: OWNER_ACTOR })).toMatchObject({ ok: false, error: { kind: 'NotFound' } });
  });

  it('writes daily metrics for confirmed orders on the workspace-local day', async () => {
    const h = harness();
    // 12:00 UTC on 1 March is already 2 March in Kiribati (UTC+14).
    const { ws, a, b } = await shop(h, 'Pacific/Kiritimati');
    const day = localDay(h.clock.now(), 'Pacific/Kiritimati');
    expect(day).toBe('2026-03-02');
    const o1 = unwrap(await h.draft.execute({ workspaceId: ws, source: 'dashboard', lines: [{ variantId: a, quantity: 2 }, { variantId: b, quantity: 1 }], shippingMinor: 300, actor: OWNER_ACTOR }));
    const o2 = unwrap(await h.draft.execute({ workspaceId: ws, source: 'dashboard', lines: [{ variantId: a, quantity: 1 }], discountMinor: 99, actor: OWNER_ACTOR }));
    const o3 = unwrap(await h.draft.execute({ workspaceId: ws, source: 'api', lines: [{ variantId: a, quantity: 1 }], actor: OWNER_ACTOR }));
    unwrap(await move(h, ws, o1.id, 'confirmed'));
    unwrap(await move(h, ws, o2.id, 'confirmed'));
    unwrap(await move(h, ws, o3.id, 'cancelled'));

    const confirmed = await h.repos.metrics.query(ws, { metric: 'orders.confirmed', fromDay: day, toDay: day });
    expect(confirmed).toEqual([{ workspaceId: ws, day, metric: 'orders.confirmed', dimension: 'currency=EUR;entry=none;source=dashboard', count: 2, sum: o1.total.amountMinor + o2.total.amountMinor }]);
    expect(o1.total.amountMinor + o2.total.amountMinor).toBe(3998 + 900 + 300 + 1999 - 99);
    expect(await h.repos.metrics.query(ws, { metric: 'orders.confirmed', fromDay: '2026-03-01', toDay: '2026-03-01' })).toEqual([]);
    const units = await h.repos.metrics.query(ws, { metric: 'orders.units', fromDay: day, toDay: day });
    expect(units.map((m) => [m.count, m.sum])).toEqual([[2, 4]]);
    const cancelled = await h.repos.metrics.query(ws, { metric: 'orders.cancelled', fromDay: day, toDay: day });
    expect(cancelled.map((m) => [m.dimension, m.count, m.sum])).toEqual([['currency=EUR;source=api', 1, 1999]]);
  });

  it('attributes a chat order to the entry point of its conversation', async () => {
    const h = harness();
    const { ws, a } = await shop(h);
    await h.repos.uow.run(async () => { await h.repos.accounts.save(make.account(uuid(10), ws, IG_USER, h.clock.now())); });
    const inbound = unwrap(await h.receive.execute({ igUserId: IG_USER, senderIgsid: 'cust-1', platformMessageId: 'mid-1', text: 'I want the tee', attachments: [], replyTo: null, sentAt: h.clock.now(), entryPoint: 'ad_referral' }));
    const order = unwrap(await h.draft.execute({ workspaceId: ws, source: 'chat', lines: [{ variantId: a, quantity: 1 }], conversationId: inbound.conversation.id, contactId: inbound.contact.id, actor: { kind: 'assistant' } }));
    unwrap(await h.transition.execute({ workspaceId: ws, orderId: order.id, to: 'confirmed', actor: { kind: 'contact', id: inbound.contact.id } }));
    const day = localDay(h.clock.now(), 'UTC');
    const rows = await h.repos.metrics.query(ws, { metric: 'orders.confirmed', fromDay: day, toDay: day });
    expect(rows.map((m) => [m.dimension, m.count, m.sum])).toEqual([['currency=EUR;entry=ad_referral;source=chat', 1, 1999]]);
    // A non-user actor reserves as the system.
    expect((await h.repos.stock.listMovements(ws, a))[1]?.actor).toEqual({ kind: 'system' });
  });

  it('keeps stock equal to the orders that hold or consumed it, over random order lifecycles (model-based)', async () => {
    type Step = { kind: 'draft'; qa: number; qb: number } | { kind: 'move'; order: number; to: OrderStatus };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('draft' as const), qa: fc.integer({ min: 0, max: 3 }), qb: fc.integer({ min: 0, max: 2 }) }),
      { arbitrary: fc.record({ kind: fc.constant('move' as const), order: fc.nat({ max: 5 }), to: fc.constantFrom<OrderStatus>('confirmed', 'confirmed', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded') }), weight: 3 },
    );
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
      const h = harness();
      const { ws, a, b } = await shop(h); // a: 5 on hand, b: 1 on hand
      const initial = new Map<VariantId, number>([[a, 5], [b, 1]]);
      const orders: Array<{ id: ReturnType<typeof Ids.order>; status: OrderStatus; lines: Array<[VariantId, number]>; shipped: boolean }> = [];
      const reservedBy = (v: VariantId) => orders.filter((o) => o.status === 'confirmed' || o.status === 'paid').reduce((n, o) => n + o.lines.filter(([x]) => x === v).reduce((m, [, q]) => m + q, 0), 0);
      const shippedOf = (v: VariantId) => orders.filter((o) => o.shipped).reduce((n, o) => n + o.lines.filter(([x]) => x === v).reduce((m, [, q]) => m + q, 0), 0);

      for (const s of steps) {
        h.clock.advance(60_000);
        if (s.kind === 'draft') {
          const lines: Array<[VariantId, number]> = [];
          if (s.qa > 0) lines.push([a, s.qa]);
          if (s.qb > 0) lines.push([b, s.qb]);
          const r = await h.draft.execute({ workspaceId: ws, source: 'dashboard', lines: lines.map(([variantId, quantity]) => ({ variantId, quantity })), actor: OWNER_ACTOR });
          expect(r.ok).toBe(lines.length > 0);
          if (r.ok) orders.push({ id: r.value.id, status: 'draft', lines, shipped: false });
        } else {
          const o = orders[s.order % Math.max(orders.length, 1)];
          if (!o) continue;
          const legal = ORDER_TRANSITIONS[o.status].includes(s.to);
          const enough = s.to !== 'confirmed' || o.lines.every(([v, q]) => q <= initial.get(v)! - shippedOf(v) - reservedBy(v));
          const r = await move(h, ws, o.id, s.to);
          if (!legal) expect(r).toMatchObject({ ok: false, error: { kind: 'IllegalTransition', from: o.status, to: s.to } });
          else if (!enough) expect(r).toMatchObject({ ok: false, error: { kind: 'InsufficientStock' } });
          else {
            expect(r.ok).toBe(true);
            o.status = s.to;
            if (s.to === 'shipped') o.shipped = true;
          }
          expect((await h.repos.orders.get(ws, o.id))!.status).toBe(o.status);
        }
        for (const v of [a, b]) {
          const l = await level(h, ws, v);
          expect(l).toEqual({ onHand: initial.get(v)! - shippedOf(v), reserved: reservedBy(v) });
          expect(levelFromLedger(await h.repos.stock.listMovements(ws, v))).toEqual(l);
        }
      }
    }), { numRuns: 40 });
  });
});

// ------------------------------------------------------------------------------------------------

describe('ReceiveInboundMessage', () => {
  async function connected(h: Harness) {
    const ws = (await signUp(h)).workspace.id;
    const account = make.account(uuid(10), ws, IG_USER, h.clock.now());
    await h.repos.uow.run(async () => { await h.repos.accounts.save(account); });
    return { ws, account };
  }
  const inbound = (mid: string, sentAt: Date, extra: { sender?: string; entryPoint?: EntryPoint; igUserId?: string } = {}) => ({
    igUserId: extra.igUserId ?? IG_USER, senderIgsid: extra.sender ?? '7432198865012345', platformMessageId: mid, text: `hola ${mid}`, attachments: [], replyTo: null, sentAt, entryPoint: extra.entryPoint ?? 'organic_dm',
  });

  it('creates the contact, the conversation and the message on first contact', async () => {
    const h = harness();
    const { ws, account } = await connected(h);
    const sentAt = new Date(h.clock.now().getTime() - 5000);
    const r = unwrap(await h.receive.execute(inbound('mid-1', sentAt, { entryPoint: 'story_reply' })));
    expect(r.duplicate).toBe(false);
    expect(counts(h, 'contacts', 'conversations', 'messages')).toEqual({ contacts: 1, conversations: 1, messages: 1 });
    const contact = (await h.repos.contacts.findByIgsid(account.id, '7432198865012345'))!;
    const conversation = (await h.repos.conversations.findByContact(account.id, contact.id))!;
    const message = (await h.repos.messages.findByPlatformId(account.id, 'mid-1'))!;
    expect(contact.workspaceId).toBe(ws);
    expect({ entry: conversation.entryPoint, last: conversation.lastCustomerMessageAt, unread: conversation.unreadCount, owner: conversation.owner }).toEqual({ entry: 'story_reply', last: sentAt, unread: 1, owner: 'assistant' });
    expect({ dir: message.direction, author: message.authorKind, text: message.text, state: message.deliveryState, conv: message.conversationId, contact: message.contactId, sentAt: message.sentAt })
      .toEqual({ dir: 'inbound', author: 'customer', text: 'hola mid-1', state: 'received', conv: conversation.id, contact: contact.id, sentAt });
  });

  it('stores one message when the same mid is delivered 5 times, and reports the repeats as duplicates', async () => {
    const h = harness();
    const { ws, account } = await connected(h);
    const sentAt = h.clock.now();
    const outcomes = [];
    for (let i = 0; i < 5; i++) { h.clock.advance(1000); outcomes.push(unwrap(await h.receive.execute(inbound('mid-dup', sentAt)))); }
    expect(outcomes.map((o) => o.duplicate)).toEqual([false, true, true, true, true]);
    expect(new Set(outcomes.map((o) => o.message.id)).size).toBe(1);
    expect(counts(h, 'contacts', 'conversations', 'messages')).toEqual({ contacts: 1, conversations: 1, messages: 1 });
    const contact = (await h.repos.contacts.findByIgsid(account.id, '7432198865012345'))!;
    expect((await h.repos.conversations.findByContact(account.id, contact.id))!.unreadCount).toBe(1);
    const day = localDay(sentAt, 'UTC');
    expect((await h.repos.metrics.query(ws, { metric: 'messages.inbound', fromDay: day, toDay: day })).map((m) => m.count)).toEqual([1]);
  });

  it('stores one message when the 5 deliveries race each other', async () => {
    const h = harness();
    await connected(h);
    const sentAt = h.clock.now();
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => h.receive.execute(inbound('mid-race', sentAt))));
    expect(outcomes.map((o) => unwrap(o).duplicate).filter((d) => !d)).toHaveLength(1);
    expect(counts(h, 'contacts', 'conversations', 'messages')).toEqual({ contacts: 1, conversations: 1, messages: 1 });
  });

  it('leaves lastCustomerMessageAt at the latest timestamp whatever the delivery order (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: 3 * DAY }), { minLength: 1, maxLength: 8 }), async (offsets) => {
      const h = harness();
      const { account } = await connected(h);
      const t0 = h.clock.now().getTime();
      for (const [i, off] of offsets.entries()) unwrap(await h.receive.execute(inbound(`mid-${i}`, new Date(t0 + off))));
      const latest = new Date(t0 + Math.max(...offsets));
      const contact = (await h.repos.contacts.findByIgsid(account.id, '7432198865012345'))!;
      const conversation = (await h.repos.conversations.findByContact(account.id, contact.id))!;
      expect(conversation.lastCustomerMessageAt).toEqual(latest);
      expect(conversation.lastInteractionAt).toEqual(latest);
      expect(contact.lastInteractionAt).toEqual(latest);
      expect(conversation.unreadCount).toBe(offsets.length);
      expect(h.db.count('messages')).toBe(offsets.length);
    }), { numRuns: 30 });
  });

  it('returns UnknownAccount for an account nobody connected, storing nothing', async () => {
    const h = harness();
    await connected(h);
    const r = await h.receive.execute(inbound('mid-x', h.clock.now(), { igUserId: '999' }));
    expect(r).toEqual({ ok: false, error: { kind: 'UnknownAccount', igUserId: '999' } });
    expect(counts(h, 'contacts', 'conversations', 'messages', 'daily_metrics')).toEqual({ contacts: 0, conversations: 0, messages: 0, daily_metrics: 0 });
  });

  it('counts messages.inbound per message and conversations.new once per thread', async () => {
    const h = harness();
    const { ws } = await connected(h);
    const at = h.clock.now();
    unwrap(await h.receive.execute(inbound('m1', at, { entryPoint: 'ad_referral' })));
    unwrap(await h.receive.execute(inbound('m2', new Date(at.getTime() + 1000), { entryPoint: 'ad_referral' })));
    unwrap(await h.receive.execute(inbound('m3', new Date(at.getTime() + 2000), { sender: 'other-customer', entryPoint: 'organic_dm' })));
    const day = localDay(at, 'UTC');
    const inboundRows = await h.repos.metrics.query(ws, { metric: 'messages.inbound', fromDay: day, toDay: day });
    expect(inboundRows.map((m) => [m.dimension, m.count])).toEqual([['author=customer', 3]]);
    const newRows = await h.repos.metrics.query(ws, { metric: 'conversations.new', fromDay: day, toDay: day });
    expect(newRows.map((m) => [m.dimension, m.count])).toEqual([['entry=ad_referral', 1], ['entry=organic_dm', 1]]);
  });

  it('stores but does not count messages of a contact whose processing is restricted', async () => {
    const h = harness();
    const { ws, account } = await connected(h);
    const first = unwrap(await h.receive.execute(inbound('m1', h.clock.now())));
    const contact = (await h.repos.contacts.get(ws, first.contact.id))!;
    contact.restrictProcessing(true, h.clock.now());
    await h.repos.uow.run(async () => { await h.repos.contacts.save(contact); });
    unwrap(await h.receive.execute(inbound('m2', h.clock.advance(1000))));
    expect(await h.repos.messages.findByPlatformId(account.id, 'm2')).not.toBeNull();
    const day = localDay(h.clock.now(), 'UTC');
    expect((await h.repos.metrics.query(ws, { metric: 'messages.inbound', fromDay: day, toDay: day })).map((m) => m.count)).toEqual([1]);
  });
});

// ------------------------------------------------------------------------------------------------

describe('QueueOutboundMessage', () => {
  async function thread(h: Harness) {
    const ws = (await signUp(h)).workspace.id;
    const account = make.account(uuid(10), ws, IG_USER, h.clock.now());
    await h.repos.uow.run(async () => { await h.repos.accounts.save(account); });
    const r = unwrap(await h.receive.execute({ igUserId: IG_USER, senderIgsid: 'cust-1', platformMessageId: 'mid-1', text: 'hola', attachments: [], replyTo: null, sentAt: h.clock.now(), entryPoint: 'organic_dm' }));
    return { ws, account, conversationId: r.conversation.id, lastCustomerMessageAt: h.clock.now() };
  }
  const send = (h: Harness, ws: WorkspaceId, conversationId: ReturnType<typeof Ids.conversation>, author: OutboundAuthor, text = 'Hi! It is in stock.') =>
    h.queue.execute({ workspaceId: ws, conversationId, author, text });

  it('within the window, records the message as pending and enqueues one outbound.send job', async () => {
    const h = harness();
    const { ws, conversationId } = await thread(h);
    h.clock.advance(STANDARD_MS - 1);
    const r = unwrap(await send(h, ws, conversationId, 'assistant'));
    expect(r.decision).toEqual({ outcome: 'send', tag: null });
    const stored = (await h.repos.messages.get(ws, r.message.id))!;
    expect({ dir: stored.direction, author: stored.authorKind, state: stored.deliveryState, reason: stored.holdReason, text: stored.text }).toEqual({ dir: 'outbound', author: 'assistant', state: 'pending', reason: null, text: 'Hi! It is in stock.' });
    expect(h.jobs.jobs).toEqual([{ name: 'outbound.send', data: { workspaceId: ws, messageId: r.message.id, tag: null }, orderingKey: `conversation:${conversationId}`, dedupeKey: `send:${r.message.id}` }]);
  });

  it('outside 24 h, an agent sends with the HUMAN_AGENT tag and takes the thread over', async () => {
    const h = harness();
    const { ws, conversationId } = await thread(h);
    h.clock.advance(STANDARD_MS);
    const r = unwrap(await send(h, ws, conversationId, 'agent'));
    expect(r.decision).toEqual({ outcome: 'send', tag: 'HUMAN_AGENT' });
    expect(h.jobs.jobs.map((j) => j.data)).toEqual([{ workspaceId: ws, messageId: r.message.id, tag: 'HUMAN_AGENT' }]);
    expect((await h.repos.messages.get(ws, r.message.id))!.deliveryState).toBe('pending');
    expect((await h.repos.conversations.get(ws, conversationId))!.owner).toBe('human');
  });

  it('outside 24 h, refuses the assistant: stored as refused with window_closed, no job', async () => {
    const h = harness();
    const { ws, conversationId } = await thread(h);
    h.clock.advance(STANDARD_MS);
    const r = unwrap(await send(h, ws, conversationId, 'assistant'));
    expect(r.decision).toEqual({ outcome: 'refuse', reason: 'window_closed' });
    const stored = (await h.repos.messages.get(ws, r.message.id))!;
    expect({ state: stored.deliveryState, reason: stored.holdReason }).toEqual({ state: 'refused', reason: 'window_closed' });
    expect(h.jobs.jobs).toEqual([]);
    expect((await h.repos.conversations.get(ws, conversationId))!.owner).toBe('assistant');
  });

  it('after 7 days even an agent is refused', async () => {
    const h = harness();
    const { ws, conversationId } = await thread(h);
    h.clock.advance(7 * DAY);
    const r = unwrap(await send(h, ws, conversationId, 'agent'));
    expect(r.decision).toEqual({ outcome: 'refuse', reason: 'human_agent_window_closed' });
    expect((await h.repos.messages.get(ws, r.message.id))!.deliveryState).toBe('refused');
    expect(h.jobs.jobs).toEqual([]);
  });

  it('an agent send takes the conversation over, so the assistant is then refused', async () => {
    const h = harness();
    const { ws, conversationId } = await thread(h);
    h.clock.advance(HOUR);
    unwrap(await send(h, ws, conversationId, 'agent', 'I will help you personally'));
    const conv = (await h.repos.conversations.get(ws, conversationId))!;
    expect(conv.owner).toBe('human');
    expect(conv.acceptsAutomatedReplies()).toBe(false);
    const bot = unwrap(await send(h, ws, conversationId, 'assistant'));
    expect(bot.decision).toEqual({ outcome: 'refuse', reason: 'conversation_owned_by_human' });
    expect(h.jobs.jobs).toHaveLength(1);
    const note = unwrap(await send(h, ws, conversationId, 'notification', 'Your order shipped'));
    expect(note.decision).toEqual({ outcome: 'send', tag: null });
    expect(h.jobs.jobs).toHaveLength(2);
  });

  it('holds a notification outside the window and while the token is expired, without a job', async () => {
    const h = harness();
    const { ws, account, conversationId } = await thread(h);
    h.clock.advance(2 * DAY);
    const late = unwrap(await send(h, ws, conversationId, 'notification', 'Your order shipped'));
    expect(late.decision).toEqual({ outcome: 'hold', reason: 'window_closed' });
    expect((await h.repos.messages.get(ws, late.message.id))!.deliveryState).toBe('held');

    h.clock.advance(-2 * DAY + HOUR);
    const acc = (await h.repos.accounts.get(ws, account.id))!;
    acc.markTokenExpired('error 190', h.clock.now());
    await h.repos.uow.run(async () => { await h.repos.accounts.save(acc); });
    const held = unwrap(await send(h, ws, conversationId, 'assistant'));
    expect(held.decision).toEqual({ outcome: 'hold', reason: 'token_expired' });
    const stored = (await h.repos.messages.get(ws, held.message.id))!;
    expect({ state: stored.deliveryState, reason: stored.holdReason }).toEqual({ state: 'held', reason: 'token_expired' });
    expect(h.jobs.jobs).toEqual([]);
  });

  it('refuses an empty message and an unknown conversation, storing nothing', async () => {
    const h = harness();
    const { ws, conversationId } = await thread(h);
    const before = h.db.count('messages');
    expect(await send(h, ws, conversationId, 'agent', '  \n ')).toEqual({ ok: false, error: { kind: 'EmptyMessage' } });
    expect(await send(h, ws, Ids.conversation(uuid(4040)), 'agent')).toMatchObject({ ok: false, error: { kind: 'NotFound' } });
    expect(h.db.count('messages')).toBe(before);
    expect(h.jobs.jobs).toEqual([]);
  });
});
