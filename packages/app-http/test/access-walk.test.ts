import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { can, ROLES, type Role } from '@palette/domain';
import { openDatabase, persistenceModule, type Database } from '@palette/adapters/persistence';
import { pathParameterNames, type RouteDefinition } from '../src/http/route.js';
import { FAKE_SANDBOX_IGSID } from './support/sandbox-fake.js';
import { buildWorkspaceApp, seedFailedJob, seedTenant, TEST_USER_HEADER, type Tenant, type WorkspaceApp } from './support/workspace-fixtures.js';

// Reliability checks 18 (route × foreign id → 404), 19 (role × route → the permission table) and
// 23 (an analyst never receives message text), walked over the app's real route table: a route
// added later is in the walk without anyone editing this file, and fails it until it is covered.

/** How to fill each path parameter from a tenant's fixtures. A new parameter name needs a line here. */
const PARAM_FIXTURES: Readonly<Record<string, (t: Tenant) => string>> = {
  workspaceId: (t) => t.workspaceId,
  memberId: (t) => t.target.memberId,
  invitationId: (t) => t.invitationId,
  jobId: (t) => t.jobId,
  // Public deletion status page: no tenant owns a code here, so every call is a 404.
  code: (t) => `NOSUCHCODE${t.label}`,
  // The seeded contact (seedTenant's id 0x402, same prefix as the workspace id).
  contactId: (t) => t.workspaceId.replace(/[0-9a-f]{12}$/, '000000000402'),
  // Exports are seen by their requester only (user routes): an unknown id is a 404 for everyone.
  exportId: (t) => t.workspaceId.replace(/[0-9a-f]{12}$/, '0000000007e0'),
  // Catalog and orders: the product, variant and draft order seedTenant creates.
  productId: (t) => t.productId,
  variantId: (t) => t.variantId,
  orderId: (t) => t.orderId,
  // The seeded conversation (0x403) and automation rule (0x7a0).
  conversationId: (t) => t.workspaceId.replace(/[0-9a-f]{12}$/, '000000000403'),
  ruleId: (t) => t.workspaceId.replace(/[0-9a-f]{12}$/, '0000000007a0'),
};

/** A valid body per route, so the handler (not the validator) answers. A new route with a body needs a line here. */
const SAMPLE_BODIES: Readonly<Record<string, (t: Tenant) => unknown>> = {
  'PATCH /api/workspaces/:workspaceId': () => ({ version: 1, name: 'Renamed shop' }),
  'PUT /api/workspaces/:workspaceId/privacy/retention': () => ({ days: { messages: 14 } }),
  'PATCH /api/workspaces/:workspaceId/members/:memberId': () => ({ role: 'analyst' }),
  'POST /api/workspaces/:workspaceId/invitations': () => ({ email: 'new.person@example.com', role: 'agent' }),
  'POST /api/workspaces/:workspaceId/instagram/webhooks/quarantined/replay': () => ({}),
  // The Instagram account seedTenant creates (id 0x400).
  'POST /api/workspaces/:workspaceId/instagram/disconnect': (t) => ({ accountId: t.workspaceId.replace(/[0-9a-f]{12}$/, '000000000400') }),
  'PATCH /api/workspaces/:workspaceId/contacts/:contactId': () => ({ displayName: 'Corrected Name' }),
  'PUT /api/workspaces/:workspaceId/contacts/:contactId/restrictions': () => ({ aiProcessingObjected: true, processingRestricted: false }),
  'POST /api/workspaces/:workspaceId/contacts/:contactId/consent': () => ({ purpose: 'marketing', decision: 'withdrawn' }),
  'POST /api/workspaces/:workspaceId/privacy/receipts/verify': (t) => ({ receiptId: t.workspaceId, ids: [] }),
  'POST /api/workspaces/:workspaceId/products': () => ({ sku: 'WALK-NEW', name: 'Walk product', priceMinor: 100, currency: 'EUR' }),
  'PATCH /api/workspaces/:workspaceId/products/:productId': () => ({ name: 'Renamed product' }),
  'POST /api/workspaces/:workspaceId/products/:productId/variants': () => ({ sku: 'WALK-V2', title: 'Second', priceMinor: 100 }),
  'PATCH /api/workspaces/:workspaceId/variants/:variantId': () => ({ title: 'Retitled' }),
  'POST /api/workspaces/:workspaceId/catalog/import': () => ({ csv: 'product_sku,product_name,variant_sku,price,currency\n', dryRun: true }),
  'POST /api/workspaces/:workspaceId/variants/:variantId/adjustments': () => ({ delta: 1, reason: 'walk' }),
  'POST /api/workspaces/:workspaceId/inventory/import': () => ({ csv: 'sku,on_hand\n', dryRun: true }),
  'POST /api/workspaces/:workspaceId/orders': (t) => ({ lines: [{ variantId: t.variantId, quantity: 1 }] }),
  'POST /api/workspaces/:workspaceId/orders/:orderId/transitions': () => ({ to: 'confirmed' }),
  'POST /api/workspaces/:workspaceId/orders/:orderId/notes': () => ({ note: 'walk note' }),
  'PUT /api/workspaces/:workspaceId/assistant': () => ({ enabled: true, provider: 'ollama', model: 'llama3.1', baseUrl: 'http://127.0.0.1:11434', restorePersonalData: false, timeoutMs: 20000 }),
  'POST /api/workspaces/:workspaceId/automations/rules': () => ({ name: 'Price', trigger: 'dm_keyword', matcher: { keywords: ['price', 'precio'] }, action: { kind: 'reply', text: 'Prices are on each post.' } }),
  'PUT /api/workspaces/:workspaceId/automations/rules/:ruleId': () => ({ name: 'Human', trigger: 'dm_keyword', matcher: { keywords: ['human'], mode: 'exact' }, action: { kind: 'handoff' } }),
  'PUT /api/workspaces/:workspaceId/automations/welcome': () => ({ greetingEnabled: true, greetingText: 'Welcome!', iceBreakers: ['Do you ship abroad?'] }),
  'POST /api/workspaces/:workspaceId/conversations/:conversationId/messages': () => ({ text: 'Walk reply' }),
  // The fake sandbox (support/sandbox-fake.ts) gives every account this customer.
  'POST /api/workspaces/:workspaceId/sandbox/customers': () => ({ username: 'walk.customer2', name: 'Walk Customer' }),
  'POST /api/workspaces/:workspaceId/sandbox/sends': () => ({ igsid: FAKE_SANDBOX_IGSID, kind: 'dm', text: 'Walk DM' }),
};

