import { z } from 'zod';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { defineRoute } from '../src/http/route.js';
import { buildTestApp, sampleRoutes, WS_THINGS } from './support/harness.js';

const SECRETS = {
  cookie: 'cookie-secret-4f1d',
  bearer: 'bearer-secret-92ab',
  setCookie: 'set-cookie-secret-77e0',
  password: 'password-secret-c3d9',
  message: 'message-text-secret-1a2b',
  queryToken: 'query-token-secret-5e6f',
};

const login = defineRoute(
  {
    method: 'post',
    path: '/api/session',
    summary: 'Sign in',
    tags: ['testing'],
    auth: 'public',
    query: z.object({ next: z.string().optional() }),
    body: z.object({ email: z.string(), password: z.string(), note: z.string() }),
    responses: { 204: { description: 'Signed in' } },
  },
  ({ res }) => {
    res.cookie('palette_session', SECRETS.setCookie, { httpOnly: true });
    return { status: 204 };
  },
);

describe('request logs', () => {
  it('log one line per request with method, path, status and request id, and redact credentials', async () => {
    const { app, logs } = buildTestApp({ routes: [...sampleRoutes, login] });

    const res = await request(app)
      .post(`/api/session?next=/inbox&token=${SECRETS.queryToken}`)
      .set('Cookie', `palette_session=${SECRETS.cookie}`)
      .set('Authorization', `Bearer ${SECRETS.bearer}`)
      .set('X-Request-Id', 'login-request-1')
      .send({ email: 'owner@example.com', password: SECRETS.password, note: SECRETS.message });
    expect(res.status).toBe(204);
    expect(res.headers['set-cookie']?.[0]).toContain(SECRETS.setCookie);

    const all = logs.lines.join('\n');
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(all, `${name} reached the log`).not.toContain(secret);
    }
    expect(all).not.toContain('owner@example.com');

    const line = logs.entries().find((e) => e['requestId'] === 'login-request-1');
    expect(line).toMatchObject({
      msg: 'request completed',
      route: '/api/session',
      req: { method: 'POST', path: '/api/session', headers: { cookie: '[Redacted]', authorization: '[Redacted]' } },
      res: { statusCode: 204, headers: { 'set-cookie': '[Redacted]' } },
    });
    expect(line?.['req']).not.toHaveProperty('body');
    expect(line?.['req']).not.toHaveProperty('query');
  });

  it('never log the body of a failed request either', async () => {
    const { app, logs } = buildTestApp();
    await request(app).post(WS_THINGS).set('Authorization', 'Bearer owner').send({ name: SECRETS.message, quantity: 'many' });
    await request(app).post(WS_THINGS).set('Authorization', 'Bearer owner').set('Content-Type', 'application/json').send(`{"name":"${SECRETS.password}"`);
    expect(logs.lines).toHaveLength(2);
    expect(logs.lines.join('\n')).not.toContain(SECRETS.message);
    expect(logs.lines.join('\n')).not.toContain(SECRETS.password);
  });

  it('log 4xx at warn and 5xx at error', async () => {
    const { app, logs } = buildTestApp();
    await request(app).get('/healthz');
    await request(app).get('/nowhere');
    await request(app).get('/api/boom');
    expect(logs.entries().map((e) => e['level'])).toEqual([30, 40, 50]);
  });
});
