import { createHash, createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { RecordingJobQueue } from '@palette/domain/in-memory';
import { makeSignedRequest, signHubPayload } from '@palette/adapters/crypto';
import { parseWebhookDelivery } from '@palette/adapters/instagram';
import { instagramStoresFor } from '../src/routes/instagram-webhooks.route.js';
import type { PaletteApp } from '../src/http/app.js';
import { TOKENS } from '../src/tokens.js';
import { buildSessionApp, signUp, type SignedUp } from './support/session-app.js';
import { buildWorkspaceApp, seedTenant } from './support/workspace-fixtures.js';

// Issue #11: the three inputs that come from outside a signed-in browser, fuzzed with hostile data.
// fuzz-routes.test.ts already throws random JSON at every route's body and query; this file builds
// inputs the way their real senders do (Meta's signed webhooks and signed_request callbacks, a
// merchant's spreadsheet) and breaks them in the ways those senders break them, then checks what
// must hold: never a 5xx, refusals as problem+json, nothing stored without a valid signature,
// nothing a valid signature covers lost, nothing imported from a file with a bad row.

const SECRET = 'sim-app-secret'; // the config's sandbox default, which these apps run with
const NOW = new Date('2026-03-01T10:00:00Z');
const SEED = 20261129;
const PROBLEM_TYPE = /^https:\/\/palette\.dev\/problems\/[a-z0-9.-]+$/;
const FIXTURE_DIR = '/work/shared/fixtures/webhooks';
const FIXTURES: unknown[] = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(FIXTURE_DIR, f), 'utf8')) as unknown);

interface Answer { readonly status: number; readonly headers: Record<string, string | undefined>; readonly text: string; readonly body: { type?: unknown } | undefined }
const isProblem = (res: Answer) => String(res.headers['content-type']).startsWith('application/problem+json') && PROBLEM_TYPE.test(String(res.body?.type));
const describeRes = (res: Answer) => `${res.status} ${String(res.headers['content-type'])} ${res.text.slice(0, 200)}`;

/**
 * Posts exact bytes over a real socket. supertest cannot: given a Buffer with a JSON content type it
 * sends `JSON.stringify(buffer)` instead, which would sign one body and deliver another.
 */
async function postBytes(app: PaletteApp, path: string, bytes: Buffer, headers: Record<string, string>): Promise<Answer> {
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, { method: 'POST', headers, body: bytes });
    const text = await res.text();
    let body: { type?: unknown } | undefined;
    try { body = JSON.parse(text) as { type?: unknown }; } catch { body = undefined; }
    return { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? undefined }, text, body };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------- hostile values

/** Strings real clients send that break naive code: RTL overrides, zero-width, emoji sequences, lone surrogates. */
const unicodeEdge = fc.oneof(
  fc.constantFrom('\uD800', '\uDFFF', 'a\uD83D', '\uDE00b', '\u202Eevil\u202C', 'مرحبا بك', 'שלום', '\u200B', '\u200D\u200D', '\uFEFF', '👩‍👩‍👧‍👦', '🏳️‍🌈', 'e\u0301\u0301\u0301', '\u0000', '\u2028\u2029', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '"}]}', '\\u0000', ''),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 6 }),
);
const wrongType = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}), fc.string({ maxLength: 20 }), fc.array(fc.integer(), { maxLength: 3 }));
const deep = fc.integer({ min: 100, max: 1500 }).map((depth) => {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i += 1) v = i % 2 ? [v] : { a: v };
  return v;
});

/** Every path to a leaf of a JSON value (so a mutation can land anywhere in a fixture). */
function leafPaths(v: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(v)) return v.flatMap((x, i) => leafPaths(x, [...prefix, i]));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leafPaths(x, [...prefix, k]));
  return [prefix];
}
function setAt(root: unknown, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = (Array.isArray(root) ? [...root] : { ...(root as object) }) as Record<string | number, unknown>;
  copy[path[0]!] = setAt(copy[path[0]!], path.slice(1), value);
  return copy;
}

type Mutation =
  | { kind: 'leaf'; pick: number; value: unknown }
  | { kind: 'unicode'; pick: number; value: string }
  | { kind: 'huge-array'; copies: number }
  | { kind: 'deep'; pick: number; value: unknown }
  | { kind: 'drop'; pick: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('leaf' as const), pick: fc.nat(), value: wrongType }),
  fc.record({ kind: fc.constant('unicode' as const), pick: fc.nat(), value: unicodeEdge }),
  fc.record({ kind: fc.constant('huge-array' as const), copies: fc.integer({ min: 100, max: 2000 }) }),
  fc.record({ kind: fc.constant('deep' as const), pick: fc.nat(), value: deep }),
  fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }),
);

