import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from './support/harness.js';

describe('GET /healthz', () => {
  it('is 200 {status: ok} and checks no dependency', async () => {
    let called = false;
    const { app } = buildTestApp({ checks: { database: async () => ((called = true), false) } });
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(called).toBe(false);
  });
});

describe('GET /readyz', () => {
  it('is 200 with each check when all pass', async () => {
    const { app } = buildTestApp({ checks: { database: async () => true, queue: async () => true } });
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'ok', queue: 'ok' } });
  });

  it('is a 503 problem naming what fails, times out or throws', async () => {
    const { app, logs } = buildTestApp({
      checkTimeoutMs: 50,
      checks: {
        database: async () => true,
        queue: async () => false,
        cache: () => new Promise<boolean>(() => undefined),
        mail: async () => {
          throw new Error('smtp password rejected');
        },
      },
    });
    const started = Date.now();
    const res = await request(app).get('/readyz');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: 'https://palette.dev/problems/unavailable',
      status: 503,
      detail: 'Not ready: queue, cache, mail.',
      checks: { database: 'ok', queue: 'failing', cache: 'timeout', mail: 'failing' },
    });
    expect(res.text).not.toContain('smtp password');
    expect(logs.entries().some((e) => e['check'] === 'mail' && (e['err'] as { message?: string } | undefined)?.message === 'smtp password rejected')).toBe(true);
  });

  it('recovers when the dependency comes back', async () => {
    let up = false;
    const { app } = buildTestApp({ checks: { database: async () => up } });
    expect((await request(app).get('/readyz')).status).toBe(503);
    up = true;
    expect((await request(app).get('/readyz')).status).toBe(200);
  });
});

describe('GET /metrics', () => {
  it('counts requests by method, route template and status, never by raw path', async () => {
    const { app } = buildTestApp();
    await request(app).get('/api/things/t-1001');
    await request(app).get('/api/things/t-1002');
    await request(app).get('/api/things/t-404');
    await request(app).get('/no/such/page/12345');

    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('http_requests_total{method="GET",route="/api/things/:thingId",status="200"} 2');
    expect(res.text).toContain('http_requests_total{method="GET",route="/api/things/:thingId",status="404"} 1');
    expect(res.text).toContain('http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(res.text).toMatch(/http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/api\/things\/:thingId",status="200"\} \d/);
    expect(res.text).toContain('http_request_duration_seconds_count{method="GET",route="/api/things/:thingId",status="200"} 2');
    expect(res.text).not.toContain('t-1001');
    expect(res.text).not.toContain('12345');
  });

  it('includes the default process metrics, per app: two apps keep separate counts', async () => {
    const first = buildTestApp({ defaultMetrics: true }).app;
    const second = buildTestApp({ defaultMetrics: true }).app;
    await request(first).get('/healthz');
    await request(first).get('/healthz');
    const one = (await request(first).get('/metrics')).text;
    const two = (await request(second).get('/metrics')).text;
    expect(one).toContain('process_cpu_user_seconds_total');
    expect(one).toContain('nodejs_heap_size_used_bytes');
    expect(one).toContain('http_requests_total{method="GET",route="/healthz",status="200"} 2');
    expect(two).not.toContain('route="/healthz"');
  });
});