/**
 * Session routes that any member may call, whatever their role. Empty on purpose: adding one here
 * is a reviewed decision, and a session route without a permission that is not listed fails.
 */
const SESSION_ROUTES_WITHOUT_PERMISSION: ReadonlySet<string> = new Set<string>([]);

const NOW = new Date('2026-03-01T09:00:00Z');
const label = (r: RouteDefinition) => `${r.method.toUpperCase()} ${r.path}`;

function fill(route: RouteDefinition, pick: (param: string) => string | undefined): string {
  return route.path.replace(/:([A-Za-z][A-Za-z0-9_]*)/g, (_, name: string) => pick(name) ?? `:${name}`);
}

function missingFixtures(route: RouteDefinition): string[] {
  const problems = pathParameterNames(route.path).filter((p) => PARAM_FIXTURES[p] === undefined).map((p) => `${label(route)}: no fixture for path parameter :${p} (add it to PARAM_FIXTURES)`);
  if (route.body !== undefined && SAMPLE_BODIES[label(route)] === undefined) problems.push(`${label(route)}: no sample body (add it to SAMPLE_BODIES)`);
  return problems;
}

function call(w: WorkspaceApp, route: RouteDefinition, path: string, userId: string, body: unknown) {
  const r = request(w.app)[route.method](path).set(TEST_USER_HEADER, userId);
  return route.body !== undefined ? r.send(body as object) : r;
}

async function seedBoth(w: WorkspaceApp, repos: ReturnType<WorkspaceApp['repos']>): Promise<{ a: Tenant; b: Tenant }> {
  const a = await seedTenant(repos, 'A', 1, NOW);
  const b = await seedTenant(repos, 'B', 2, NOW);
  for (const t of [a, b]) seedFailedJob(w, t, NOW);
  return { a, b };
}