function mutate(fixture: unknown, m: Mutation): unknown {
  const paths = leafPaths(fixture);
  const at = (pick: number) => paths[pick % paths.length]!;
  switch (m.kind) {
    case 'leaf': case 'unicode': case 'deep': return setAt(fixture, at(m.pick), m.value);
    case 'drop': return setAt(fixture, at(m.pick).slice(0, -1), undefined);
    case 'huge-array': {
      // Meta batches: many entries with many items each, well past what one test fixture holds.
      const f = fixture as { entry?: Array<Record<string, unknown>> };
      const entry = f.entry?.[0] ?? {};
      const items = (entry['messaging'] ?? entry['changes']) as unknown[] | undefined;
      const key = entry['messaging'] ? 'messaging' : 'changes';
      return { ...f, entry: [{ ...entry, [key]: Array.from({ length: m.copies }, (_, i) => items?.[i % Math.max(1, items.length)] ?? i) }] };
    }
  }
}

/** Copies first, then the other breakages land on one item: 2,000 copies of a 3,000-deep value is not a delivery, it is a 13 MB body. */
const hugeFirst = (ms: Mutation[]) => [...ms.filter((m) => m.kind === 'huge-array'), ...ms.filter((m) => m.kind !== 'huge-array')];

/** A webhook body as bytes: a fixture mutated (valid-shaped or not), cut short, or random bytes. */
const webhookBody: fc.Arbitrary<{ bytes: Buffer; label: string }> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.nat({ max: FIXTURES.length - 1 }), fc.array(mutation, { maxLength: 3 })).map(([i, ms]) => ({ bytes: Buffer.from(JSON.stringify(hugeFirst(ms).reduce(mutate, FIXTURES[i])) ?? 'null'), label: `fixture ${i} ${ms.map((m) => m.kind).join(',')}` })) },
  { weight: 2, arbitrary: fc.tuple(fc.nat({ max: FIXTURES.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true })).map(([i, cut]) => { const s = JSON.stringify(FIXTURES[i]); return { bytes: Buffer.from(s.slice(0, Math.floor(s.length * cut))), label: `fixture ${i} truncated` }; }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((a) => ({ bytes: Buffer.from(a), label: 'random bytes' })) },
  { weight: 1, arbitrary: fc.json().map((j) => ({ bytes: Buffer.from(j), label: 'random json' })) },
);

/** Items a delivery carries: each must come back from the parser as an event or a quarantine reason. */
function itemCount(body: unknown): number | null {
  if (body === null || typeof body !== 'object' || !Array.isArray((body as { entry?: unknown }).entry)) return null;
  return ((body as { entry: unknown[] }).entry).reduce<number>((n, e) => {
    if (e === null || typeof e !== 'object') return n;
    const x = e as Record<string, unknown>;
    return n + (Array.isArray(x['messaging']) ? x['messaging'].length : 0) + (Array.isArray(x['changes']) ? x['changes'].length : 0);
  }, 0);
}

// ---------------------------------------------------------------- (a) webhooks

