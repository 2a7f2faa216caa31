import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildTestApp, testConfig, WS_THINGS } from './support/harness.js';

describe('security headers', () => {
  it('sends helmet defaults and no X-Powered-By', async () => {
    const { app } = buildTestApp();
    const res = await request(app).get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('sends HSTS only when the request came over TLS, as told by a trusted proxy', async () => {
    const direct = buildTestApp().app;
    expect((await request(direct).get('/healthz')).headers['strict-transport-security']).toBeUndefined();
    // Without trust proxy, a client cannot claim TLS by header.
    expect((await request(direct).get('/healthz').set('X-Forwarded-Proto', 'https')).headers['strict-transport-security']).toBeUndefined();

    const proxied = buildTestApp({ config: { ...testConfig, trustProxy: 1 } }).app;
    expect((await request(proxied).get('/healthz')).headers['strict-transport-security']).toBeUndefined();
    const overTls = await request(proxied).get('/healthz').set('X-Forwarded-Proto', 'https');
    expect(overTls.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('asks browsers to upgrade asset requests to https only when the page came over TLS', async () => {
    const { app } = buildTestApp({ config: { ...testConfig, trustProxy: 1 } });
    const plain = await request(app).get('/api/docs');
    expect(plain.headers['content-security-policy']).toContain("default-src 'self'");
    expect(plain.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const overTls = await request(app).get('/api/docs').set('X-Forwarded-Proto', 'https');
    expect(overTls.headers['content-security-policy']).toContain('upgrade-insecure-requests');
  });
});

describe('CORS', () => {
  it('is closed by default: no CORS headers for any origin, preflight included', async () => {
    const { app } = buildTestApp();
    const simple = await request(app).get('/api/things/t-1').set('Origin', 'https://evil.example');
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    expect(simple.headers['access-control-allow-credentials']).toBeUndefined();

    const preflight = await request(app).options(WS_THINGS).set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('allows exactly the listed origins, with credentials, and varies on Origin', async () => {
    const { app } = buildTestApp({ config: { ...testConfig, corsOrigins: ['https://shop.example', 'http://localhost:5173'] } });
    const allowed = await request(app).get('/api/things/t-1').set('Origin', 'http://localhost:5173');
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    expect(allowed.headers['access-control-expose-headers']).toContain('X-Request-Id');
    expect(allowed.headers['vary']).toMatch(/Origin/);

    const preflight = await request(app).options(WS_THINGS).set('Origin', 'https://shop.example').set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toContain('Content-Type');

    for (const other of ['https://shop.example.evil.com', 'http://shop.example', 'null']) {
      const res = await request(app).get('/api/things/t-1').set('Origin', other);
      expect(res.headers['access-control-allow-origin'], other).toBeUndefined();
      expect(res.headers['vary']).toMatch(/Origin/);
    }
  });
});

describe('per-IP rate limit', () => {
  it('answers 429 rate-limited with Retry-After once the limit is spent', async () => {
    const { app } = buildTestApp({ rateLimit: { windowMs: 60_000, limit: 2 } });
    expect((await request(app).get('/api/things/t-1')).status).toBe(200);
    expect((await request(app).get('/nowhere')).status).toBe(404);
    const limited = await request(app).get('/api/things/t-1');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['ratelimit-policy']).toBeDefined();
    expect(limited.body).toMatchObject({
      type: 'https://palette.dev/problems/rate-limited',
      status: 429,
      retryAfterSeconds: Number(limited.headers['retry-after']),
      requestId: limited.headers['x-request-id'],
    });
  });

  it('counts per client address: behind a trusted proxy, X-Forwarded-For tells clients apart', async () => {
    const { app } = buildTestApp({ config: { ...testConfig, trustProxy: 1 }, rateLimit: { windowMs: 60_000, limit: 1 } });
    expect((await request(app).get('/api/things/t-1').set('X-Forwarded-For', '203.0.113.7')).status).toBe(200);
    expect((await request(app).get('/api/things/t-1').set('X-Forwarded-For', '203.0.113.7')).status).toBe(429);
    expect((await request(app).get('/api/things/t-1').set('X-Forwarded-For', '198.51.100.9')).status).toBe(200);
  });

  it('leaves health probes and metric scrapes alone', async () => {
    const { app } = buildTestApp({ rateLimit: { windowMs: 60_000, limit: 1 } });
    for (let i = 0; i < 4; i++) {
      expect((await request(app).get('/healthz')).status).toBe(200);
      expect((await request(app).get('/readyz')).status).toBe(200);
    }
  });
});

describe('authentication and permissions on session routes', () => {
  const { app } = buildTestApp();
  const create = () => request(app).post(WS_THINGS).send({ name: 'lamp', quantity: 1 });

  it('is 401 unauthenticated without a principal, before any validation', async () => {
    const res = await request(app).post(WS_THINGS).send({ nonsense: true });
    expect(res.status).toBe(401);
    expect(res.body.type).toBe('https://palette.dev/problems/unauthenticated');
    expect(res.body).not.toHaveProperty('errors');
  });

  it('is 403 forbidden when the role lacks the permission (analysts cannot edit the catalog)', async () => {
    const res = await create().set('Authorization', 'Bearer analyst');
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: 'https://palette.dev/problems/forbidden', detail: 'Your role (analyst) does not include catalog.write.' });
  });

  it('runs the handler with the principal when the role has it', async () => {
    const res = await create().set('Authorization', 'Bearer admin');
    expect(res.status).toBe(201);
    expect(res.headers['location']).toBe(`${WS_THINGS}/t-1`);
    expect(res.body).toEqual({ id: 't-5', name: 'lamp', quantity: 1 });
  });

  it('fails closed when no authenticator is wired: every session route is 401', async () => {
    const { app: bare } = buildTestApp({ authenticator: undefined });
    expect((await request(bare).post(WS_THINGS).set('Authorization', 'Bearer owner').send({ name: 'x', quantity: 1 })).status).toBe(401);
    expect((await request(bare).get('/api/things/t-1')).status).toBe(200);
  });
});