describe('role × route matrix (in memory)', () => {
  it('answers 403 exactly when the permission table says no, for every session route and role', async () => {
    const w = buildWorkspaceApp();
    const sessionRoutes = w.app.routeTable.filter((r) => r.auth === 'session');
    const unprotected = sessionRoutes.filter((r) => r.permission === undefined && !SESSION_ROUTES_WITHOUT_PERMISSION.has(label(r)));
    expect(unprotected.map(label), 'session routes without a permission must be allow-listed').toEqual([]);
    const uncovered = sessionRoutes.flatMap(missingFixtures);
    expect(uncovered, 'every session route needs fixtures').toEqual([]);

    const mismatches: string[] = [];
    let cases = 0;
    for (const route of sessionRoutes.filter((r) => r.permission !== undefined)) {
      for (const role of ROLES) {
        // A fresh world per case: a DELETE that worked for one role must not turn into a 404 for the next.
        const { a } = await seedBoth(w, w.reset());
        const res = await call(w, route, fill(route, (p) => PARAM_FIXTURES[p]?.(a)), a.members[role].userId, SAMPLE_BODIES[label(route)]?.(a));
        cases += 1;
        const allowed = can(role, route.permission!);
        const ok = allowed ? ![401, 403, 404].includes(res.status) && res.status < 500 : res.status === 403 && res.body.type === 'https://palette.dev/problems/forbidden';
        if (!ok) mismatches.push(`${label(route)} as ${role}: ${res.status} (permission ${route.permission} is ${allowed ? 'granted' : 'denied'}) ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    console.info(`role × route: ${cases} cases checked`);
    expect(mismatches).toEqual([]);
    expect(cases).toBeGreaterThanOrEqual(8 * ROLES.length);
  });
});

/** Every route with path parameters, called by A's owner with one (then every) parameter taken from B. */
async function crossTenantWalk(w: WorkspaceApp, a: Tenant, b: Tenant): Promise<{ cases: number; failures: string[] }> {
  const failures: string[] = [];
  let cases = 0;
  const foreignMarkers = [b.workspaceName, b.messageText, `@tenant-${b.label.toLowerCase()}.example`, b.workspaceId, b.target.memberId, b.invitationId];
  for (const route of w.app.routeTable.filter((r) => pathParameterNames(r.path).length > 0)) {
    const missing = missingFixtures(route);
    if (missing.length > 0) { failures.push(...missing); continue; }
    const params = pathParameterNames(route.path);
    const variants = params.map((foreign) => [foreign]);
    if (params.length > 1) variants.push(params);
    for (const foreign of variants) {
      const path = fill(route, (p) => (foreign.includes(p) ? PARAM_FIXTURES[p]!(b) : PARAM_FIXTURES[p]!(a)));
      const res = await call(w, route, path, a.members.owner.userId, SAMPLE_BODIES[label(route)]?.(a));
      cases += 1;
      // `instance` echoes the requested path, which holds the foreign ids we sent ourselves.
      const text = JSON.stringify({ ...(res.body as object), instance: undefined });
      const leaked = foreignMarkers.filter((m) => text.includes(m));
      if (res.status !== 404 || res.body.type !== 'https://palette.dev/problems/not-found' || leaked.length > 0) {
        failures.push(`${label(route)} with foreign [${foreign.join(', ')}] → ${res.status}${leaked.length ? ` leaking ${leaked.join(', ')}` : ''}`);
      }
    }
  }
  return { cases, failures };
}

async function expectTenantUntouched(w: WorkspaceApp, b: Tenant): Promise<void> {
  const repos = w.repos();
  expect((await repos.workspaces.get(b.workspaceId))?.name).toBe(b.workspaceName);
  expect((await repos.workspaces.get(b.workspaceId))?.version).toBe(1);
  expect((await repos.memberships.listByWorkspace(b.workspaceId)).map((m) => m.role).sort()).toEqual(['admin', 'agent', 'agent', 'analyst', 'owner']);
  expect((await repos.invitations.listPending(b.workspaceId, w.clock.now())).map((i) => i.id)).toEqual([b.invitationId]);
}

describe('cross-tenant walk (in memory)', () => {
  it("answers 404 for every route given another workspace's ids, and changes nothing there", async () => {
    const w = buildWorkspaceApp();
    const { a, b } = await seedBoth(w, w.reset());
    const { cases, failures } = await crossTenantWalk(w, a, b);
    console.info(`route × foreign id (in memory): ${cases} cases checked`);
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThanOrEqual(8);
    await expectTenantUntouched(w, b);
  });

  it('fails, naming the route, when a route has a parameter the walk cannot fill', async () => {
    const w = buildWorkspaceApp();
    const fake = { ...w.app.routeTable.find((r) => r.path === '/api/workspaces/:workspaceId/members/:memberId')!, path: '/api/workspaces/:workspaceId/widgets/:widgetId' };
    expect(missingFixtures(fake)).toContain('PATCH /api/workspaces/:workspaceId/widgets/:widgetId: no fixture for path parameter :widgetId (add it to PARAM_FIXTURES)');
  });
});

describe('cross-tenant walk (MikroORM on PGlite)', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://', ...persistenceModule() });
    await database.migrate();
  });
  afterAll(async () => { await database?.close(); });

  it("answers 404 for every route given another workspace's ids, and changes nothing there", async () => {
    const w = buildWorkspaceApp({ orm: database.orm });
    const { a, b } = await seedBoth(w, w.repos());
    const { cases, failures } = await crossTenantWalk(w, a, b);
    console.info(`route × foreign id (PGlite): ${cases} cases checked`);
    expect(failures).toEqual([]);
    await expectTenantUntouched(w, b);
  });
});

describe('an analyst never receives message text (check 23)', () => {
  it('greps every GET the analyst may call for the fixture DM text', async () => {
    const w = buildWorkspaceApp();
    const { a } = await seedBoth(w, w.reset());
    const analyst: Role = 'analyst';
    const reachable = w.app.routeTable.filter((r) => r.method === 'get' && (r.auth !== 'session' || r.permission === undefined || can(analyst, r.permission)));
    const failures = reachable.flatMap(missingFixtures);
    let answered = 0;
    for (const route of reachable) {
      if (missingFixtures(route).length > 0) continue;
      const res = await call(w, route, fill(route, (p) => PARAM_FIXTURES[p]?.(a)), a.members.analyst.userId, undefined);
      if (res.status === 200) answered += 1;
      if (res.text.includes(a.messageText) || res.text.includes('FIXTURE-DM')) failures.push(`${label(route)} returned message text to an analyst`);
    }
    console.info(`analyst GET routes checked: ${reachable.length} (${answered} answered 200)`);
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(0);
  });
});