describe('fuzzing POST /webhooks/instagram', () => {
  it('stores every correctly signed body byte for byte (the parser accounts for every item), refuses every other with 401 problem+json and stores nothing', async () => {
    const w = buildWorkspaceApp();
    await seedTenant(w.reset(), 'A', 1, NOW);
    const jobs = new RecordingJobQueue();
    w.container.bind(TOKENS.JobQueue).toConstantValue(jobs);
    const inbox = () => instagramStoresFor(w.repos().uow).inbox;
    const rows = async () => Object.values(await inbox().countByState()).reduce((a, b) => a + b, 0);
    const failures: string[] = [];
    /**
     * The stored text for a body hash. The inbox finds rows by hash only through `store`, which
     * answers `duplicate` with the existing row's id; a miss stores a marker row, and that miss is
     * reported as a lost delivery anyway.
     */
    let probes = 0;
    const storedBody = async (sha: string): Promise<string | undefined> => {
      const hit = await inbox().store({ id: `0000ffff-0000-7000-8000-${String(++probes).padStart(12, '0')}`, payloadSha256: sha, rawBody: '', receivedAt: NOW });
      return hit.duplicate ? (await inbox().get(hit.id))?.rawBody : undefined;
    };
    let signedCount = 0;
    let refusedCount = 0;

    const signing = fc.oneof(
      { weight: 3, arbitrary: fc.constant({ kind: 'signed' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'unsigned' as const }) },
      { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((s) => ({ kind: 'garbage' as const, header: s.replace(/[^\x20-\x7e]/g, '') })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'other-secret' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'sha1-prefix' as const }) },
      { weight: 1, arbitrary: fc.nat().map((n) => ({ kind: 'flipped-byte' as const, n })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'signed-other-bytes' as const }) },
    );

    await fc.assert(
      fc.asyncProperty(webhookBody, signing, fc.constantFrom('application/json', 'application/json; charset=utf-8'), async ({ bytes, label }, sig, contentType) => {
        const good = signHubPayload(bytes, SECRET);
        const header = sig.kind === 'signed' ? good
          : sig.kind === 'unsigned' ? undefined
            : sig.kind === 'garbage' ? sig.header
              : sig.kind === 'other-secret' ? signHubPayload(bytes, 'not-the-app-secret')
                : sig.kind === 'sha1-prefix' ? good.replace('sha256=', 'sha1=')
                  : sig.kind === 'flipped-byte' ? (() => { const i = 7 + (sig.n % 64); return good.slice(0, i) + (good[i] === '0' ? '1' : '0') + good.slice(i + 1); })()
                    : signHubPayload(Buffer.concat([bytes, Buffer.from(' ')]), SECRET);
        const before = await rows();
        const res = await postBytes(w.app, '/webhooks/instagram', bytes, { 'Content-Type': contentType, ...(header === undefined ? {} : { 'X-Hub-Signature-256': header }) });
        const after = await rows();
        const sha = createHash('sha256').update(bytes).digest('hex');
        const where = `${label} / ${sig.kind}: ${describeRes(res)}`;
        if (res.status >= 500) failures.push(`5xx for ${where}`);
        if (sig.kind === 'signed' && bytes.length > 0) {
          signedCount += 1;
          // Never lost: the exact bytes are in the inbox (a redelivery of the same bytes is the same row).
          const stored = await storedBody(sha);
          if (res.status !== 200) failures.push(`signed body refused: ${where}`);
          else if (stored !== bytes.toString('utf8')) failures.push(`signed body not stored verbatim: ${where}`);
          if (after - before > 1) failures.push(`one delivery made ${after - before} rows: ${where}`);
          // What the worker will do with it: JSON or "not JSON" (quarantined), then every item an event or a reason.
          let body: unknown;
          try { body = JSON.parse(bytes.toString('utf8')); } catch { return; }
          const parsed = parseWebhookDelivery(body);
          const items = itemCount(body);
          const envelopeRefused = parsed.quarantined.some((q) => q.path === '');
          const testEntries = parsed.quarantined.filter((q) => /^entry\.\d+$/.test(q.path)).length;
          if (!envelopeRefused && testEntries === 0 && items !== null && parsed.events.length + parsed.quarantined.length !== items) {
            failures.push(`parser lost items (${items} in, ${parsed.events.length} events + ${parsed.quarantined.length} quarantined out): ${label}`);
          }
          if (items === null && !envelopeRefused && parsed.events.length === 0) failures.push(`a body without entries was neither applied nor quarantined: ${label}`);
        } else {
          // An empty body is refused even when "signed": there is nothing to keep.
          refusedCount += 1;
          if (res.status !== 401 || !isProblem(res) || res.body?.type !== 'https://palette.dev/problems/unauthenticated') failures.push(`not a 401 problem: ${where}`);
          if (after !== before) failures.push(`unsigned/badly signed body stored: ${where}`);
        }
      }),
      { numRuns: 220, seed: SEED, endOnFailure: true },
    );


    console.info(`webhook fuzzing: ${signedCount} signed, ${refusedCount} refused`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(signedCount).toBeGreaterThan(50);
    expect(refusedCount).toBeGreaterThan(50);
    // Everything stored was enqueued for the worker (after the answer): nothing waits for the sweep.
    await new Promise((resolve) => setImmediate(resolve));
    expect(new Set(jobs.jobs.map((j) => j.data['deliveryId'])).size).toBe(await rows());
  }, 60_000);

  it('refuses a signed body over the body limit with 413 problem+json and stores nothing', async () => {
    const w = buildWorkspaceApp();
    const body = Buffer.from(JSON.stringify({ object: 'instagram', entry: [{ id: '1', time: 1, messaging: Array.from({ length: 30_000 }, (_, i) => ({ sender: { id: String(i) }, recipient: { id: '1' }, timestamp: 1, message: { mid: `m${i}`, text: 'x'.repeat(20) } })) }] }));
    expect(body.length).toBeGreaterThan(1024 ** 2);
    const res = await postBytes(w.app, '/webhooks/instagram', body, { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signHubPayload(body, SECRET) });
    expect([res.status, isProblem(res)]).toEqual([413, true]);
    expect(await instagramStoresFor(w.repos().uow).inbox.countByState()).toEqual({ received: 0, processed: 0, quarantined: 0 });
  });
});

// ---------------------------------------------------------------- (b) signed_request callbacks

