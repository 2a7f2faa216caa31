import fc from 'fast-check';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { pathParameterNames, type RouteDefinition } from '../src/http/route.js';
import { buildWorkspaceApp, seedTenant, TEST_USER_HEADER, type WorkspaceApp } from './support/workspace-fixtures.js';

// Reliability check 25 and issue #11's fuzzing: every route in the real table (a route added later is
// fuzzed without anyone editing this file) gets random bodies, queries and path ids from a member
// with every permission. Whatever arrives, the answer is never a 5xx, and every refusal is problem+json
// with a stable type. Bounded runs keep it in `npm test`.

const RUNS_PER_ROUTE = 25;
const NOW = new Date('2026-03-01T09:00:00Z');
const PROBLEM_TYPE = /^https:\/\/palette\.dev\/problems\/[a-z0-9.-]+$/;
const label = (r: RouteDefinition) => `${r.method.toUpperCase()} ${r.path}`;

/** Strings that break naive code: separators, quotes, unicode edge cases, very long. */
const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', ';', "'; DROP TABLE orders; --", '"', '\\', '\u0000', '\uFEFF', '\u202E', '𝔘𝔫𝔦', '👩‍👩‍👧‍👦', 'NaN', '-1', '1e309', '__proto__', 'constructor', '../../etc/passwd', '<script>'),
  fc.string({ minLength: 5000, maxLength: 12_000 }),
);

/** Deeply nested arrays/objects: a parser or validator that recurses naively falls over. */
const deep = fc.integer({ min: 50, max: 400 }).map((depth) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i += 1) v = i % 2 ? [v] : { a: v };
  return v;
});

/** A body shaped like the route expects in places (its own keys), with wrong or hostile values. */
function bodyFor(route: RouteDefinition): fc.Arbitrary<unknown> {
  const keys = route.body && 'shape' in route.body ? Object.keys((route.body as { shape: Record<string, unknown> }).shape) : [];
  const value = fc.oneof(nastyString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.bigInt().map(String), fc.array(fc.anything(), { maxLength: 5 }), deep, fc.constant(Number.MAX_SAFE_INTEGER + 2));
  const shaped = keys.length > 0 ? fc.record(Object.fromEntries(keys.map((k) => [k, value])), { requiredKeys: [] }) : fc.object();
  return fc.oneof(shaped, fc.anything(), fc.array(fc.anything(), { maxLength: 2000 }), deep, fc.json().map((j) => JSON.parse(j) as unknown));
}

// URLs stay under Node's 16 kB header limit: beyond it Node itself answers 431 before any app code runs.
const shortNasty = nastyString.map((s) => s.slice(0, 1000));
const query = fc.dictionary(fc.constantFrom('limit', 'cursor', 'from', 'to', 'status', 'q', 'granularity', 'tz', 'x', 'contactId'), shortNasty, { maxKeys: 4 });

/** Path ids: the tenant's own workspace (so the handler, not the membership check, answers) and random junk elsewhere. */
const pathValue = fc.oneof(fc.uuid({ version: 7 }), fc.uuid(), shortNasty.filter((s) => s.length > 0 && s.length < 200));

function send(w: WorkspaceApp, route: RouteDefinition, path: string, userId: string, body: unknown, q: Record<string, string>, raw: boolean) {
  // As an API client: the browser-facing OAuth callback answers HTML to browsers and problem+json to this.
  let r = request(w.app)[route.method](path).query(q).set(TEST_USER_HEADER, userId).set('Accept', 'application/json');
  if (route.method === 'get' || route.method === 'delete') return r;
  if (raw) r = r.set('Content-Type', 'application/json');
  return r.send(raw ? (body as string) : (body as object));
}

describe('fuzzing every route (in memory)', () => {
  it('never answers 5xx and always refuses with problem+json, whatever the body, query or path', async () => {
    const w = buildWorkspaceApp();
    const tenant = await seedTenant(w.reset(), 'A', 1, NOW);
    const owner = tenant.members.owner.userId;
    const failures: string[] = [];
    let cases = 0;
    for (const route of w.app.routeTable) {
      const params = pathParameterNames(route.path);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(bodyFor(route), fc.string().map((s) => ({ raw: `{"${s}` }))),
          query,
          fc.tuple(...params.map(() => pathValue)),
          fc.boolean(),
          async (body, q, values, ownWorkspace) => {
            cases += 1;
            const path = route.path.replace(/:([A-Za-z][A-Za-z0-9_]*)/g, (_, name: string) => {
              const i = params.indexOf(name);
              return name === 'workspaceId' && ownWorkspace ? tenant.workspaceId : encodeURIComponent(String(values[i]));
            });
            const raw = typeof body === 'object' && body !== null && 'raw' in body;
            const payload = raw ? (body as { raw: string }).raw : body;
            const res = await send(w, route, path, owner, payload, q, raw);
            const isProblem = res.status < 400 || (String(res.headers['content-type']).startsWith('application/problem+json') && PROBLEM_TYPE.test(String(res.body?.type)));
            if (res.status >= 500 || !isProblem) {
              failures.push(`${label(route)} → ${res.status} ${String(res.headers['content-type'])} ${JSON.stringify(res.body).slice(0, 300)} for ${JSON.stringify({ path, q, body: payload }).slice(0, 300)}`);
            }
          },
        ),
        { numRuns: RUNS_PER_ROUTE, seed: 20261129, endOnFailure: true },
      );
    }
    console.info(`route fuzzing: ${cases} requests over ${w.app.routeTable.length} routes`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(cases).toBeGreaterThanOrEqual(w.app.routeTable.length * RUNS_PER_ROUTE);
  }, 120_000);
});