describe("fuzzing Meta's signed_request callbacks", () => {
  it('answers every bad signed_request with 4xx problem+json, never a 5xx, and revokes or deletes nothing', async () => {
    const w = buildWorkspaceApp();
    const a = await seedTenant(w.reset(), 'A', 1, NOW);
    const jobs = new RecordingJobQueue();
    w.container.bind(TOKENS.JobQueue).toConstantValue(jobs);
    const IG_A = '178414000000001';
    const repos = w.repos();
    const account = (await repos.accounts.findByIgUserId(IG_A))!;
    await repos.uow.run(() => repos.secrets.save({ id: account.tokenRef!, workspaceId: a.workspaceId, purpose: 'instagram_token', ciphertext: { keyId: 'k1', data: 'cipher' }, aad: 'aad', createdAt: NOW }));
    await instagramStoresFor(repos.uow).aliases.remember('9988776655443322', { workspaceId: a.workspaceId, accountId: account.id });
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    /** Signed correctly over whatever payload bytes: only the content is wrong. */
    const sign = (encodedPayload: string) => `${createHmac('sha256', SECRET).update(encodedPayload).digest('base64url')}.${encodedPayload}`;
    const userIds = fc.constantFrom(IG_A, '9988776655443322');

    const bad: fc.Arbitrary<{ label: string; value: string }> = fc.oneof(
      fc.string({ maxLength: 300 }).map((value) => ({ label: 'random string', value })),
      fc.tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 200 })).map(([x, y]) => ({ label: 'random dotted', value: `${x}.${y}` })),
      userIds.map((u) => ({ label: 'wrong secret', value: makeSignedRequest({ algorithm: 'HMAC-SHA256', user_id: u }, 'not-the-app-secret') })),
      fc.tuple(userIds, fc.constantFrom('HMAC-SHA1', 'none', '', 'hmac-sha512')).map(([u, alg]) => ({ label: `algorithm ${alg}`, value: makeSignedRequest({ algorithm: alg, user_id: u }, SECRET) })),
      fc.tuple(userIds, fc.constantFrom('+', '/', '=', '!', ' ', '%')).map(([u, c]) => { const good = makeSignedRequest({ algorithm: 'HMAC-SHA256', user_id: u }, SECRET); return { label: 'not base64url', value: `${good.slice(0, 5)}${c}${good.slice(5)}` }; }),
      fc.string({ maxLength: 60 }).map((junk) => ({ label: 'signed, payload not JSON', value: sign(b64(`{"algorithm":"HMAC-SHA256","user_id":${junk}`)) })),
      fc.oneof(fc.constant({}), fc.record({ user_id: fc.oneof(fc.constant(null), fc.boolean(), fc.constant([]), fc.constant({})) })).map((extra) => ({ label: 'signed, no usable user_id', value: makeSignedRequest({ algorithm: 'HMAC-SHA256', ...extra }, SECRET) })),
      fc.oneof(fc.constant('[]'), fc.constant('"x"'), fc.constant('null'), fc.constant('42')).map((p) => ({ label: 'signed, payload not an object', value: sign(b64(p)) })),
      userIds.map((u) => { const [signature] = makeSignedRequest({ algorithm: 'HMAC-SHA256', user_id: u, issued_at: 1767712345 }, SECRET).split('.'); return { label: 'payload swapped', value: `${signature}.${b64(JSON.stringify({ algorithm: 'HMAC-SHA256', user_id: IG_A }))}` }; }),
      fc.constant({ label: 'oversized', value: `${'A'.repeat(43)}.${'B'.repeat(9000)}` }),
    );
    type Encoding = 'form' | 'json' | 'form-array' | 'form-missing' | 'raw-form';
    const encoding = fc.constantFrom<Encoding>('form', 'form', 'json', 'form-array', 'form-missing', 'raw-form');
    const failures: string[] = [];

    await fc.assert(
      fc.asyncProperty(bad, encoding, fc.constantFrom('/webhooks/instagram/deauthorize', '/webhooks/instagram/data-deletion'), async ({ label, value }, enc, path) => {
        const r = request(w.app).post(path);
        const res = enc === 'form' ? await r.type('form').send({ signed_request: value })
          : enc === 'json' ? await r.send({ signed_request: value })
            : enc === 'form-array' ? await r.type('form').send(`signed_request=${encodeURIComponent(value)}&signed_request=${encodeURIComponent(value)}`)
              : enc === 'form-missing' ? await r.type('form').send({ signedRequest: value })
                : await r.type('form').send(value);
        if (res.status < 400 || res.status >= 500 || !isProblem(res as unknown as Answer)) failures.push(`${label} (${enc}) on ${path}: ${describeRes(res as unknown as Answer)}`);
      }),
      { numRuns: 200, seed: SEED, endOnFailure: true },
    );

    expect(failures.slice(0, 10)).toEqual([]);
    const after = await w.repos().accounts.get(a.workspaceId, account.id);
    expect([after?.status, after?.tokenRef]).toEqual(['connected', account.tokenRef]);
    expect(await w.repos().secrets.get(a.workspaceId, account.tokenRef!)).not.toBeNull();
    expect(jobs.jobs).toEqual([]);
    // The control: the same app does act on a good one (so the refusals above were not an app that refuses everything).
    const ok = await request(w.app).post('/webhooks/instagram/deauthorize').type('form').send({ signed_request: makeSignedRequest({ algorithm: 'HMAC-SHA256', user_id: IG_A }, SECRET) });
    expect(ok.status).toBe(200);
    expect((await w.repos().accounts.get(a.workspaceId, account.id))?.status).toBe('revoked');
  }, 60_000);
});

// ---------------------------------------------------------------- (c) CSV imports

const CATALOG = ['product_sku', 'product_name', 'description', 'image_urls', 'status', 'variant_sku', 'variant_title', 'price', 'currency', 'stock', 'low_stock_threshold'] as const;
type CatalogColumn = (typeof CATALOG)[number];

/** One data row as the merchant's spreadsheet wrote it, and which cells of it must be reported. */
interface CsvRow { readonly cells: Record<string, string>; readonly extra: readonly string[]; readonly bad: readonly string[] }

/** Spreadsheet text a formula-running program would execute: imported as data, exported guarded. */
const FORMULAS = ['=1+1', '+SUM(A1:A9)', '-2+3', '@cmd', '=HYPERLINK(x)'];

const cleanCatalogRow = (prefix: string, i: number): fc.Arbitrary<Record<CatalogColumn, string>> => fc.record({
  product_sku: fc.constant(`${prefix}-P${i}`),
  product_name: fc.oneof(fc.constant(`Tote ${i}`), unicodeEdge.map((u) => `Bag ${u.replace(/[\uD800-\uDFFF]/g, '').replace(/^'/, '')} ${i}`), fc.constantFrom(...FORMULAS)),
  description: fc.oneof(fc.constant(''), fc.constant('Line one\nline two, with "quotes"\nand a third'), unicodeEdge.map((u) => u.replace(/^'/, '')), fc.string({ maxLength: 2000 }).map((s) => s.replace(/\r/g, '').replace(/^'/, ''))),
  image_urls: fc.constantFrom('', 'https://cdn.example/a.jpg', 'https://cdn.example/a.jpg|https://cdn.example/b.jpg'),
  status: fc.constantFrom('', 'active', 'archived'),
  variant_sku: fc.constant(`${prefix}-V${i}`),
  variant_title: fc.constantFrom('', 'Red', 'Größe M', 'أحمر', '👜'),
  price: fc.constantFrom('12.50', '0.99', '7', '0'),
  currency: fc.constantFrom('EUR', 'eur'),
  stock: fc.constantFrom('', '0', '12'),
  low_stock_threshold: fc.constantFrom('', '3'),
});

/** The ways a row goes wrong, each with the column it must be reported against ('' for the whole row). */
const catalogDefect = fc.oneof(
  fc.constantFrom('12,50', 'abc', '-1', '1.234', '1e3', '€5').map((v) => ({ column: 'price', value: v })),
  fc.constantFrom('EURO', '€', '12', 'E').map((v) => ({ column: 'currency', value: v })),
  fc.constantFrom('!bad', '-x', 'a b', 'x'.repeat(65), '=cmd').map((v) => ({ column: 'variant_sku', value: v })),
  fc.constantFrom('', '   ', 'n'.repeat(201)).map((v) => ({ column: 'product_name', value: v })),
  fc.constantFrom('-3', '1.5', 'abc', '99999999999').map((v) => ({ column: 'stock', value: v })),
  fc.constantFrom('deleted', 'ACTIVE!').map((v) => ({ column: 'status', value: v })),
  fc.constant({ column: 'description', value: 'd'.repeat(5001) }),
  fc.constantFrom('ftp://x', 'javascript:alert(1)', 'not a url').map((v) => ({ column: 'image_urls', value: v })),
  fc.constant({ column: '', value: 'EXTRA' }),
  fc.constant({ column: 'duplicate', value: '' }),
);

function catalogRows(prefix: string): fc.Arbitrary<CsvRow[]> {
  return fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(
    fc.tuple(...Array.from({ length: n }, (_, i) => cleanCatalogRow(prefix, i))),
    fc.array(fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: catalogDefect }), { minLength: n, maxLength: n }),
  )).map(([cleans, defects]) => cleans.map((cells, i) => {
    const d = defects[i];
    if (!d) return { cells, extra: [], bad: [] };
    if (d.column === '') return { cells, extra: ['EXTRA'], bad: [''] };
    if (d.column === 'duplicate') return { cells: { ...cells, variant_sku: cleans[0]!.variant_sku }, extra: [], bad: [] };
    return { cells: { ...cells, [d.column]: d.value }, extra: [], bad: [d.column] };
  })).map(markDuplicates('variant_sku'));
}

/**
 * A SKU seen again is reported on its later line, counting only rows that are fine on their own
 * (a row already refused for a bad cell or extra cells claims no SKU).
 */
const markDuplicates = (column: string) => (rows: CsvRow[]): CsvRow[] => {
  const seen = new Set<string>();
  return rows.map((r) => {
    if (r.bad.length > 0) return r;
    const sku = r.cells[column]!.trim();
    if (seen.has(sku)) return { ...r, bad: [column] };
    seen.add(sku);
    return r;
  });
};

/** RFC 4180 as spreadsheets write it (quoting when needed, or always), CRLF or LF; returns each row's line. */
function toCsv(header: readonly string[], rows: readonly CsvRow[], style: { bom: boolean; crlf: boolean; quoteAll: boolean }): { text: string; lines: number[] } {
  const quote = (v: string) => (style.quoteAll || /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v);
  const eol = style.crlf ? '\r\n' : '\n';
  let text = `${style.bom ? '\uFEFF' : ''}${header.map(quote).join(',')}${eol}`;
  let line = 2;
  const lines: number[] = [];
  for (const r of rows) {
    const cells = [...header.map((c) => r.cells[c] ?? ''), ...r.extra];
    lines.push(line);
    line += 1 + cells.reduce((k, c) => k + (c.match(/\n/g)?.length ?? 0), 0);
    text += `${cells.map(quote).join(',')}${eol}`;
  }
  return { text, lines };
}

interface ImportReportBody { kind: string; dryRun: boolean; rows: number; applied: boolean; issues: Array<{ line: number; column: string; reason: string }>; issueCount: number; truncated: boolean }

describe('fuzzing the CSV imports (catalog and stock, JSON and file upload, dry run and real)', () => {
  async function merchant() {
    const s = buildSessionApp();
    const m: SignedUp = await signUp(s.app);
    const base = `/api/workspaces/${m.workspaceId}`;
    const exportText = async (what: 'catalog' | 'inventory') => (await request(s.app).get(`${base}/${what}.csv`).set('Cookie', m.cookie)).text;
    /** Through the JSON route or as a file upload (`text/csv`, the exact bytes). */
    const importCsv = async (what: 'catalog' | 'inventory', bytes: Buffer, dryRun: boolean, asFile: boolean): Promise<Answer> => {
      if (asFile) return postBytes(s.app, `${base}/${what}/import.csv${dryRun ? '?dryRun=true' : ''}`, bytes, { 'Content-Type': 'text/csv', Cookie: m.cookie });
      const res = await request(s.app).post(`${base}/${what}/import`).set('Cookie', m.cookie).send({ csv: bytes.toString('utf8'), dryRun });
      return { status: res.status, headers: { 'content-type': res.headers['content-type'] as string | undefined }, text: res.text, body: res.body as { type?: unknown } };
    };
    return { s, m, exportText, importCsv };
  }

  /** What must hold of any answer to an import: never 5xx, refusals as problems, issues well formed, applied only when clean. */
  function checkAnswer(res: Answer, failures: string[], where: string): ImportReportBody | null {
    if (res.status >= 500) { failures.push(`5xx ${where}: ${describeRes(res)}`); return null; }
    if (res.status >= 400) { if (!isProblem(res)) failures.push(`refusal not problem+json ${where}: ${describeRes(res)}`); return null; }
    const report = res.body as unknown as ImportReportBody;
    if (report.applied && (report.issueCount > 0 || report.dryRun)) failures.push(`applied with issues or on a dry run ${where}`);
    for (const i of report.issues) if (!(Number.isInteger(i.line) && i.line >= 1 && typeof i.column === 'string' && i.reason.trim().length > 0)) failures.push(`malformed issue ${JSON.stringify(i)} ${where}`);
    return report;
  }

  it('catalog: every bad cell is reported at its line and column, nothing is imported unless the whole file is clean, formula cells round-trip guarded', async () => {
    const { exportText, importCsv } = await merchant();
    const failures: string[] = [];
    let run = 0;
    let applied = 0;
    let refusedFiles = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => catalogRows(`R${++run}`)),
        fc.shuffledSubarray([...CATALOG], { minLength: CATALOG.length }),
        fc.record({ bom: fc.boolean(), crlf: fc.boolean(), quoteAll: fc.boolean() }),
        fc.boolean(), fc.boolean(),
        async (rows, header, style, dryRun, asFile) => {
          const { text, lines } = toCsv(header, rows, style);
          const before = await exportText('catalog');
          const res = await importCsv('catalog', Buffer.from(text), dryRun, asFile);
          const where = `(${asFile ? 'file' : 'json'}${dryRun ? ', dry run' : ''}) ${JSON.stringify(text.slice(0, 300))}`;
          const report = checkAnswer(res, failures, where);
          if (!report) return;
          const expected = rows.flatMap((r, i) => r.bad.map((column) => ({ line: lines[i]!, column })));
          for (const e of expected) {
            if (!report.issues.some((i) => i.line === e.line && i.column === e.column)) failures.push(`not reported: line ${e.line} column "${e.column}" ${where} got ${JSON.stringify(report.issues).slice(0, 300)}`);
          }
          const badLines = new Set(expected.map((e) => e.line));
          for (const i of report.issues) if (!badLines.has(i.line)) failures.push(`issue on a good line ${JSON.stringify(i)} ${where}`);
          if (report.rows !== rows.length) failures.push(`rows ${report.rows} != ${rows.length} ${where}`);
          const clean = expected.length === 0;
          if (report.applied !== (clean && !dryRun)) failures.push(`applied=${report.applied} for a ${clean ? 'clean' : 'bad'} file ${where}`);
          const after = await exportText('catalog');
          if (!report.applied) {
            if (after !== before) failures.push(`the catalog changed although nothing was applied ${where}`);
            if (!clean) refusedFiles += 1;
            return;
          }
          applied += 1;
          for (const r of rows) {
            if (!after.includes(`${r.cells['variant_sku']},`)) failures.push(`${r.cells['variant_sku']} missing after a clean import ${where}`);
            const name = r.cells['product_name']!;
            // OWASP CSV injection: the export guards what a spreadsheet would run; the import takes the guard off again.
            if (FORMULAS.includes(name) && !after.includes(`,'${name},`)) failures.push(`formula cell ${name} not guarded in the export ${where}`);
          }
        },
      ),
      { numRuns: 70, seed: SEED, endOnFailure: true },
    );
    console.info(`catalog import fuzzing: ${applied} clean files applied, ${refusedFiles} bad files refused`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(applied).toBeGreaterThan(3);
    expect(refusedFiles).toBeGreaterThan(10);
  }, 60_000);

  it('stock: unknown, malformed and duplicate SKUs and bad counts are reported by line; a clean stock take sets exactly the counts given', async () => {
    const { exportText, importCsv } = await merchant();
    const skus = ['S-1', 'S-2', 'S-3', 'S-4', 'S-5'];
    const seed = await importCsv('catalog', Buffer.from(`product_sku,product_name,variant_sku,price,currency\n${skus.map((s) => `P-${s},Bag ${s},${s},10,EUR`).join('\n')}\n`), false, false);
    expect((seed.body as unknown as ImportReportBody).applied).toBe(true);
    const failures: string[] = [];
    let applied = 0;
    const stockRow = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...skus), fc.integer({ min: 0, max: 999 })).map(([sku, n]) => ({ cells: { sku, on_hand: String(n) }, extra: [], bad: [] as string[] })) },
      { weight: 1, arbitrary: fc.constantFrom('NOPE-1', '!x', '', '=1+1').map((sku) => ({ cells: { sku, on_hand: '5' }, extra: [], bad: ['sku'] })) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...skus), fc.constantFrom('-1', '1.5', '', 'ten', '99999999999', '+5')).map(([sku, v]) => ({ cells: { sku, on_hand: v }, extra: [], bad: ['on_hand'] })) },
      { weight: 1, arbitrary: fc.constantFrom(...skus).map((sku) => ({ cells: { sku, on_hand: '1' }, extra: ['2'], bad: [''] })) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(stockRow, { minLength: 1, maxLength: 8 }), fc.record({ bom: fc.boolean(), crlf: fc.boolean(), quoteAll: fc.boolean() }), fc.boolean(), fc.boolean(), async (generated, style, dryRun, asFile) => {
        const rows = markDuplicates('sku')(generated) as typeof generated;
        const { text, lines } = toCsv(['sku', 'on_hand'], rows, style);
        const before = await exportText('inventory');
        const res = await importCsv('inventory', Buffer.from(text), dryRun, asFile);
        const where = `(${asFile ? 'file' : 'json'}${dryRun ? ', dry run' : ''}) ${JSON.stringify(text.slice(0, 200))}`;
        const report = checkAnswer(res, failures, where);
        if (!report) return;
        const expected = rows.flatMap((r, i) => r.bad.map((column) => ({ line: lines[i]!, column })));
        for (const e of expected) {
          if (!report.issues.some((i) => i.line === e.line && i.column === e.column)) failures.push(`not reported: line ${e.line} column "${e.column}" ${where} got ${JSON.stringify(report.issues).slice(0, 300)}`);
        }
        const badLines = new Set(expected.map((e) => e.line));
        for (const i of report.issues) if (!badLines.has(i.line)) failures.push(`issue on a good line ${JSON.stringify(i)} ${where}`);
        if (report.applied !== (expected.length === 0 && !dryRun)) failures.push(`applied=${report.applied} ${where}`);
        const after = await exportText('inventory');
        if (!report.applied) { if (after !== before) failures.push(`stock changed although nothing was applied ${where}`); return; }
        applied += 1;
        for (const r of rows) if (!after.includes(`\r\n${r.cells.sku},${r.cells.on_hand},`)) failures.push(`${r.cells.sku} not set to ${r.cells.on_hand} ${where}`);
      }),
      { numRuns: 60, seed: SEED, endOnFailure: true },
    );
    expect(failures.slice(0, 10)).toEqual([]);
    expect(applied).toBeGreaterThan(3);
  }, 60_000);

  it('random bytes, broken quoting, huge fields and non-UTF-8 files: never a 5xx, always reported, never imported', async () => {
    const { exportText, importCsv } = await merchant();
    const header = 'product_sku,product_name,variant_sku,price,currency\n';
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }).map((a) => ({ label: 'random bytes', bytes: Buffer.from(a), mustRefuse: false })),
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a) => ({ label: 'header then random bytes', bytes: Buffer.concat([Buffer.from(header), Buffer.from(a)]), mustRefuse: false })),
      fc.string({ maxLength: 500 }).map((s) => ({ label: 'random text', bytes: Buffer.from(s), mustRefuse: false })),
      // A spreadsheet saved as Windows-1252 ("Café" is 43 61 66 E9): invalid UTF-8, must not become "Caf\uFFFD".
      fc.constantFrom('Café', 'Ñandú', 'Größe').map((name) => ({ label: `latin-1 ${name}`, bytes: Buffer.concat([Buffer.from(header), Buffer.from(`P-L1,${name},V-L1,10,EUR\n`, 'latin1')]), mustRefuse: true })),
      fc.constantFrom(Buffer.from([0xc3]), Buffer.from([0xe2, 0x82]), Buffer.from([0xff, 0xfe])).map((tail) => ({ label: 'cut inside a UTF-8 character', bytes: Buffer.concat([Buffer.from(`${header}P-T1,Bag,V-T1,10,EUR\n`), tail]), mustRefuse: true })),
      fc.constant({ label: 'UTF-16 with BOM', bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${header}P-U1,Bag,V-U1,10,EUR\n`, 'utf16le')]), mustRefuse: true }),
      fc.integer({ min: 64 * 1024 + 1, max: 200_000 }).map((n) => ({ label: 'huge quoted field', bytes: Buffer.from(`${header}P-H1,"${'x'.repeat(n)}",V-H1,10,EUR\n`), mustRefuse: true })),
      fc.constant({ label: 'unclosed quote', bytes: Buffer.from(`${header}P-Q1,"Bag,V-Q1,10,EUR\nP-Q2,Bag,V-Q2,10,EUR\n`), mustRefuse: true }),
      fc.constant({ label: 'quote inside a field', bytes: Buffer.from(`${header}P-Q3,Ba"g,V-Q3,10,EUR\n`), mustRefuse: true }),
      fc.constant({ label: 'text after a closing quote', bytes: Buffer.from(`${header}P-Q4,"Bag"x,V-Q4,10,EUR\n`), mustRefuse: true }),
      fc.constant({ label: 'too many fields', bytes: Buffer.from(`${header}${Array.from({ length: 300 }, () => 'x').join(',')}\n`), mustRefuse: true }),
      fc.constant({ label: 'header only, unknown column', bytes: Buffer.from('sku,price,=cmd\n'), mustRefuse: true }),
    );
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(hostile, fc.constantFrom<'catalog' | 'inventory'>('catalog', 'inventory'), fc.boolean(), fc.boolean(), async ({ label, bytes, mustRefuse }, what, dryRun, asFile) => {
        const before = await exportText(what);
        const res = await importCsv(what, bytes, dryRun, asFile);
        const where = `${label} → ${what} (${asFile ? 'file' : 'json'}${dryRun ? ', dry run' : ''})`;
        const report = checkAnswer(res, failures, where);
        if (report && mustRefuse && asFile && report.issueCount === 0) failures.push(`no issue reported for ${where}: ${describeRes(res)}`);
        if ((await exportText(what)) !== before && !report?.applied) failures.push(`changed without being applied: ${where}`);
        // Only the file upload sees bytes; the JSON route gets text the client already decoded.
        if (report?.applied && mustRefuse && asFile) failures.push(`imported: ${where}`);
      }),
      { numRuns: 120, seed: SEED, endOnFailure: true },
    );
    expect(failures.slice(0, 10)).toEqual([]);
    // The case that motivated the UTF-8 check, spelled out: a Windows-1252 export is refused at its line, not imported as "Caf\uFFFD".
    const before = await exportText('catalog');
    const latin1 = await importCsv('catalog', Buffer.concat([Buffer.from(`${header}P-OK,Bag,V-OK,10,EUR\n`), Buffer.from('P-L1,Café,V-L1,10,EUR\n', 'latin1')]), false, true);
    expect(latin1.status).toBe(200);
    expect(latin1.body).toMatchObject({ applied: false, issues: [{ line: 3, column: '', reason: expect.stringMatching(/UTF-8/) }] });
    expect(await exportText('catalog')).toBe(before);
  }, 60_000);
});
